// Bounded queries, each answered with a clear error: depth, breadth, cost, page size, aliases,
// batching, body size, the per-credential rate limit; introspection and GraphiQL switched off.
import { openTestDatabase, type TestDatabase } from '@school-licenses/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.ts';
import { TEST_AUTH, TEST_START } from '../testing/harness.ts';
import { listen, postGraphQL, type Listening } from '../testing/http.ts';
import { licensePool, tokenOf, type LicensePool } from '../testing/scenarios.ts';
import { readConfig } from '../config.ts';
import { createApi } from '../yoga.ts';

const backend = process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite';
const codes = (response: { errors?: { extensions?: Record<string, unknown> }[] }) => response.errors?.map((e) => e.extensions?.code);

describe(`bounded queries on ${backend}`, () => {
  let db: TestDatabase;
  let open: Listening; // defaults, rate limited
  let locked: Listening; // production: no introspection, no GraphiQL
  const clock = new ManualClock(TEST_START);
  let pool: LicensePool;
  let admin: string;

  beforeAll(async () => {
    db = await openTestDatabase();
    open = await listen(createApi({ prisma: db.prisma, clock, auth: TEST_AUTH }));
    locked = await listen(
      createApi({ prisma: db.prisma, clock, auth: TEST_AUTH, graphiql: false, limits: { introspection: false, rateLimit: { perMinute: 1, burst: 3 } } }),
    );
    pool = await licensePool(db.prisma, clock, { licenses: 3, students: 3 });
    admin = await tokenOf(TEST_AUTH, clock, pool.adminId);
  });
  afterAll(async () => {
    await open?.close();
    await locked?.close();
    await db?.close();
  });

  it('a query nested deeper than 12 levels is refused (QUERY_TOO_DEEP) before anything runs', async () => {
    let selection = 'name';
    for (let i = 0; i < 5; i++) selection = `organisation { schools { edges { node { ${selection} } } } }`;
    const response = await postGraphQL(open.url, admin, `{ schools { edges { node { ${selection} } } } }`);
    expect(codes(response)).toEqual(['QUERY_TOO_DEEP']);
    expect(response.errors![0]!.message).toMatch(/depth is \d+, above the limit of 12/);
    expect(response.data?.schools ?? null).toBeNull();
  });

  it('a query that costs too much is refused (QUERY_TOO_COMPLEX)', async () => {
    const response = await postGraphQL(
      open.url,
      admin,
      `{ schools(first: 100) { edges { node { members(first: 100) { edges { node { user { assignments(first: 100) { edges { node { license { id } } } } } } } } } } } }`,
    );
    expect(codes(response)).toEqual(['QUERY_TOO_COMPLEX']);
  });

  it('too many fields side by side is refused (QUERY_TOO_BROAD), even where aliases are allowed', async () => {
    const fields = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `f${i}: viewer { kind }`).join(' ')} }`;
    // With the default alias limit, the alias limit answers first.
    expect(codes(await postGraphQL(open.url, admin, fields(160)))).toEqual(['TOO_MANY_ALIASES']);
    const lenient = await listen(createApi({ prisma: db.prisma, clock, auth: TEST_AUTH, limits: { maxAliases: 1_000 } }));
    try {
      const broad = await postGraphQL(lenient.url, admin, fields(160));
      expect(codes(broad)).toEqual(['QUERY_TOO_BROAD']);
      expect((await postGraphQL(lenient.url, admin, fields(60))).errors).toBeUndefined();
    } finally {
      await lenient.close();
    }
  });

  it('a page of more than 100 is an error (PAGE_SIZE_TOO_LARGE), not silently 100; literal or variable', async () => {
    const literal = await postGraphQL(open.url, admin, `{ schools(first: 500) { edges { node { id } } } }`);
    expect(literal.status).toBe(200);
    expect(codes(literal)).toEqual(['PAGE_SIZE_TOO_LARGE']);
    expect(literal.errors![0]!.message).toContain('schools(first: 500)');
    const variable = await postGraphQL(open.url, admin, `query($n: Int) { schools(last: $n) { edges { node { id } } } }`, { n: 101 });
    expect(codes(variable)).toEqual(['PAGE_SIZE_TOO_LARGE']);
    const byDefault = await postGraphQL(open.url, admin, `query($n: Int = 1000) { schools(first: $n) { totalCount } }`);
    expect(codes(byDefault)).toEqual(['PAGE_SIZE_TOO_LARGE']);
    const negative = await postGraphQL(open.url, admin, `{ schools(first: -1) { totalCount } }`);
    expect(negative.errors).toBeDefined();
    const hundred = await postGraphQL(open.url, admin, `{ schools(first: 100) { totalCount edges { node { id } } } }`);
    expect(hundred.errors).toBeUndefined();
    expect(hundred.data.schools.totalCount).toBe(1);
  });

  it("the page size is checked against each request's variables, also when the same document is sent again", async () => {
    const query = `query($n: Int) { schools(first: $n) { totalCount } }`;
    for (const [n, expected] of [
      [5, undefined],
      [101, ['PAGE_SIZE_TOO_LARGE']],
      [5, undefined],
      [101, ['PAGE_SIZE_TOO_LARGE']],
    ] as const) {
      expect(codes(await postGraphQL(open.url, admin, query, { n }))).toEqual(expected);
    }
  });

  it('more than 30 aliases is refused (TOO_MANY_ALIASES, HTTP 400)', async () => {
    const ok = await postGraphQL(open.url, admin, `{ ${Array.from({ length: 30 }, (_, i) => `a${i}: __typename`).join(' ')} }`);
    expect(ok.status).toBe(200);
    const response = await postGraphQL(open.url, admin, `{ ${Array.from({ length: 31 }, (_, i) => `a${i}: __typename`).join(' ')} }`);
    expect(response.status).toBe(400);
    expect(codes(response)).toEqual(['TOO_MANY_ALIASES']);
  });

  it('more than 1,000 tokens is refused while parsing (TOO_MANY_TOKENS, HTTP 400), anonymous or not', async () => {
    const typenames = (n: number) => `{ ${Array.from({ length: n }, () => '__typename').join(' ')} }`;
    expect((await postGraphQL(open.url, admin, typenames(140))).status).toBe(200);
    for (const token of [admin, null]) {
      const response = await postGraphQL(open.url, token, typenames(999));
      expect(response.status).toBe(400);
      expect(codes(response)).toEqual(['TOO_MANY_TOKENS']);
    }
  });

  it('a 2,700-level nested document is a 400 with a code, not a stack overflow', async () => {
    const nested = (open: string, close: string) => `{ ${open.repeat(2_700)}__typename${close.repeat(2_700)} }`;
    for (const query of [nested('a { ', ' }'), `query($v: Int = ${'['.repeat(2_700)}1${']'.repeat(2_700)}) { __typename }`]) {
      const response = await postGraphQL(open.url, null, query);
      expect(response.status).toBe(400);
      expect(codes(response)).toEqual(['TOO_MANY_TOKENS']);
      expect(response.text).not.toContain('RangeError');
    }
  });

  it('more than 50 directives is refused (TOO_MANY_DIRECTIVES, HTTP 400)', async () => {
    const skips = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `a${i % 30}: __typename @skip(if: false)`).join(' ')} }`;
    const response = await postGraphQL(open.url, admin, `{ __typename ${Array.from({ length: 51 }, () => '__typename @skip(if: false)').join(' ')} }`);
    expect(response.status).toBe(400);
    expect(codes(response)).toEqual(['TOO_MANY_DIRECTIVES']);
    expect((await postGraphQL(open.url, admin, skips(1))).status).toBe(200);
  });

  it('batches of up to 10 operations run; 11 are refused', async () => {
    const batch = (n: number) =>
      fetch(open.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
        body: JSON.stringify(Array.from({ length: n }, () => ({ query: '{ viewer { kind } }' }))),
      });
    const two = await batch(2);
    expect(two.status).toBe(200);
    expect(await two.json()).toEqual([{ data: { viewer: { kind: 'USER' } } }, { data: { viewer: { kind: 'USER' } } }]);
    const eleven = await batch(11);
    expect(eleven.status).toBe(413);
    expect(JSON.stringify(await eleven.json())).toContain('Batching is limited to 10 operations');
  });

  it('a body over 100 kB is refused (413 REQUEST_TOO_LARGE) before it is parsed', async () => {
    const response = await postGraphQL(open.url, admin, `{ viewer { kind } }`, { padding: 'x'.repeat(120_000) });
    expect(response.status).toBe(413);
    expect(codes(response)).toEqual(['REQUEST_TOO_LARGE']);
  });

  it('a body without a Content-Length (chunked) is refused (411 LENGTH_REQUIRED) before it is read', async () => {
    // fetch sends a streamed body chunked: Transfer-Encoding, no Content-Length.
    const chunks = [JSON.stringify({ query: '{ viewer { kind } }', variables: { padding: 'x'.repeat(120_000) } })];
    const response = await fetch(open.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
      body: new ReadableStream({
        pull(controller) {
          const chunk = chunks.shift();
          if (chunk === undefined) controller.close();
          else controller.enqueue(new TextEncoder().encode(chunk));
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(411);
    expect(codes((await response.json()) as Parameters<typeof codes>[0])).toEqual(['LENGTH_REQUIRED']);
  });

  it('each credential has its own token bucket: past it, 429 RATE_LIMITED with Retry-After', async () => {
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push(await postGraphQL(locked.url, admin, `{ viewer { kind } }`));
    expect(statuses.slice(0, 3).map((r) => r.status)).toEqual([200, 200, 200]);
    const limited = statuses[3]!;
    expect(limited.status).toBe(429);
    expect(codes(limited)).toEqual(['RATE_LIMITED']);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another credential is not affected.
    const supplier = await postGraphQL(locked.url, pool.supplierKey, `{ viewer { kind } }`);
    expect(supplier.status).toBe(200);
  });

  it('a bulk input costs its length: 30 aliased dry runs of 100 users are refused (QUERY_TOO_COMPLEX) before anything runs', async () => {
    const bulk = (aliases: number) =>
      `mutation($input: AssignLicensesInput!) { ${Array.from({ length: aliases }, (_, i) => `a${i}: assignLicenses(input: $input) { __typename }`).join(' ')} }`;
    const input = (users: number) => ({
      school: pool.gids.school,
      product: pool.gids.product,
      users: Array.from({ length: users }, (_, i) => pool.gids.students[i % pool.gids.students.length]),
      reuseStarted: false,
      dryRun: true,
    });
    const heavy = await postGraphQL(open.url, admin, bulk(30), { input: input(100) });
    expect(codes(heavy)).toEqual(['QUERY_TOO_COMPLEX']);
    expect(heavy.errors![0]!.extensions!.actual).toBeGreaterThan(30 * 100);
    const light = await postGraphQL(open.url, admin, bulk(3), { input: input(3) });
    expect(light.errors).toBeUndefined();
  });

  it('the rate limit charges an operation its cost (a token per 1,000), not one per request', async () => {
    const limited = await listen(createApi({ prisma: db.prisma, clock, auth: TEST_AUTH, limits: { rateLimit: { perMinute: 1, burst: 30 } } }));
    try {
      // About 20,000: schools × members × a page of assignments each.
      const expensive = `{ schools(first: 10) { edges { node { members(first: 100) { edges { node { user { assignments(first: 20) { totalCount } } } } } } } } }`;
      const first = await postGraphQL(limited.url, admin, expensive);
      expect(first.errors).toBeUndefined();
      const second = await postGraphQL(limited.url, admin, expensive);
      expect(second.status).toBe(429);
      expect(codes(second)).toEqual(['RATE_LIMITED']);
      // What is left still pays for a cheap one.
      expect((await postGraphQL(limited.url, admin, `{ viewer { kind } }`)).status).toBe(200);
    } finally {
      await limited.close();
    }
  });

  it('past its time budget a request starts no more changes (TIME_BUDGET_EXCEEDED)', async () => {
    const hurried = await listen(createApi({ prisma: db.prisma, clock, auth: TEST_AUTH, limits: { timeBudgetMs: 1 } }));
    try {
      const marks = `mutation { ${Array.from({ length: 5 }, (_, i) => `m${i}: markNotificationsRead { __typename }`).join(' ')} }`;
      const response = await postGraphQL(hurried.url, admin, marks);
      expect(response.status).toBe(503);
      expect(codes(response)).toContain('TIME_BUDGET_EXCEEDED');
      expect((await postGraphQL(open.url, admin, marks)).errors).toBeUndefined();
    } finally {
      await hurried.close();
    }
  });

  it('introspection is off unless configured (INTROSPECTION; the demo turns it on)', async () => {
    const query = `{ __schema { queryType { name } } }`;
    const on = await listen(createApi({ prisma: db.prisma, clock, auth: TEST_AUTH, limits: { introspection: true } }));
    try {
      expect((await postGraphQL(on.url, admin, query)).data).toEqual({ __schema: { queryType: { name: 'Query' } } });
    } finally {
      await on.close();
    }
    for (const url of [open.url, locked.url]) {
      const off = await postGraphQL(url, pool.activationSupplierKey, query);
      expect(off.status).toBe(400);
      expect(off.errors![0]!.message).toMatch(/introspection/i);
    }
    expect(readConfig({}, { demo: false }).limits.introspection).toBe(false);
    expect(readConfig({ INTROSPECTION: 'true' }, { demo: false }).limits.introspection).toBe(true);
    expect(readConfig({}, { demo: true }).limits.introspection).toBe(true);
  });

  it('anonymous and failed-auth requests are limited by client address, before authentication', async () => {
    const lines: string[] = [];
    const log = { ...console, info: (...args: unknown[]) => lines.push(args.join(' ')), warn: (...args: unknown[]) => lines.push(args.join(' ')) };
    const guarded = await listen(createApi({ prisma: db.prisma, clock, auth: TEST_AUTH, log, limits: { addressRateLimit: { perMinute: 1, burst: 3 } } }));
    try {
      const anonymous = [];
      for (let i = 0; i < 3; i++) anonymous.push((await postGraphQL(guarded.url, null, `{ __typename }`)).status);
      expect(anonymous).toEqual([200, 200, 200]);
      for (const token of [null, 'not-a-token']) {
        const refused = await postGraphQL(guarded.url, token, `{ __typename }`);
        expect(refused.status).toBe(429);
        expect(codes(refused)).toEqual(['RATE_LIMITED']);
        expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      }
      // A valid credential from the same address is not refused: it has its own bucket.
      expect((await postGraphQL(guarded.url, admin, `{ viewer { kind } }`)).status).toBe(200);
      // One line per refused request, no stack trace.
      expect(lines.filter((line) => line.includes('RATE_LIMITED'))).toHaveLength(2);
      expect(lines.join('\n')).not.toMatch(/\n\s+at /);
    } finally {
      await guarded.close();
    }
  });

  it('a refused request is one log line with its request id and code, never a stack trace', async () => {
    const lines: string[] = [];
    const log = {
      ...console,
      info: (...args: unknown[]) => lines.push(args.join(' ')),
      warn: (...args: unknown[]) => lines.push(args.join(' ')),
      error: (...args: unknown[]) => lines.push(args.join(' ')),
    };
    const logged = await listen(createApi({ prisma: db.prisma, clock, auth: TEST_AUTH, log }));
    try {
      const nested = `{ ${'a { '.repeat(2_700)}__typename${' }'.repeat(2_700)} }`;
      for (const [token, query] of [
        [null, nested],
        [null, '{ viewer { kind } }'],
        [admin, '{ nope }'],
      ] as const) {
        await postGraphQL(logged.url, token, query);
      }
      // A client that accepts only application/json gets its request error with 200 (GraphQL over
      // HTTP); the line says so.
      const plain = await postGraphQL(logged.url, null, nested, undefined, { accept: 'application/json' });
      expect(plain.status).toBe(200);
      expect(lines).toHaveLength(4);
      expect(lines[0]).toMatch(/^\[request [\w-]+\] refused 400 TOO_MANY_TOKENS/);
      expect(lines[1]).toMatch(/refused 401 UNAUTHENTICATED/);
      expect(lines[2]).toMatch(/refused 400 GRAPHQL_VALIDATION_FAILED/);
      expect(lines[3]).toMatch(/refused 200 TOO_MANY_TOKENS/);
      expect(lines.join('\n')).not.toMatch(/\n\s+at |RangeError/);
    } finally {
      await logged.close();
    }
  });

  it('GraphiQL can be switched off', async () => {
    const page = (url: string) => fetch(url, { headers: { accept: 'text/html' } });
    expect((await page(open.url)).headers.get('content-type')).toContain('text/html');
    expect((await page(locked.url)).headers.get('content-type') ?? '').not.toContain('text/html');
  });

  it('every response carries a request id; a sane one from the client is kept', async () => {
    const response = await postGraphQL(open.url, admin, `{ viewer { kind } }`, undefined, { 'x-request-id': 'client-chosen-42' });
    expect(response.headers.get('x-request-id')).toBe('client-chosen-42');
    const weird = await postGraphQL(open.url, admin, `{ viewer { kind } }`, undefined, { 'x-request-id': 'no spaces <allowed>' });
    expect(weird.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});
