// The real server entry (src/server.ts) as child processes: graceful shutdown finishes in-flight
// requests; on PostgreSQL, the server starts while the database is unreachable and reports it at
// /health and /ready, two servers share one database correctly, and a server killed with SIGKILL
// in the middle of a batch leaves a consistent database.
import { request } from 'node:http';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { once } from 'node:events';
import { openTestDatabase, type TestDatabase } from '@school-licenses/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../clock.ts';
import { TEST_AUTH } from '../testing/harness.ts';
import { eventually, postGraphQL, startServerProcess, type ServerProcess } from '../testing/http.ts';
import { checkInvariants } from '../testing/invariants.ts';
import { ASSIGN_LICENSE, ASSIGN_LICENSES, mutate, tally } from '../testing/operations.ts';
import { licensePool, tokenOf } from '../testing/scenarios.ts';
import { concurrencyCases } from './concurrency-cases.ts';

const postgres = process.env.DATABASE_URL;
const backend = postgres ? 'PostgreSQL' : 'PGlite';
const serverEnv = (databaseUrl: string | undefined): Record<string, string> => ({
  JWT_SECRET: TEST_AUTH.jwtSecret!,
  ...(databaseUrl ? { DATABASE_URL: databaseUrl } : { DATABASE_URL: '', PGLITE_DATA_DIR: 'memory://' }),
});

