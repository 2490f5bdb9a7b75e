import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatabaseConfigError, openDatabase, preparedStatementNames, statementTexts, transactionSql, withTransactionSql } from './database.ts';
import { Prisma } from './generated/prisma/client.ts';
import { openTestDatabase, type TestDatabase } from './testing/test-database.ts';

const backend = process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite';

describe(`database-level invariants on ${backend}`, () => {
  let db: TestDatabase;
  let ids: { license: string; otherLicense: string; user: string; otherUser: string; product: string; school: string };

  beforeAll(async () => {
    db = await openTestDatabase();
    const p = db.prisma;
    const organisation = await p.organisation.create({ data: { name: 'Org' } });
    const school = await p.school.create({ data: { name: 'School', organisationId: organisation.id } });
    const supplier = await p.supplier.create({ data: { name: 'Supplier' } });
    const product = await p.product.create({
      data: { name: 'Maths', supplierId: supplier.id, validityMonths: 12, deliveryMode: 'DIRECT' },
    });
    const [user, otherUser] = await Promise.all(
      ['a', 'b'].map((n) => p.user.create({ data: { name: n, email: `${n}@example.org`, organisationId: organisation.id } })),
    );
    const now = new Date('2026-01-01T00:00:00Z');
    const order = await p.order.create({
      data: { schoolId: school.id, productId: product.id, quantity: 2, deliveryMode: 'DIRECT', status: 'DELIVERED', placedAt: now },
    });
    const [license, otherLicense] = await Promise.all(
      [1, 2].map(() =>
        p.license.create({
          data: { schoolId: school.id, productId: product.id, orderId: order.id, deliveredAt: now, autoStartOn: now, startedAt: now, endDate: now },
        }),
      ),
    );
    ids = { license: license!.id, otherLicense: otherLicense!.id, user: user!.id, otherUser: otherUser!.id, product: product.id, school: school.id };
  });
  afterAll(() => db.close());

  const assign = (licenseId: string, userId: string) =>
    db.prisma.assignment.create({
      data: { licenseId, userId, productId: ids.product, schoolId: ids.school, assignedAt: new Date() },
    });

  it('rejects a second active assignment of the same license', async () => {
    await assign(ids.license, ids.user);
    await expect(assign(ids.license, ids.otherUser)).rejects.toMatchObject({ code: 'P2002' });
  });

  it('rejects a second active license of the same product for one user', async () => {
    await expect(assign(ids.otherLicense, ids.user)).rejects.toMatchObject({ code: 'P2002' });
  });

  it('allows a new assignment once the previous one ended, and keeps the history', async () => {
    await db.prisma.assignment.updateMany({
      where: { licenseId: ids.license, isActive: true },
      data: { isActive: null, endedAt: new Date(), endReason: 'REVOKED_BY_ADMIN' },
    });
    await assign(ids.license, ids.otherUser);
    expect(await db.prisma.assignment.count({ where: { licenseId: ids.license } })).toBe(2);
  });

  it('rejects an assignment marked inactive without an end, or ended but still active', async () => {
    await expect(db.prisma.assignment.updateMany({ where: { licenseId: ids.license, isActive: true }, data: { isActive: false } })).rejects.toThrow();
    await expect(db.prisma.assignment.updateMany({ where: { licenseId: ids.license, isActive: true }, data: { endedAt: new Date() } })).rejects.toThrow();
  });

  it('rejects an order of zero licenses', async () => {
    const order = db.prisma.order.create({
      data: { schoolId: ids.school, productId: ids.product, quantity: 0, deliveryMode: 'DIRECT', status: 'DELIVERED', placedAt: new Date() },
    });
    await expect(order).rejects.toThrow();
  });
});

