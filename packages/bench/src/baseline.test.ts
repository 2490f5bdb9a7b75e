// The benchmark's smoke check (the benchmark itself is `npm run bench`, never part of the tests):
// on a tiny generated data set, the hand-written baseline answers every benchmark request with
// exactly the JSON the API answers, and writes the same audit trail, so that the benchmark
// compares equal work. PGlite in memory, or PostgreSQL when DATABASE_URL is set.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PGlite } from '@electric-sql/pglite';
import { encodeGlobalID } from '@pothos/plugin-relay';
import { createApi, ManualClock, signUserToken } from '@school-licenses/api';
import { PrismaClient, readMigrations } from '@school-licenses/db';
import { openTestDatabase } from '@school-licenses/db/testing';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBaselineHandler } from './baseline.ts';
import { generateDataSet, readManifest, type Manifest, type Scale } from './data-set.ts';
import { body, type OperationName } from './operations.ts';
import { fromPglite, openSql, type Sql } from './sql.ts';

const TINY: Scale = {
  schools: 2,
  studentsPerSchool: 30,
  teachersPerSchool: 2,
  products: 6,
  productsPerSchool: 3,
  licenses: { assigned: 10, reusable: 6, expired: 2, new: 4 },
};
const SECRET = 'smoke-test-secret-that-is-long-enough-0123456789';
const backend = process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite';

