// Runs the LMS example as its own Node process, importing the built SDK as a user would, against
// a real API (real database, the demo story) on a real port.
import { execFile } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startStandardScenario, type TestApi } from '@school-licenses/api/testing';
import { createLicenseClient } from '@school-licenses/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const script = fileURLToPath(new URL('./lms-sync.mjs', import.meta.url));

describe(`examples/lms-sync.mjs on ${process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'}`, () => {
  let test: TestApi;
  let server: ReturnType<typeof createServer>;
  let url: string;
  let key: string;
  let cursorFile: string;

  beforeAll(async () => {
    const { test: started, demo } = await startStandardScenario({ events: true });
    test = started;
    cursorFile = join(await mkdtemp(join(tmpdir(), 'lms-sync-')), 'cursor');
    key = demo.keys.integration;
    server = createServer(test.api).listen(0, '127.0.0.1');
    await once(server, 'listening');
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  });
  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    await test?.close();
  });

  const sync = () =>
    promisify(execFile)(process.execPath, [script], { env: { ...process.env, LICENSES_API_URL: url, LICENSES_API_TOKEN: key, CURSOR_FILE: cursorFile } });
  const eventIds = (stdout: string) => [...stdout.matchAll(/^event: \S+ (\S+) at /gm)].map((m) => m[1]!);
  const firstRunEvents: string[] = [];

  it('lists schools and availability, then gives every student a reused license, choosing end dates', async () => {
    const { stdout } = await sync();
    firstRunEvents.push(...eventIds(stdout));
    expect(stdout).toContain('school: Ekskolan (Nordstad kommun)');
    expect(stdout).toMatch(/Matematik 7 Digital: 17 assignable \(6 new, 11 reusable ending /);
    expect(stdout).toContain('6 student(s) of Ekskolan without Matematik 7 Digital');
    expect(stdout).toMatch(/END_DATE_REQUIRED for \S+ Elev: choosing \d{4}-\d{2}-\d{2}/);
    expect(stdout).toMatch(/assigned Svante Elev: reused license ending \d{4}-\d{2}-\d{2}/);
    expect(stdout).toContain('summary: 6 assigned (6 reused, 0 new), 0 skipped, 0 failed');

    // Every student of Ekskolan now holds a license of the product.
    const client = createLicenseClient({ url, token: key });
    let school = '';
    for await (const each of client.schools()) if (each.name === 'Ekskolan') school = each.id;
    const holders = new Set<string>();
    let matematik = '';
    for await (const p of client.products()) if (p.name === 'Matematik 7 Digital') matematik = p.id;
    for await (const license of client.licenses({ school, product: matematik, assigned: true })) holders.add(license.holder!.id);
    for await (const member of client.members({ school, role: 'STUDENT' })) expect(holders.has(member.user.id), member.user.name).toBe(true);
  });

  it('has nothing to do when run again, and catches up on the events it had not seen', async () => {
    await test.relay!.flush();
    const { stdout } = await sync();
    expect(stdout).toContain('0 student(s) of Ekskolan without Matematik 7 Digital');
    expect(stdout).toContain('summary: 0 assigned (0 reused, 0 new), 0 skipped, 0 failed');
    // The two runs told every event of the feed once: the kept cursor picked up where the first stopped.
    const secondRunEvents = eventIds(stdout);
    const all: string[] = [];
    for await (const { event } of createLicenseClient({ url, token: key }).events()) all.push(event.id);
    expect([...firstRunEvents, ...secondRunEvents]).toEqual(all);
    expect(all.filter((id) => id).length).toBeGreaterThan(6);
  });

  it('fails with one line when the token is refused', async () => {
    const run = promisify(execFile)(process.execPath, [script], { env: { ...process.env, LICENSES_API_URL: url, LICENSES_API_TOKEN: 'slk_wrong' } });
    const error = (await run.then(
      () => null,
      (e: { code: number; stderr: string }) => e,
    ))!;
    expect(error.code).toBe(1);
    expect(error.stderr).toContain('UNAUTHENTICATED');
  });
});
