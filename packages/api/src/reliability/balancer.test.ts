// Three API server processes (src/server.ts) on one PostgreSQL database behind HAProxy, configured
// by the repository's deploy/haproxy.cfg: the rate limit holds across the instances, no license
// is handed out twice through the balancer (nor twice for one idempotency key), and a rolling restart (each instance stopped and
// started again in turn while a client keeps sending) fails no request.
// PostgreSQL only. Needs Debian's haproxy (.ci/run installs it); without it, outside CI, skipped.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { openTestDatabase, type TestDatabase } from '@school-licenses/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../clock.ts';
import { TEST_AUTH } from '../testing/harness.ts';
import { eventually, postGraphQL, startServerProcess, type ServerProcess } from '../testing/http.ts';
import { checkInvariants } from '../testing/invariants.ts';
import { ASSIGN_LICENSE, mutate, tally } from '../testing/operations.ts';
import { licensePool, tokenOf, type LicensePool } from '../testing/scenarios.ts';

const postgres = process.env.DATABASE_URL;
const haproxy = spawnSync('haproxy', ['-v']).status === 0;
if (postgres && !haproxy) {
  if (process.env.CI) throw new Error('balancer.test.ts: haproxy is missing (.ci/run installs it with apt-get)');
  console.warn('balancer.test.ts: skipped, haproxy is not installed (apt-get install -y haproxy)');
}
const config = fileURLToPath(new URL('../../../../deploy/haproxy.cfg', import.meta.url));

