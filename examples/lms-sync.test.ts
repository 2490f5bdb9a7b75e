// Runs the LMS example as its own Node process, importing the built SDK as a user would, against
// a real API (real database, the demo story) on a real port, with the webhook worker server.ts runs
// posting to the example's receiver.
import { execFile, spawn } from 'node:child_process';
import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { DEFAULT_WEBHOOK_SETTINGS, runSweep, systemClock, WebhookWorker } from '@school-licenses/api';
import { startStandardScenario, type TestApi } from '@school-licenses/api/testing';
import { createLicenseClient, WebhookEndpointsDocument } from '@school-licenses/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const script = fileURLToPath(new URL('./lms-sync.mjs', import.meta.url));
const roster = fileURLToPath(new URL('./roster/', import.meta.url));

describe(`examples/lms-sync.mjs on ${process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'}`, () => {
  let test: TestApi;
  let server: ReturnType<typeof createServer>;
  let url: string;
  let key: string;
  let cursorFile: string;
  let webhookFile: string;
  let worker: WebhookWorker;

  beforeAll(async () => {
    const { test: started, demo } = await startStandardScenario({ events: true, webhooks: { allowPrivate: true } });
    test = started;
    // The receiver verifies signatures against the real time (5 minutes' tolerance), so the worker
    // signs with it; the API's own clock stays on the demo story's day.
    worker = new WebhookWorker(test.db.prisma, systemClock, { ...DEFAULT_WEBHOOK_SETTINGS, allowPrivate: true, timeoutMs: 5_000 });
    worker.start(100);
    const state = await mkdtemp(join(tmpdir(), 'lms-sync-'));
    cursorFile = join(state, 'cursor');
    webhookFile = join(state, 'webhook.json');
    key = demo.keys.integration;
    server = createServer(test.api).listen(0, '127.0.0.1');
    await once(server, 'listening');
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  });
  afterAll(async () => {
    await worker?.stop();
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    await test?.close();
  });

  /** Runs the example; `whileListening` gets its webhook receiver's address as soon as it listens. */
  const sync = (whileListening?: (receiver: string) => Promise<void>) =>
    new Promise<{ stdout: string; during: Promise<void> | undefined }>((resolve, reject) => {
      const child = spawn(process.execPath, [script], {
        env: { ...process.env, LICENSES_API_URL: url, LICENSES_API_TOKEN: key, CURSOR_FILE: cursorFile, WEBHOOK_FILE: webhookFile },
      });
      let stdout = '';
      let stderr = '';
      let during: Promise<void> | undefined;
      child.stdout.on('data', (chunk) => {
        stdout += chunk;
        const listening = /^webhooks: listening on (\S+)$/m.exec(stdout);
        if (listening && whileListening && !during) during = whileListening(`http://${listening[1]}/webhooks/licenses`);
      });
      child.stderr.on('data', (chunk) => (stderr += chunk));
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve({ stdout, during }) : reject(new Error(`exit ${code}: ${stderr}\n${stdout}`))));
    });
  const eventIds = (stdout: string) => [...stdout.matchAll(/^event: \S+ (\S+) at /gm)].map((m) => m[1]!);
  const firstRunEvents: string[] = [];
  const client = () => createLicenseClient({ url, token: key });
  const idOf = async <T extends { id: string; name: string }>(items: AsyncIterable<T>, name: string) => {
    for await (const item of items) if (item.name === name) return item.id;
    throw new Error(`no ${name}`);
  };

  it('syncs the OneRoster set (dry run, then applied), gives every student a reused license, and receives each assignment by a verified webhook, refusing a forged one', async () => {
    // While the example waits for its webhooks, someone posts a delivery it did not sign.
    let forged: Response | undefined;
    const { stdout, during } = await sync(async (receiver) => {
      const body = JSON.stringify({ type: 'license.revoked', timestamp: new Date().toISOString(), data: { id: 'RXZlbnQ6Zm9yZ2Vk' } });
      const headers = { 'webhook-id': 'RXZlbnQ6Zm9yZ2Vk', 'webhook-timestamp': String(Math.floor(Date.now() / 1000)), 'webhook-signature': 'v1,Zm9yZ2Vk' };
      forged = await fetch(receiver, { method: 'POST', body, headers });
    });
    await during;
    expect(forged?.status).toBe(400);
    expect(stdout).toMatch(/^webhook refused: /m);
    expect(stdout).not.toContain('license.revoked RXZlbnQ6Zm9yZ2Vk');
    firstRunEvents.push(...eventIds(stdout));
    expect(stdout).toMatch(/^webhooks: registered http:\/\/127\.0\.0\.1:\d+\/webhooks\/licenses$/m);
    expect(stdout).toContain('school: Ekskolan (Nordstad kommun)');
    expect(stdout).toMatch(/Matematik 7 Digital: 17 assignable \(6 new, 11 reusable ending /);
    // Ekskolan is linked by its school unit code and Theo by his e-mail; four students and 7B are new.
    const diff = 'schools +0 ~1 -0, users +4 ~1 -0, schoolMemberships +4 ~0 -0, groups +1 ~0 -0, groupMemberships +5 ~0 -0; 0 license(s) of leavers revoked';
    expect(stdout).toContain(`roster dry run (DELTA): ${diff}`);
    expect(stdout).toContain(`roster applied (DELTA): ${diff}`);
    expect(stdout.indexOf('roster dry run')).toBeLessThan(stdout.indexOf('roster applied'));
    expect(stdout).toContain('10 student(s) of Ekskolan without Matematik 7 Digital');
    expect(stdout).toMatch(/END_DATE_REQUIRED for \S+ Elev: choosing \d{4}-\d{2}-\d{2}/);
    expect(stdout).toMatch(/assigned Alva Elev: reused license ending \d{4}-\d{2}-\d{2}/);
    expect(stdout).toContain('summary: 10 assigned (10 reused, 0 new), 0 skipped, 0 failed');

    // The roster landed: class 7B with its four students and Theo teaching it.
    const school = await idOf(client().schools(), 'Ekskolan');
    const sevenB = await idOf(client().groups({ school, kind: 'CLASS' }), '7B');
    const members: string[] = [];
    for await (const member of client().groupMembers({ group: sevenB })) members.push(`${member.user.name} ${member.role}`);
    expect(members.sort()).toEqual(['Alva Elev STUDENT', 'Elias Elev STUDENT', 'Ines Elev STUDENT', 'Omar Elev STUDENT', 'Theo Lärare TEACHER']);

    // Every student of Ekskolan, the new ones too, now holds a license of the product.
    const matematik = await idOf(client().products(), 'Matematik 7 Digital');
    const holders = new Set<string>();
    for await (const license of client().licenses({ school, product: matematik, assigned: true })) holders.add(license.holder!.id);
    let students = 0;
    for await (const member of client().members({ school, role: 'STUDENT' })) {
      students++;
      expect(holders.has(member.user.id), member.user.name).toBe(true);
    }
    expect(students).toBe(14);

    // Each assignment came by a webhook whose signature verified, once: the same events the feed has.
    expect(stdout).toContain('webhooks: 10 of 10 assignment(s) confirmed');
    const verified = [...stdout.matchAll(/^webhook: license\.assigned (\S+) verified$/gm)].map((m) => m[1]);
    const assignedInFeed = [...stdout.matchAll(/^event: license\.assigned (\S+) at \S+ by API key Demo LMS \(had by webhook\)$/gm)].map((m) => m[1]);
    expect(verified).toHaveLength(10);
    expect(new Set(verified)).toEqual(new Set(assignedInFeed));
  });

  it('has nothing to do when run again, and catches up on the events it had not seen', async () => {
    await test.relay!.flush();
    const { stdout } = await sync();
    expect(stdout).toContain('roster: in step, nothing to apply');
    expect(stdout).not.toContain('roster applied');
    expect(stdout).toContain('0 student(s) of Ekskolan without Matematik 7 Digital');
    expect(stdout).toContain('summary: 0 assigned (0 reused, 0 new), 0 skipped, 0 failed');
    // The receiver listens on another port this time: its new URL replaced the old endpoint.
    const { webhookEndpoints } = await client().query(WebhookEndpointsDocument, { first: 10, deliveries: 50 });
    expect(webhookEndpoints.edges).toHaveLength(1);
    expect(stdout).toContain(`webhooks: registered ${webhookEndpoints.edges[0]!.node.url}`);
    // The two runs told every event of the feed once: the kept cursor picked up where the first stopped.
    const secondRunEvents = eventIds(stdout);
    const all: string[] = [];
    for await (const { event } of client().events()) all.push(event.id);
    expect([...firstRunEvents, ...secondRunEvents]).toEqual(all);
    expect(all.filter((id) => id).length).toBeGreaterThan(6);
  });

  it('resyncs when it was away longer than the feed keeps events', async () => {
    await writeFile(cursorFile, btoa('event:1')); // a cursor from long ago
    test.clock.advanceDays(31);
    expect((await runSweep(test.db.prisma, test.clock, undefined, { eventRetentionDays: 30 })).eventsPruned).toBeGreaterThan(0);
    const { stdout } = await sync();
    expect(stdout).toContain('the feed no longer has the events after our cursor: resynced from the current state');
    expect(stdout).toContain('0 student(s) of Ekskolan without Matematik 7 Digital');
    // The kept cursor is now the feed's end: the next run starts from there.
    let last = '';
    for await (const { cursor } of client().events()) last = cursor;
    expect(await readFile(cursorFile, 'utf8')).toBe(last);
  });

  it('fails with one line when the token is refused', async () => {
    const run = promisify(execFile)(process.execPath, [script], {
      env: { ...process.env, LICENSES_API_URL: url, LICENSES_API_TOKEN: 'slk_wrong', WEBHOOK_FILE: webhookFile },
    });
    const error = (await run.then(
      () => null,
      (e: { code: number; stderr: string }) => e,
    ))!;
    expect(error.code).toBe(1);
    expect(error.stderr).toContain('UNAUTHENTICATED');
  });

  it('stops with exit code 1 when the roster is refused, assigning nothing', async () => {
    // Omar's row gives Alva's e-mail address: the set is refused.
    const broken = await mkdtemp(join(tmpdir(), 'lms-sync-roster-'));
    await cp(roster, broken, { recursive: true });
    const users = await readFile(join(broken, 'users.csv'), 'utf8');
    await writeFile(join(broken, 'users.csv'), users.replace('omar.student@ekskolan.example', 'alva.student@ekskolan.example'));
    // A student without a license: a run that went on would give them one.
    const school = await idOf(client().schools(), 'Ekskolan');
    const matematik = await idOf(client().products(), 'Matematik 7 Digital');
    const students = new Set<string>();
    for await (const member of client().members({ school, role: 'STUDENT' })) students.add(member.user.id);
    /** The students holding a license of the product: student → license. */
    const holding = async () => {
      const held = new Map<string, string>();
      for await (const license of client().licenses({ school, product: matematik, assigned: true }))
        if (students.has(license.holder!.id)) held.set(license.holder!.id, license.id);
      return held;
    };
    const before = await holding();
    const [student, license] = [...before][0]!;
    expect(await client().revokeLicense({ license })).toMatchObject({ ok: true });
    const run = promisify(execFile)(process.execPath, [script], {
      env: { ...process.env, LICENSES_API_URL: url, LICENSES_API_TOKEN: key, CURSOR_FILE: cursorFile, WEBHOOK_FILE: webhookFile, ROSTER_DIR: broken },
    });
    const error = (await run.then(
      () => null,
      (e: { code: number; stdout: string; stderr: string }) => e,
    ))!;
    expect(error?.code, error?.stdout).toBe(1);
    expect(error.stdout).toMatch(/^roster error: users\.csv:6 email DUPLICATE_ID: /m);
    expect(error.stdout).toContain('roster: refused, nothing written');
    // Nothing after the refused roster: no assignment, no change feed.
    expect(error.stdout).not.toContain('student(s) of Ekskolan without');
    expect(error.stdout).not.toMatch(/^(assigned |summary: |webhooks: \d|event: )/m);
    const after = await holding();
    expect(after.has(student)).toBe(false);
    expect(after.size).toBe(before.size - 1);
  });
});