describe(`sql, the driver's own reads, on ${backend}`, () => {
  let db: TestDatabase;
  const statements: string[] = [];
  beforeAll(async () => {
    db = await openTestDatabase({ onQuery: (sql) => statements.push(sql) });
  });
  afterAll(() => db.close());

  // Every kind of value a read selects, with parameters as the API binds them (text, cast in SQL).
  const everyKind = (label: string) => Prisma.sql`
    SELECT ${label}::text AS text, ${'0195c1a2-7d4e-7000-8000-000000000001'}::uuid AS uuid, 42::int4 AS int4,
      9007199254740993::int8 AS int8, count(*) AS count, 1.5::float8 AS float8, true AS bool, NULL::text AS nothing,
      '2026-03-29 01:30:00.123+00'::timestamptz AS timestamptz, '2026-03-29 01:30:00.123'::timestamp AS timestamp,
      '2026-03-29'::date AS date, '2026-03-29'::date::text AS "dayText", (extract(epoch FROM '2026-03-29 01:30:00.123+00'::timestamptz) * 1000)::float8 AS epoch,
      json_build_object('n', 1, 'day', '2026-03-29'::date) AS json, '{"a": [1, 2]}'::jsonb AS jsonb,
      ARRAY['a', 'b'] AS "textArray", ARRAY[1, 2]::int4[] AS "intArray", 'SCHOOL_ADMIN'::"SchoolRole" AS "enum"
    FROM (VALUES (1), (2)) v(x)`;

  it("gives each value as Prisma's $queryRaw does", async () => {
    const [direct] = await db.sql<Record<string, unknown>>(everyKind('direct'));
    const [prisma] = await db.prisma.$queryRaw<Record<string, unknown>[]>(everyKind('direct'));
    expect(direct).toEqual(prisma);
    expect(direct).toMatchObject({
      int8: 9007199254740993n,
      count: 2n,
      date: new Date('2026-03-29T00:00:00.000Z'),
      timestamp: new Date('2026-03-29T01:30:00.123Z'),
    });
  });

  it('is counted as a statement, and answers again from a prepared statement', async () => {
    statements.length = 0;
    for (const label of ['a', 'b']) expect(await db.sql<{ label: string }>(Prisma.sql`SELECT ${label}::text AS label`)).toEqual([{ label }]);
    expect(statements).toEqual(['SELECT $1::text AS label', 'SELECT $1::text AS label']);
  });

  it('reads beside Prisma on one connection, whose prepared statements have other names', async () => {
    const one = await openTestDatabase({ maxConnections: 1 });
    try {
      for (let i = 0; i < 2; i++) {
        expect(await one.prisma.$queryRaw<{ n: number }[]>(Prisma.sql`SELECT ${i}::int4 AS n`)).toEqual([{ n: i }]);
        expect(await one.sql<{ t: string }>(Prisma.sql`SELECT ${String(i)}::text AS t`)).toEqual([{ t: String(i) }]);
      }
    } finally {
      await one.close();
    }
  });
});

describe(`listen on ${backend}`, () => {
  // Subscriptions to several channels start at once (the API's event streams of one request).
  // Their LISTEN statements share one connection, which must send them one after the other: pg 9
  // refuses a query on a connection still busy with one (the tests fail on its deprecation).
  it('hears every channel subscribed at once, each channel its own payloads', async () => {
    const db = await openTestDatabase();
    try {
      const channels = ['licenses_a', 'licenses_b', 'licenses_c'];
      const heard = new Map<string, string[]>(channels.map((channel) => [channel, []]));
      await Promise.all(channels.map((channel) => db.listen(channel, (payload) => heard.get(channel)!.push(payload))));
      for (const channel of channels) await db.prisma.$executeRaw`SELECT pg_notify(${channel}, ${`to ${channel}`})`;
      await expect.poll(() => [...heard.values()].flat().length).toBe(channels.length);
      expect(Object.fromEntries(heard)).toEqual(Object.fromEntries(channels.map((channel) => [channel, [`to ${channel}`]])));
    } finally {
      await db.close();
    }
  });
});