// Each credential gets BURST requests whatever instance it reaches (1 a minute after that).
const BURST = 150;

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe.skipIf(!postgres || !haproxy)('three instances behind HAProxy on one PostgreSQL', () => {
  let db: TestDatabase;
  let pool: LicensePool;
  let balancer: ChildProcess;
  let url: string;
  const ports: number[] = [];
  const instances: ServerProcess[] = [];
  const startInstance = async (i: number) => {
    instances[i] = await startServerProcess({
      JWT_SECRET: TEST_AUTH.jwtSecret!,
      DATABASE_URL: db.url!,
      PORT: String(ports[i]),
      RATE_LIMIT_PER_MINUTE: '1',
      RATE_LIMIT_BURST: String(BURST),
      // Every client comes from the balancer's address: limit addresses there, not here.
      ADDRESS_RATE_LIMIT_PER_MINUTE: '0',
      // Longer than the balancer's health checks take to see /ready fail (3 × 100 ms) before the port closes.
      SHUTDOWN_DELAY_MS: '1000',
      DATABASE_POOL_SIZE: '5',
    });
    await instances[i]!.waitFor(/GraphQL API: /);
  };
  const balancerSees = (i: number, state: 'UP' | 'DOWN') =>
    eventually(
      async () => {
        // The health check runs every 100 ms; two intervals and it has seen the instance's /ready.
        const ready = await fetch(`${instances[i]!.origin}/ready`)
          .then((r) => r.status)
          .catch(() => 0);
        if ((ready === 200) !== (state === 'UP')) throw new Error(`instance ${i + 1} /ready is ${ready}`);
        await new Promise((resolve) => setTimeout(resolve, 250));
      },
      `instance ${i + 1} ${state}`,
    );

  beforeAll(async () => {
    db = await openTestDatabase();
    pool = await licensePool(db.prisma, systemClock, { licenses: 11, students: 130 });
    for (let i = 0; i < 4; i++) ports.push(await freePort());
    await Promise.all([0, 1, 2].map(startInstance));
    balancer = spawn('haproxy', ['-db', '-f', config], {
      env: {
        ...process.env,
        BIND: `127.0.0.1:${ports[3]}`,
        API1: `127.0.0.1:${ports[0]}`,
        API2: `127.0.0.1:${ports[1]}`,
        API3: `127.0.0.1:${ports[2]}`,
        CHECK_INTER: '100ms',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    balancer.stderr?.on('data', (chunk) => process.env.BALANCER_LOG && process.stderr.write(`haproxy: ${chunk}`));
    balancer.stdout?.on('data', (chunk) => process.env.BALANCER_LOG && process.stderr.write(`haproxy: ${chunk}`));
    url = `http://127.0.0.1:${ports[3]}/graphql`;
    await eventually(async () => {
      const response = await postGraphQL(url, null, '{ __typename }');
      if (response.status !== 200) throw new Error(`balancer answered ${response.status}`);
    }, 'the balancer');
    await Promise.all([0, 1, 2].map((i) => balancerSees(i, 'UP')));
  });
  afterAll(async () => {
    balancer?.kill('SIGTERM');
    for (const instance of instances) if (instance && instance.child.exitCode === null) instance.kill('SIGKILL');
    await Promise.all(instances.map((instance) => instance?.exited));
    await db?.close();
  });

  it('the rate limit holds across the instances: three times the burst through the balancer, the burst passes', async () => {
    const student = await tokenOf(TEST_AUTH, systemClock, pool.studentIds[129]!);
    const statuses: number[] = [];
    // 30 at a time, so all three instances take requests at once.
    for (let i = 0; i < 3 * BURST; i += 30) {
      const wave = await Promise.all(Array.from({ length: 30 }, () => postGraphQL(url, student, '{ viewer { kind } }')));
      statuses.push(...wave.map((r) => r.status));
    }
    expect(statuses.filter((s) => s === 200)).toHaveLength(BURST);
    expect(statuses.filter((s) => s === 429)).toHaveLength(2 * BURST);
  });

  it('ten concurrent retries with one idempotency key, spread over the instances: one assignment, all ten told the same license', async () => {
    const admin = await tokenOf(TEST_AUTH, systemClock, pool.adminId);
    const input = {
      school: pool.gids.school,
      product: pool.gids.product,
      user: pool.gids.students[126],
      reuseStarted: false,
      idempotencyKey: 'through-the-balancer',
    };
    const outcomes = await Promise.all(Array.from({ length: 10 }, () => mutate(url, admin, ASSIGN_LICENSE, input)));
    expect(tally(outcomes)).toEqual({ AssignLicensePayload: 10 });
    expect(new Set(outcomes.map((o) => o.value.license.id)).size).toBe(1);
    expect(await db.prisma.assignment.count({ where: { userId: pool.studentIds[126] } })).toBe(1);
  });

  it('100 concurrent assignLicense through the balancer on a pool of 10: 10 assigned, 10 distinct licenses, 90 NO_LICENSE_AVAILABLE', async () => {
    const admin = await tokenOf(TEST_AUTH, systemClock, pool.adminId);
    const outcomes = await Promise.all(
      pool.gids.students
        .slice(0, 100)
        .map((user) => mutate(url, admin, ASSIGN_LICENSE, { school: pool.gids.school, product: pool.gids.product, user, reuseStarted: false })),
    );
    expect(tally(outcomes)).toEqual({ AssignLicensePayload: 10, NO_LICENSE_AVAILABLE: 90 });
    expect(new Set(outcomes.filter((o) => o.typename === 'AssignLicensePayload').map((o) => o.value.license.id)).size).toBe(10);
    // 10, and the one of the idempotency key.
    expect(await db.prisma.assignment.count({ where: { isActive: true, license: { schoolId: pool.schoolId } } })).toBe(11);
    expect(await checkInvariants(db.prisma)).toEqual({});
  });

  it('a rolling restart while a client keeps sending: every request answered 200', async () => {
    // The client spreads over 125 students, so no credential reaches its limit, and each lane pauses
    // 5 ms between requests: a flood that saturates the instances' pools would fail their /ready
    // checks and get the balancer's own 503, which is overload (tested elsewhere), not a restart.
    const tokens = await Promise.all(pool.studentIds.slice(0, 125).map((id) => tokenOf(TEST_AUTH, systemClock, id)));
    const statuses: Record<string, number> = {};
    let sent = 0;
    let sending = true;
    const client = async (lane: number) => {
      while (sending) {
        const token = tokens[sent++ % tokens.length]!;
        const status = await postGraphQL(url, token, '{ viewer { kind } }')
          .then((r) => (r.status === 200 ? '200' : `${r.status} ${r.errors?.[0]?.extensions?.code ?? r.text.slice(0, 80)}`))
          .catch((error: Error) => `failed: ${error.message}`);
        statuses[status] = (statuses[status] ?? 0) + 1;
        if (lane < 0) break;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    };
    const lanes = Promise.all([0, 1, 2, 3].map(client));
    for (let i = 0; i < 3; i++) {
      const stopping = instances[i]!;
      stopping.kill('SIGTERM');
      expect(await stopping.exited).toEqual({ code: 0, signal: null });
      await startInstance(i);
      await balancerSees(i, 'UP');
    }
    sending = false;
    await lanes;
    expect(statuses).toEqual({ '200': sent });
    expect(sent).toBeGreaterThan(50);
  });
});
