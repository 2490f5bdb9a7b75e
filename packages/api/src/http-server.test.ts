// The API over a real socket: node:http's createServer on a free port, as server.ts serves it.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMonths } from './clock.ts';
import { createMetrics } from './metrics.ts';
import type { DemoData } from './seed/demo.ts';
import { TEST_AUTH, TEST_START, startStandardScenario, type TestApi } from './testing/harness.ts';
import { gid, userGid } from './testing/ids.ts';
import { ASSIGN_LICENSE } from './testing/operations.ts';
import { createApi } from './yoga.ts';

const backend = process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite';

describe(`the API over HTTP on ${backend}`, () => {
  let test: TestApi;
  let demo: DemoData;
  let server: Server;
  let base: string;

  const post = async (token: string | null, query: string, variables?: Record<string, unknown>) => {
    const response = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    return { status: response.status, body: (await response.json()) as any };
  };

  // A second API over the same database, as server.ts runs it with METRICS_TOKEN and an address rate limit.
  const METRICS_TOKEN = 'metrics-token-0123456789';
  let operated: Server;
  let operatedBase: string;

  const listen = async (server: Server) => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };

  beforeAll(async () => {
    ({ test, demo } = await startStandardScenario());
    server = createServer(test.api);
    base = await listen(server);
    const metrics = createMetrics({ token: METRICS_TOKEN, prisma: test.db.prisma });
    const api = createApi({
      prisma: test.db.prisma,
      sql: test.db.sql,
      clock: test.clock,
      auth: TEST_AUTH,
      graphiql: false,
      metrics,
      limits: { addressRateLimit: { perMinute: 1, burst: 3 } },
      log: { debug() {}, info() {}, warn() {}, error: console.error },
    });
    operated = createServer(api);
    operatedBase = await listen(operated);
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await new Promise<void>((resolve) => operated.close(() => resolve()));
    await test.close();
  });

  it('answers /health and /ready', async () => {
    const health = await fetch(`${base}/health`);
    expect(health.status).toBe(200);
    const ready = await fetch(`${base}/ready`);
    expect(ready.status).toBe(200);
  });

  it('answers a query with the viewer', async () => {
    const { status, body } = await post(demo.tokens.schoolAdmin, '{ viewer { kind name user { memberships { role school { name } } } } }');
    expect(status).toBe(200);
    expect(body).toEqual({
      data: { viewer: { kind: 'USER', name: 'Sara Skoladmin', user: { memberships: [{ role: 'SCHOOL_ADMIN', school: { name: 'Ekskolan' } }] } } },
    });
  });

  it('assigns a license, and the holder sees it', async () => {
    const input = {
      school: gid('School', demo.ids.ekskolan),
      product: gid('Product', demo.ids.matematik),
      user: await userGid(test.db.prisma, 'svante.student@ekskolan.example'),
      reuseStarted: false,
    };
    const { status, body } = await post(demo.tokens.schoolAdmin, ASSIGN_LICENSE, { input });
    expect(status).toBe(200);
    expect(body.data.assignLicense).toMatchObject({
      __typename: 'AssignLicensePayload',
      license: {
        state: 'STARTED',
        startedAt: TEST_START,
        endDate: addMonths(new Date(TEST_START), 12).toISOString().slice(0, 10),
        holder: { name: 'Svante Elev' },
      },
    });
    const again = await post(demo.tokens.schoolAdmin, ASSIGN_LICENSE, { input });
    expect(again.body.data.assignLicense).toMatchObject({ __typename: 'LicenseError', code: 'USER_ALREADY_HAS_LICENSE' });
  });

  it('answers /ready by its path, whatever the query string, and leaves other paths that end in /ready alone', async () => {
    expect((await fetch(`${base}/ready?probe=1`)).status).toBe(200);
    expect((await fetch(`${base}/health/ready`)).status).toBe(404);
    // Yoga's readiness check answered any URL ending in /ready, a GraphQL request's too.
    const response = await fetch(`${base}/graphql?next=/ready`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${demo.tokens.schoolAdmin}` },
      body: JSON.stringify({ query: '{ viewer { name } }' }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ data: { viewer: { name: 'Sara Skoladmin' } } });
  });

  it("serves GraphiQL's assets from its own copy, and nothing else under that path", async () => {
    const css = await fetch(`${base}/graphiql-assets/graphiql.css`);
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toBe('text/css');
    expect((await css.text()).length).toBeGreaterThan(1_000);
    const js = await fetch(`${base}/graphiql-assets/yoga-graphiql.es.js?v=1`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toBe('text/javascript');
    await js.arrayBuffer();
    expect((await fetch(`${base}/graphiql-assets/missing.js`)).status).toBe(404);
    expect((await fetch(`${base}/graphiql-assets/%2e%2e/package.json`)).status).toBe(404);
    // A GraphQL request whose query string names an asset is a GraphQL request.
    const { status, body } = await post(null, '{ viewer { name } }');
    expect(status).toBe(401);
    expect(body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
    const named = await fetch(`${base}/graphql?x=/graphiql-assets/graphiql.css`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${demo.tokens.schoolAdmin}` },
      body: JSON.stringify({ query: '{ viewer { name } }' }),
    });
    expect(await named.json()).toEqual({ data: { viewer: { name: 'Sara Skoladmin' } } });
  });

  it('serves /metrics to the bearer of METRICS_TOKEN where metrics are on, and nowhere else', async () => {
    expect((await fetch(`${operatedBase}/metrics`)).status).toBe(401);
    const scrape = await fetch(`${operatedBase}/metrics?x=1`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(scrape.status).toBe(200);
    expect(await scrape.text()).toContain('school_licenses_requests_total');
    expect((await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).status).toBe(404);
    // GraphQL requests on the API with metrics are answered as ever, and counted.
    const response = await fetch(`${operatedBase}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${demo.tokens.schoolAdmin}` },
      body: JSON.stringify({ query: '{ viewer { name } }' }),
    });
    expect(await response.json()).toEqual({ data: { viewer: { name: 'Sara Skoladmin' } } });
    const after = await (await fetch(`${operatedBase}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();
    expect(after).toMatch(/school_licenses_requests_total\{status="200",code="none",caller="user",operation_type="query"\} 1/);
  });

  it("charges an address's bucket for requests without a credential only, not for /health, /ready or /metrics", async () => {
    for (const path of ['/health', '/ready', '/metrics', '/health', '/ready', '/metrics']) await (await fetch(`${operatedBase}${path}`)).arrayBuffer();
    const anonymous = async () =>
      (await fetch(`${operatedBase}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ viewer { name } }"}' }))
        .status;
    const statuses = [await anonymous(), await anonymous(), await anonymous(), await anonymous()];
    expect(statuses[0]).toBe(401);
    expect(statuses.at(-1)).toBe(429);
    // A valid credential pays its own bucket, not the address's.
    const withCredential = await fetch(`${operatedBase}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${demo.tokens.schoolAdmin}` },
      body: JSON.stringify({ query: '{ viewer { name } }' }),
    });
    expect(withCredential.status).toBe(200);
  });

  it('answers 401 without credentials', async () => {
    const { status, body } = await post(null, '{ viewer { name } }');
    expect(status).toBe(401);
    expect(body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
  });

  it('answers a malformed request body with a 4xx, not a 500', async () => {
    const response = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${demo.tokens.schoolAdmin}` },
      body: '{"query": "{ viewer { name } }"',
    });
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
  });
});
