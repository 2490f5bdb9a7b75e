// OpenTelemetry: with an OTLP endpoint configured, a request makes one trace with yoga's operation
// span, a span for a resolver of our schema and Prisma's spans for the database, exported over
// HTTP to a collector (here a tiny OTLP/HTTP receiver that keeps what it is sent).
import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import { openTestDatabase, type TestDatabase } from '@school-licenses/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.ts';
import { TEST_AUTH, TEST_START } from '../testing/harness.ts';
import { eventually, listen, postGraphQL, type Listening } from '../testing/http.ts';
import { licensePool, tokenOf } from '../testing/scenarios.ts';
import { startTracing, type Tracing } from '../tracing.ts';
import { createApi } from '../yoga.ts';

interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
}

describe(`traces exported by OTLP on ${process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'}`, () => {
  let db: TestDatabase;
  let collector: Server;
  let tracing: Tracing;
  let server: Listening;
  let admin: string;
  const clock = new ManualClock(TEST_START);
  const spans: ReceivedSpan[] = [];

  beforeAll(async () => {
    db = await openTestDatabase();
    const pool = await licensePool(db.prisma, clock, { licenses: 1, students: 1 });
    admin = await tokenOf(TEST_AUTH, clock, pool.adminId);
    collector = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        if (req.url === '/v1/traces') {
          const sent = JSON.parse(body) as { resourceSpans: { scopeSpans: { spans: ReceivedSpan[] }[] }[] };
          for (const resource of sent.resourceSpans) for (const scope of resource.scopeSpans) spans.push(...scope.spans);
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    }).listen(0, '127.0.0.1');
    await once(collector, 'listening');
    tracing = startTracing({ endpoint: `http://127.0.0.1:${(collector.address() as { port: number }).port}` });
    server = await listen(createApi({ prisma: db.prisma, clock, auth: TEST_AUTH, tracing: tracing.plugin }));
  });
  afterAll(async () => {
    await server?.close();
    await tracing?.shutdown();
    collector?.close();
    await db?.close();
  });

  it('a request is one trace: the operation, a resolver of ours, and the database queries inside it', async () => {
    const response = await postGraphQL(server.url, admin, `query MySchools { schools(first: 5) { totalCount edges { node { name } } } }`);
    expect(response.errors).toBeUndefined();
    const operation = await eventually(async () => {
      const found = spans.find((span) => span.name.includes('MySchools'));
      if (!found) throw new Error(`no span of the operation yet (${spans.length} spans)`);
      return found;
    }, 'the operation span');
    const trace = await eventually(async () => {
      const inTrace = spans.filter((span) => span.traceId === operation.traceId);
      if (!inTrace.some((span) => span.name.startsWith('prisma:'))) throw new Error('no Prisma span yet');
      return inTrace;
    }, "Prisma's spans");
    const names = trace.map((span) => span.name);
    expect(names).toContain('Query.schools');
    expect(names.some((name) => name === 'prisma:client:operation' || name === 'prisma:client:db_query' || name.startsWith('prisma:engine'))).toBe(true);
    // The database spans hang under the operation, not beside it.
    const ids = new Set(trace.map((span) => span.spanId));
    expect(trace.filter((span) => span !== operation).every((span) => span.parentSpanId && ids.has(span.parentSpanId))).toBe(true);
  });
});