describe(`server processes on ${backend}`, () => {
  let db: TestDatabase;
  const started: ServerProcess[] = [];
  const start = async (env: Record<string, string>) => {
    const server = await startServerProcess(env);
    started.push(server);
    return server;
  };

  beforeAll(async () => {
    db = await openTestDatabase();
  });
  afterAll(async () => {
    for (const server of started) if (server.child.exitCode === null && server.child.signalCode === null) server.kill('SIGKILL');
    await Promise.all(started.map((s) => s.exited));
    await db?.close();
  });

  it('SIGTERM: a request in flight is answered in full, then the process exits 0', async () => {
    const server = await start(serverEnv(db.url));
    await server.waitFor(/GraphQL API: /);
    const body = JSON.stringify({ query: '{ __typename }' });
    const { hostname, port } = new URL(server.url);
    // Expect: 100-continue: the server confirms it has the request before the body is sent.
    const req = request({
      host: hostname,
      port,
      path: '/graphql',
      method: 'POST',
      agent: false,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), expect: '100-continue' },
    });
    const responded = new Promise<{ status: number; text: string; connection: string | undefined }>((resolve, reject) => {
      req.on('response', (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, text, connection: res.headers.connection }));
      });
      req.on('error', reject);
    });
    req.flushHeaders();
    await once(req, 'continue');
    server.kill('SIGTERM');
    await server.waitFor(/SIGTERM: finishing requests/);
    // The process is shutting down, and this request is still in its hands.
    req.end(body);
    const response = await responded;
    expect(response).toMatchObject({ status: 200, connection: 'close' });
    expect(JSON.parse(response.text)).toEqual({ data: { __typename: 'Query' } });
    expect(await server.exited).toEqual({ code: 0, signal: null });
  });

  describe.skipIf(!postgres)('PostgreSQL only', () => {
    it('starts while the database is unreachable: /health is up, /ready is not; both are once it comes', async () => {
      // A port where nothing listens yet; later a proxy to the real database opens there.
      const probe = createServer().listen(0, '127.0.0.1');
      await once(probe, 'listening');
      const proxyPort = (probe.address() as { port: number }).port;
      await new Promise((resolve) => probe.close(resolve));
      const target = new URL(db.url!);
      const viaProxy = new URL(db.url!);
      viaProxy.host = `127.0.0.1:${proxyPort}`;

      const server = await start({ ...serverEnv(viaProxy.toString()), DATABASE_CONNECT_RETRIES: '100' });
      await server.waitFor(/database not reachable \(attempt 2/);
      expect((await fetch(`${server.origin}/health`)).status).toBe(200);
      expect((await fetch(`${server.origin}/ready`)).status).toBe(503);
      const early = await postGraphQL(server.url, null, '{ __typename }');
      expect(early.status).toBe(503);
      expect(early.errors?.[0]?.extensions?.code).toBe('NOT_READY');

      const sockets = new Set<Socket>();
      const proxy: Server = createServer((client) => {
        const upstream = createConnection(Number(target.port || 5432), target.hostname);
        sockets.add(client).add(upstream);
        client.pipe(upstream).pipe(client);
        const end = () => {
          client.destroy();
          upstream.destroy();
        };
        client.on('error', end).on('close', end);
        upstream.on('error', end).on('close', end);
      }).listen(proxyPort, '127.0.0.1');
      try {
        await server.waitFor(/GraphQL API: /);
        expect((await fetch(`${server.origin}/ready`)).status).toBe(200);
        expect((await postGraphQL(server.url, null, '{ __typename }')).data).toEqual({ __typename: 'Query' });
        expect(server.output()).toMatch(/database not reachable \(attempt 1 of 101: .*\); retrying in \d+ ms/);
      } finally {
        server.kill('SIGTERM');
        await server.exited;
        for (const socket of sockets) socket.destroy();
        proxy.close();
      }
    });

    describe('two API server processes sharing one database', () => {
      let servers: ServerProcess[] = [];
      beforeAll(async () => {
        servers = await Promise.all([start(serverEnv(db.url)), start(serverEnv(db.url))]);
        await Promise.all(servers.map((s) => s.waitFor(/GraphQL API: /)));
      });
      afterAll(async () => {
        for (const server of servers) server.kill('SIGTERM');
        await Promise.all(servers.map((s) => s.exited));
      });
      concurrencyCases(() => ({ prisma: db.prisma, clock: systemClock, auth: TEST_AUTH, urls: () => servers.map((s) => s.url) }));
    });

    const LICENSES = 150;
    it('SIGKILL in the middle of a batch: every answered assignment is in the database, and every rule holds', async () => {
      const pool = await licensePool(db.prisma, systemClock, { licenses: LICENSES, students: 240 });
      const admin = await tokenOf(TEST_AUTH, systemClock, pool.adminId);
      // One admin sends 160 assignments within seconds, more than a credential's default burst, and
      // its bucket is in the database both servers share: how much of it the first wave used up
      // depended on when the kill came. Rate limits are shared-rate-limit.test.ts's subject.
      const unlimited = { ...serverEnv(db.url), RATE_LIMIT_PER_MINUTE: '0' };
      const server = await start(unlimited);
      await server.waitFor(/GraphQL API: /);
      const singles = pool.gids.students
        .slice(0, 100)
        .map((user) => ({ query: ASSIGN_LICENSE, input: { school: pool.gids.school, product: pool.gids.product, user, reuseStarted: false } }));
      const batches = Array.from({ length: 20 }, (_, b) => ({
        query: ASSIGN_LICENSES,
        input: { school: pool.gids.school, product: pool.gids.product, users: pool.gids.students.slice(100 + b * 5, 105 + b * 5), reuseStarted: false },
      }));
      const requests = [...singles, ...batches].map(({ query, input }) => mutate(server.url, admin, query, input));
      // Kill as soon as the first answer is in: the others are in flight, some mid-transaction.
      await Promise.race(requests);
      server.kill('SIGKILL');
      const settled = await Promise.allSettled(requests);
      expect(await server.exited).toMatchObject({ signal: 'SIGKILL' });

      const answered = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
      const licensesAnswered = answered.flatMap((o) =>
        o.typename === 'AssignLicensePayload'
          ? [o.value.license.id as string]
          : o.typename === 'AssignLicensesPayload'
            ? o.value.outcomes.filter((u: { assigned: boolean }) => u.assigned).map((u: { license: { id: string } }) => u.license.id)
            : [],
      );
      expect(answered.length).toBeGreaterThan(0);
      // What a client was told happened, happened.
      const active = await db.prisma.assignment.findMany({ where: { schoolId: pool.schoolId, endedAt: null }, select: { licenseId: true } });
      const activeGids = new Set(active.map((a) => Buffer.from(`License:${a.licenseId}`).toString('base64')));
      for (const license of licensesAnswered) expect(activeGids.has(license)).toBe(true);
      expect(active.length).toBeLessThanOrEqual(LICENSES);
      expect(await checkInvariants(db.prisma)).toEqual({});

      // Nothing is left locked: a new server hands out the rest.
      const next = await start(unlimited);
      await next.waitFor(/GraphQL API: /);
      const rest = LICENSES - active.length;
      const fresh = pool.gids.students.slice(200, 240); // students the first server never saw
      const more = await Promise.all(
        fresh.map((user) => mutate(next.url, admin, ASSIGN_LICENSE, { school: pool.gids.school, product: pool.gids.product, user, reuseStarted: false })),
      );
      const expected = { AssignLicensePayload: Math.min(rest, 40), NO_LICENSE_AVAILABLE: 40 - Math.min(rest, 40) };
      expect(tally(more)).toEqual(Object.fromEntries(Object.entries(expected).filter(([, n]) => n > 0)));
      expect(await checkInvariants(db.prisma)).toEqual({});
      next.kill('SIGTERM');
      await eventually(async () => expect(next.child.exitCode).toBe(0), 'the server to exit');
    });
  });
});