describe(`transactionSql, a transaction's statements on its connection, on ${backend}`, () => {
  let db: TestDatabase;
  const statements: string[] = [];
  beforeAll(async () => {
    db = await openTestDatabase({ onQuery: (sql) => statements.push(sql) });
  });
  afterAll(() => db.close());

  const organisations = (name: string) => db.prisma.organisation.count({ where: { name } });
  const insert = (name: string) => Prisma.sql`INSERT INTO "Organisation" (id, name) VALUES (gen_random_uuid(), ${name})`;

  it("writes in the transaction: Prisma's statements in it see the write, a rollback undoes it, a commit keeps it", async () => {
    await expect(
      withTransactionSql(() =>
        db.prisma.$transaction(async (tx) => {
          expect(await transactionSql()!(insert('rolled back'))).toEqual({ rows: [], count: 1 });
          expect(await tx.organisation.count({ where: { name: 'rolled back' } })).toBe(1);
          throw new Error('roll back');
        }),
      ),
    ).rejects.toThrow('roll back');
    expect(await organisations('rolled back')).toBe(0);
    await withTransactionSql(() => db.prisma.$transaction(async () => void (await transactionSql()!(insert('kept')))));
    expect(await organisations('kept')).toBe(1);
  });

  it("gives each value as Prisma's $queryRaw does, and a moment as UTC whatever the process's zone", async () => {
    const query = Prisma.sql`SELECT ${new Date('2026-03-29T01:30:00.123Z')}::timestamp AS moment, 9007199254740993::int8 AS int8,
      '2026-03-29'::date AS date, json_build_object('n', 1) AS json, 'SCHOOL_ADMIN'::"SchoolRole" AS "enum", 1.5::float8 AS float8`;
    const zone = process.env.TZ;
    process.env.TZ = 'Europe/Stockholm'; // Node applies it at once: pg would send 02:30:00.123+01:00
    const [direct, prisma] = await withTransactionSql(() =>
      db.prisma.$transaction(async (tx) => [
        (await transactionSql()!<Record<string, unknown>>(query)).rows[0],
        (await tx.$queryRaw<Record<string, unknown>[]>(query))[0],
      ]),
    );
    if (zone === undefined) delete process.env.TZ;
    else process.env.TZ = zone;
    expect(direct).toEqual(prisma);
    expect(direct).toMatchObject({ moment: new Date('2026-03-29T01:30:00.123Z'), int8: 9007199254740993n });
  });

  it("runs a nested read's statements one after the other on the transaction's connection", async () => {
    // Prisma reads relations loaded by their own statements at once; in a transaction those share
    // its connection, where pg 9 refuses a statement sent while another runs (the tests fail on
    // its deprecation).
    const organisation = await db.prisma.organisation.create({ data: { name: 'Nested', schools: { create: [{ name: 'A' }, { name: 'B' }] } } });
    const read = await db.prisma.$transaction((tx) =>
      tx.organisation.findUniqueOrThrow({
        where: { id: organisation.id },
        relationLoadStrategy: 'query',
        include: { schools: { orderBy: { name: 'asc' } }, users: true, groups: true, apiCredentials: true, rosterImports: true },
      }),
    );
    expect(read).toMatchObject({ name: 'Nested', schools: [{ name: 'A' }, { name: 'B' }], users: [], groups: [], apiCredentials: [], rosterImports: [] });
  });

  it('is counted as a statement; null outside such a transaction', async () => {
    statements.length = 0;
    await withTransactionSql(() => db.prisma.$transaction(async () => void (await transactionSql()!(Prisma.sql`SELECT 1`))));
    expect(statements).toContain('SELECT 1');
    expect(transactionSql()).toBeNull();
    await db.prisma.$transaction(async () => expect(transactionSql()).toBeNull());
  });
});