describe(`the baseline answers as the API does, on ${backend}`, () => {
  let sql: Sql;
  let prisma: PrismaClient;
  let close: () => Promise<void>;
  let manifest: Manifest;
  let token: string;
  const servers: Server[] = [];
  const urls = { api: '', baseline: '' };

  const listen = async (handler: Parameters<typeof createServer>[1]) => {
    const server = createServer(handler).listen(0, '127.0.0.1');
    servers.push(server);
    await new Promise((resolve) => server.once('listening', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  };
  const send = async (to: keyof typeof urls, operation: OperationName, variables: Record<string, unknown>) => {
    const response = await fetch(urls[to], {
      method: 'POST',
      // The floor is asked without a credential, as the benchmark asks it.
      headers: { 'content-type': 'application/json', ...(operation === 'Floor' ? {} : { authorization: `Bearer ${token}` }) },
      body: body(operation, variables),
    });
    expect(response.status).toBe(200);
    return (await response.json()) as { data: any; errors?: unknown };
  };
  const both = async (operation: OperationName, variables: Record<string, unknown>) => {
    const [api, baseline] = [await send('api', operation, variables), await send('baseline', operation, variables)];
    expect(api.errors).toBeUndefined();
    return { api, baseline };
  };

  beforeAll(async () => {
    if (process.env.DATABASE_URL) {
      const db = await openTestDatabase();
      prisma = db.prisma;
      sql = await openSql({ url: db.url });
      close = async () => {
        await sql.close();
        await db.close();
      };
    } else {
      // One PGlite for both, as two instances cannot share a directory.
      const pglite = await PGlite.create({ parsers: { 1114: (value: string) => new Date(`${value.replace(' ', 'T')}Z`) } });
      for (const migration of await readMigrations()) await pglite.exec(migration.sql);
      prisma = new PrismaClient({ adapter: new PrismaPGlite(pglite) });
      sql = fromPglite(pglite);
      close = async () => {
        await prisma.$disconnect();
        await pglite.close();
      };
    }
    await generateDataSet(sql, TINY);
    manifest = await readManifest(sql);
    // Both servers see the same moment, so dates and states compare exactly.
    const clock = new ManualClock(new Date());
    token = await signUserToken({ jwtSecret: SECRET }, manifest.adminId, { now: clock.now() });
    urls.api = await listen(createApi({ prisma, clock, auth: { jwtSecret: SECRET }, graphiql: false }));
    urls.baseline = await listen(createBaselineHandler({ sql, jwtSecret: SECRET, now: () => clock.now() }));
  });
  afterAll(async () => {
    for (const server of servers) server.close();
    await close?.();
  });

  it('generated the data set it describes', async () => {
    expect(manifest.schools).toHaveLength(TINY.schools);
    for (const school of manifest.schools) {
      expect(school.products).toHaveLength(TINY.productsPerSchool);
      for (const product of school.products) expect(product.freeStudents.length).toBeGreaterThan(0);
    }
    const [counts] = await sql.query<{ licenses: number; active: number }>(
      `SELECT (SELECT count(*)::int FROM "License") AS licenses, (SELECT count(*)::int FROM "Assignment" WHERE "isActive") AS active`,
    );
    const perProduct = TINY.licenses.assigned + TINY.licenses.reusable + TINY.licenses.expired + TINY.licenses.new;
    expect(counts).toEqual({
      licenses: TINY.schools * TINY.productsPerSchool * perProduct,
      active: TINY.schools * TINY.productsPerSchool * TINY.licenses.assigned,
    });
  });

  it('the admin view, for a full and a partial page', async () => {
    for (const first of [50, 3]) {
      const { api, baseline } = await both('AdminView', { school: encodeGlobalID('School', manifest.schools[0]!.id), first });
      expect(api.data.school.products).toHaveLength(TINY.productsPerSchool);
      expect(baseline).toEqual(api);
    }
  });

  it('the floor, without a credential', async () => {
    const { api, baseline } = await both('Floor', {});
    expect(api).toEqual({ data: { __typename: 'Query' } });
    expect(baseline).toEqual(api);
  });

  it('availability', async () => {
    const school = manifest.schools[1]!;
    const variables = { school: encodeGlobalID('School', school.id), product: encodeGlobalID('Product', school.products[0]!.id) };
    const { api, baseline } = await both('Availability', variables);
    expect(api.data.schoolProduct.availability.reusable.total).toBe(TINY.licenses.reusable);
    expect(baseline).toEqual(api);
  });

  it('the entitlement check, of a holder and of a student who holds nothing', async () => {
    const holder = manifest.holders[0]!;
    const product = manifest.schools[0]!.products[0]!;
    const asked = [
      { user: holder.userId, product: holder.productId },
      { user: product.freeStudents[0]!, product: product.id },
    ];
    const answers = [];
    for (const { user, product } of asked) {
      const { api, baseline } = await both('Entitlement', { user: encodeGlobalID('User', user), product: encodeGlobalID('Product', product) });
      expect(baseline).toEqual(api);
      answers.push(api.data.entitlement.holds);
    }
    expect(answers).toEqual([true, false]);
  });

  it('assignLicense from the pool and revokeLicense, with the same audit trail', async () => {
    const school = manifest.schools[0]!;
    const product = school.products[0]!;
    const input = {
      school: encodeGlobalID('School', school.id),
      product: encodeGlobalID('Product', product.id),
      user: encodeGlobalID('User', product.freeStudents[0]!),
      reuseStarted: true,
      endDate: product.poolEndDate,
    };
    const trail = async () =>
      sql.query<{ action: string; before: unknown; after: unknown; actorLabel: string }>(
        `SELECT action::text, before, after, "actorLabel" FROM "AuditEvent" ORDER BY "createdAt", action`,
      );

    const apiAssign = await send('api', 'Assign', { input });
    expect(apiAssign.data.assignLicense.__typename).toBe('AssignLicensePayload');
    const licenseId = apiAssign.data.assignLicense.license.id as string;
    const apiRevoke = await send('api', 'Revoke', { license: licenseId });
    const apiTrail = await trail();

    // The revoked license is back in the pool: the baseline takes the same one.
    const baselineAssign = await send('baseline', 'Assign', { input });
    const baselineRevoke = await send('baseline', 'Revoke', { license: licenseId });
    const withoutAssignmentId = (response: { data: any }) => ({
      ...response.data.assignLicense,
      assignment: { ...response.data.assignLicense.assignment, id: 'new' },
    });
    expect(withoutAssignmentId(baselineAssign)).toEqual(withoutAssignmentId(apiAssign));
    expect(baselineRevoke).toEqual(apiRevoke);
    expect(apiRevoke.data.revokeLicense.license.reusable).toBe(true);
    const allTrail = await trail();
    // The generated data set has no audit events: these are the API's two and the baseline's two.
    expect(apiTrail.map((event) => event.action)).toEqual(['LICENSE_ASSIGNED', 'LICENSE_REVOKED']);
    expect(allTrail).toEqual(apiTrail.flatMap((event) => [event, event]));
  });
});
