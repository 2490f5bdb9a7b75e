// What operators see: a JSON log line per request (request id, operation, caller kind, status,
// duration), refused requests still one line without a stack, and Prometheus metrics at /metrics
// behind a bearer token, scraped over HTTP.
import { PassThrough } from 'node:stream';
import { openTestDatabase, type TestDatabase } from '@school-licenses/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.ts';
import { createMetrics } from '../metrics.ts';
import { createServerLog } from '../request-log.ts';
import { TEST_AUTH, TEST_START } from '../testing/harness.ts';
import { listen, postGraphQL, type Listening } from '../testing/http.ts';
import { licensePool, tokenOf, type LicensePool } from '../testing/scenarios.ts';
import { createApi } from '../yoga.ts';

const backend = process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite';
const TOKEN = 'metrics-token-0123456789';

describe(`the operators' view on ${backend}`, () => {
  let db: TestDatabase;
  let server: Listening;
  let pool: LicensePool;
  let admin: string;
  const clock = new ManualClock(TEST_START);
  const lines: Record<string, any>[] = [];

  beforeAll(async () => {
    db = await openTestDatabase();
    pool = await licensePool(db.prisma, clock, { licenses: 2, students: 2 });
    admin = await tokenOf(TEST_AUTH, clock, pool.adminId);
    const destination = new PassThrough();
    let rest = '';
    destination.on('data', (chunk: Buffer) => {
      const text = rest + chunk.toString();
      const complete = text.split('\n');
      rest = complete.pop()!;
      for (const line of complete) lines.push(JSON.parse(line));
    });
    const { log, requestLog } = createServerLog({ format: 'json', level: 'info', destination });
    const metrics = createMetrics({ token: TOKEN, prisma: db.prisma, connections: () => db.connections() });
    server = await listen(createApi({ prisma: db.prisma, clock, auth: TEST_AUTH, log, requestLog: requestLog!, metrics, limits: { maxAliases: 2 } }));
  });
  afterAll(async () => {
    await server?.close();
    await db?.close();
  });

  it('logs one JSON line per request: request id, operation, caller kind, status and duration', async () => {
    const response = await postGraphQL(server.url, admin, `query WhoAmI { viewer { kind } }`);
    expect(response.status).toBe(200);
    const requestId = response.headers.get('x-request-id');
    const entries = lines.filter((line) => line.requestId === requestId);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ msg: 'request', level: 30, operation: 'WhoAmI', operationType: 'query', caller: 'user', status: 200, path: '/graphql' });
    expect(entries[0]!.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('a refused request: its request line with the code, and one refusal line, no stack trace', async () => {
    const response = await postGraphQL(server.url, null, `{ a: __typename b: __typename c: __typename }`);
    expect(response.status).toBe(400);
    const requestId = response.headers.get('x-request-id')!;
    const entries = lines.filter((line) => line.requestId === requestId || String(line.msg).includes(requestId));
    expect(entries).toHaveLength(2);
    expect(entries.find((line) => line.msg === 'request')).toMatchObject({ caller: 'anonymous', status: 400, codes: ['TOO_MANY_ALIASES'] });
    expect(entries.find((line) => line.msg !== 'request')!.msg).toMatch(new RegExp(`^\\[request ${requestId}\\] refused 400 TOO_MANY_ALIASES`));
    expect(JSON.stringify(entries)).not.toMatch(/\\n\s+at /);
  });

  it('serves Prometheus metrics at /metrics to the bearer of METRICS_TOKEN only', async () => {
    const origin = new URL(server.url).origin;
    expect((await fetch(`${origin}/metrics`)).status).toBe(401);
    expect((await fetch(`${origin}/metrics`, { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status).toBe(401);
    await postGraphQL(server.url, admin, `query WhoAmI { viewer { kind } }`);
    const scrape = await fetch(`${origin}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(scrape.status).toBe(200);
    expect(scrape.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await scrape.text();
    const value = (pattern: RegExp) => Number(pattern.exec(text)?.[1] ?? Number.NaN);
    expect(value(/^school_licenses_requests_total\{status="200",code="none",caller="user",operation_type="query"\} (\d+)/m)).toBeGreaterThanOrEqual(2);
    expect(value(/^school_licenses_requests_total\{status="400",code="TOO_MANY_ALIASES",caller="anonymous",operation_type="none"\} (\d+)/m)).toBe(1);
    expect(text).toMatch(/^school_licenses_request_duration_seconds_bucket\{/m);
    expect(text).toMatch(/^graphql_envelop_request_duration_bucket\{/m);
    expect(text).toMatch(/^graphql_yoga_http_duration_bucket\{/m);
    expect(value(/^school_licenses_db_pool_connections\{state="total"\} (\d+)/m)).toBeGreaterThanOrEqual(1);
    expect(value(/^school_licenses_webhook_delivery_lag_seconds (\S+)/m)).toBe(0);
    expect(text).toMatch(/^school_licenses_sweep_last_success_timestamp_seconds 0/m);
    // A scrape is a request too: it has its log line (the first scrape, refused 401, too).
    expect(lines.some((line) => line.path === '/metrics' && line.status === 200)).toBe(true);
  });
});