describe('prepared statements', () => {
  it('names each SQL text once, and leaves the texts past the bound unnamed', () => {
    const nameOf = preparedStatementNames(2);
    const first = nameOf({ sql: 'SELECT 1' });
    const second = nameOf({ sql: 'SELECT $1::int' });
    expect(first).toMatch(/^prisma_/);
    expect(second).toMatch(/^prisma_/);
    expect(second).not.toBe(first);
    expect(nameOf({ sql: 'SELECT 1' })).toBe(first);
    expect(nameOf({ sql: 'SELECT 2' })).toBe(''); // the protocol's unnamed statement
    expect(nameOf({ sql: 'SELECT $1::int' })).toBe(second);
  });

  it.runIf(process.env.DATABASE_URL)('PostgreSQL prepares a repeated query once per connection; turned off, not at all', async () => {
    for (const preparedStatements of [true, false]) {
      const db = await openTestDatabase({ maxConnections: 1, preparedStatements });
      try {
        for (let i = 0; i < 3; i++) await db.prisma.product.findMany({ where: { name: 'Maths' } });
        const prepared = await db.prisma.$queryRaw<{ name: string; statement: string; executions: number }[]>`
          SELECT name, statement, (generic_plans + custom_plans)::int AS executions FROM pg_prepared_statements`;
        const products = prepared.filter((row) => row.statement.includes('"Product"'));
        if (preparedStatements) {
          expect(products).toEqual([{ name: expect.stringMatching(/^prisma_/), statement: expect.any(String), executions: 3 }]);
        } else {
          expect(prepared).toEqual([]);
        }
      } finally {
        await db.close();
      }
    }
  });
});

describe('opening a database with bad configuration', () => {
  it('says in one line that DATABASE_URL is malformed', async () => {
    await expect(openDatabase({ url: 'not a url' })).rejects.toThrow(DatabaseConfigError);
    await expect(openDatabase({ url: 'mysql://localhost/x' })).rejects.toThrow(/must start with postgres:\/\//);
  });

  it('says in one line that the server cannot be reached', async () => {
    const error = await openDatabase({ url: 'postgres://nobody@127.0.0.1:1/none' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabaseConfigError);
    expect((error as Error).message).toMatch(/^cannot connect to PostgreSQL at 127\.0\.0\.1:1\/none: /);
    expect((error as Error).message).not.toContain('\n');
  });
});

describe('the text of a statement, found by its strings (statementTexts)', () => {
  const named = () => {
    const names: string[] = [];
    return { names, textOf: statementTexts((text) => (names.push(text), `s${names.length}`), 3) };
  };

  it('is joined and named once per strings, whatever the values, and is the same text every time', () => {
    const { names, textOf } = named();
    const read = (id: string, limit: number) => Prisma.sql`SELECT ${Prisma.raw('a')} FROM t WHERE id = ${id}::uuid LIMIT ${limit}`;
    const first = textOf(read('x', 1));
    expect(first).toMatchObject({ text: 'SELECT a FROM t WHERE id = $1::uuid LIMIT $2', name: 's1' });
    const again = textOf(read('y', 2));
    expect(again.name).toBe('s1');
    expect(again.text).toBe(first.text);
    expect(names).toHaveLength(1);
  });

  it('tells apart statements of the same length and number of strings', () => {
    const { textOf } = named();
    const a = textOf(Prisma.sql`SELECT ${1} FROM ab`);
    const b = textOf(Prisma.sql`SELECT ${1} FROM ba`);
    const c = textOf(Prisma.sql`SELECT ${1}, ${2} FROM a`);
    expect([a.text, b.text, c.text]).toEqual(['SELECT $1 FROM ab', 'SELECT $1 FROM ba', 'SELECT $1, $2 FROM a']);
    expect(new Set([a.name, b.name, c.name]).size).toBe(3);
    expect(textOf(Prisma.sql`SELECT ${2} FROM ba`)).toEqual(b);
  });

  it('keeps at most `max` statements: the next ones are joined and named at each use', () => {
    const { names, textOf } = named();
    for (const table of ['a', 'b', 'c', 'd', 'd']) textOf(Prisma.sql`SELECT ${1} FROM ${Prisma.raw(table)}`);
    expect(names).toEqual(['SELECT $1 FROM a', 'SELECT $1 FROM b', 'SELECT $1 FROM c', 'SELECT $1 FROM d', 'SELECT $1 FROM d']);
  });
});
