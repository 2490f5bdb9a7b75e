// Property-based tests: every mutation with random inputs (strings, IDs, dates and numbers at
// the edges) answers with its payload, a typed error, or a GraphQL validation error; never a 500,
// never an unexpected (masked) error. After each mutation's run, every invariant still holds.
import { openTestDatabase, type TestDatabase } from '@school-licenses/db/testing';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.ts';
import { TEST_AUTH, TEST_START } from '../testing/harness.ts';
import { listen, postGraphQL, type Listening } from '../testing/http.ts';
import { checkInvariants } from '../testing/invariants.ts';
import {
  ASSIGN_LICENSE,
  ASSIGN_LICENSES,
  CREATE_ACTIVATION_LINK,
  DELIVER_ORDER,
  MARK_NOTIFICATIONS_READ,
  PLACE_ORDER,
  REDEEM_ACTIVATION_LINK,
  REMOVE_MY_LICENSE,
  REVOKE_LICENSE,
} from '../testing/operations.ts';
import { gid } from '../testing/ids.ts';
import { activationLink, awaitingDelayedOrder, licensePool, tokenOf, type LicensePool } from '../testing/scenarios.ts';
import { createApi } from '../yoga.ts';

const backend = process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite';
const NUM_RUNS = Number(process.env.FUZZ_RUNS ?? 40);

describe(`fuzzing every mutation on ${backend}`, () => {
  let db: TestDatabase;
  let server: Listening;
  const clock = new ManualClock(TEST_START);
  let pool: LicensePool;
  let tokens: { admin: string; student: string; supplier: string; activationSupplier: string; other: string };
  const real = { licenses: [] as string[], orders: [] as string[], tokens: [] as string[], endDates: [] as string[] };

  beforeAll(async () => {
    db = await openTestDatabase();
    server = await listen(createApi({ prisma: db.prisma, clock, auth: TEST_AUTH, graphiql: false }));
    pool = await licensePool(db.prisma, clock, { licenses: 30, students: 20 });
    tokens = {
      admin: await tokenOf(TEST_AUTH, clock, pool.adminId),
      student: await tokenOf(TEST_AUTH, clock, pool.studentIds[0]!),
      supplier: pool.supplierKey,
      activationSupplier: pool.activationSupplierKey,
      other: await tokenOf(TEST_AUTH, clock, pool.otherOrganisation.adminId),
    };
    // Real things to aim at, among the random ones.
    for (let i = 0; i < 3; i++) real.orders.push(gid('Order', (await awaitingDelayedOrder(db.prisma, clock, pool, 2)).id));
    for (let i = 0; i < 3; i++) {
      const link = await activationLink(db.prisma, clock, pool, 2);
      real.orders.push(gid('Order', link.order.id));
      real.tokens.push(link.token);
    }
    const licenses = await db.prisma.license.findMany({ where: { schoolId: pool.schoolId }, take: 5 });
    real.licenses.push(...licenses.map((l) => gid('License', l.id)));
    real.endDates.push(...licenses.map((l) => l.endDate.toISOString().slice(0, 10)));
  });
  afterAll(async () => {
    await server?.close();
    await db?.close();
  });

  // --- Arbitraries: edges first, then anything ---------------------------------------------------
  const anyString = fc.oneof(
    fc.constantFrom('', ' ', '\u0000', '\'; DROP TABLE "License"; --', '%', '\\', '😀'.repeat(50), 'x'.repeat(5000)),
    fc.string({ maxLength: 300 }),
    fc.string({ unit: 'binary', maxLength: 100 }),
  );
  const uuidLike = fc.oneof(fc.uuid(), fc.constantFrom('00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff'));
  const typeName = fc.constantFrom('School', 'Product', 'User', 'License', 'Order', 'Assignment', 'Organisation', 'Nope', '');
  const id = (pick: () => string[]) =>
    fc.oneof(
      fc.constantFrom(...pick()),
      fc.tuple(typeName, uuidLike).map(([type, uuid]) => gid(type, uuid)),
      fc.tuple(typeName, anyString).map(([type, raw]) => gid(type, raw)),
      anyString,
    );
  const schoolId = () => id(() => [pool.gids.school, gid('School', pool.otherOrganisation.schoolId)]);
  const productId = () => id(() => [pool.gids.product, pool.gids.delayedProduct, pool.gids.activationProduct]);
  const userId = () => id(() => [...pool.gids.students.slice(0, 5), gid('User', pool.adminId), gid('User', pool.otherOrganisation.adminId)]);
  const licenseId = () => id(() => real.licenses);
  const orderId = () => id(() => real.orders);
  const date = () =>
    fc.oneof(
      fc.constantFrom(
        null,
        '0001-01-01T00:00:00.000Z',
        '9999-12-31T23:59:59.999Z',
        '+275760-09-13T00:00:00.000Z',
        '-271821-04-20T00:00:00.000Z',
        '1970-01-01T00:00:00Z',
        '2027-02-30T00:00:00Z',
        'yesterday',
        '',
        '2027-01-01',
        '2027-01-01T00:00:00+14:00',
        '0001-01-01',
        '9999-12-31',
        '2027-02-29',
        '2028-02-29',
        '2027-13-01',
      ),
      fc.constantFrom(...real.endDates),
      fc.date({ min: new Date(-8.64e15), max: new Date(8.64e15), noInvalidDate: true }).map((d) => d.toISOString()),
      anyString,
    );
  const int = fc.oneof(
    fc.constantFrom(0, 1, -1, 100, 101, 10_000, 10_001, 365, 366, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, 2 ** 53, 1.5, null),
    fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  );
  const key = fc.option(fc.oneof(anyString, fc.constantFrom('k1', 'k2', 'x'.repeat(200), 'x'.repeat(201))), { nil: undefined });
  const token = fc.constantFrom<keyof typeof tokens>('admin', 'student', 'supplier', 'activationSupplier', 'other');

  /** Sends one mutation; fails on a 500 or an unexpected error, else returns quietly. */
  async function send(who: keyof typeof tokens, query: string, variables: Record<string, unknown>) {
    const response = await postGraphQL(server.url, tokens[who], query, variables);
    const unexpected = (response.errors ?? []).filter((e) => e.extensions?.code === 'INTERNAL_SERVER_ERROR' || e.extensions?.unexpected);
    if (response.status >= 500 || unexpected.length || response.text.includes('Unexpected error')) {
      throw new Error(`HTTP ${response.status} for ${JSON.stringify(variables).slice(0, 500)}: ${response.text.slice(0, 500)}`);
    }
    // Anything else is a typed answer: the payload or error as data (200), or a refused request.
    expect([200, 400, 401, 403, 413]).toContain(response.status);
    if (response.status === 200 && !response.errors) {
      const value = Object.values(response.data as object)[0] as { __typename: string; code?: string };
      expect(value.__typename).toMatch(/Payload$|Error$/);
    }
  }

  // Arbitraries are made when the test runs: they aim at the scenario's real IDs.
  const property = (name: string, arbitrary: () => fc.Arbitrary<[keyof typeof tokens, string, Record<string, unknown>]>) =>
    it(`${name}: only payloads and typed errors, never a 500; the invariants hold after`, async () => {
      await fc.assert(
        fc.asyncProperty(arbitrary(), ([who, query, variables]) => send(who, query, variables)),
        { numRuns: NUM_RUNS },
      );
      expect(await checkInvariants(db.prisma)).toEqual({});
    });

  property('assignLicense', () =>
    fc.tuple(
      token,
      fc.constant(ASSIGN_LICENSE),
      fc.record({
        input: fc.record({ school: schoolId(), product: productId(), user: userId(), reuseStarted: fc.boolean(), endDate: date(), idempotencyKey: key }),
      }),
    ),
  );
  property('assignLicenses', () =>
    fc.tuple(
      token,
      fc.constant(ASSIGN_LICENSES),
      fc.record({
        input: fc.record({
          school: schoolId(),
          product: productId(),
          users: fc.array(userId(), { maxLength: 105 }),
          reuseStarted: fc.boolean(),
          endDate: date(),
          dryRun: fc.option(fc.boolean(), { nil: undefined }),
          idempotencyKey: key,
        }),
      }),
    ),
  );
  property('revokeLicense', () => fc.tuple(token, fc.constant(REVOKE_LICENSE), fc.record({ input: fc.record({ license: licenseId(), idempotencyKey: key }) })));
  property('removeMyLicense', () =>
    fc.tuple(token, fc.constant(REMOVE_MY_LICENSE), fc.record({ input: fc.record({ license: licenseId(), idempotencyKey: key }) })),
  );
  property('placeOrder', () =>
    fc.tuple(
      token,
      fc.constant(PLACE_ORDER),
      fc.record({
        input: fc.record({
          school: schoolId(),
          product: productId(),
          quantity: int,
          preAssignTo: fc.option(fc.array(userId(), { maxLength: 5 }), { nil: undefined }),
          idempotencyKey: key,
        }),
      }),
    ),
  );
  property('deliverOrder', () => fc.tuple(token, fc.constant(DELIVER_ORDER), fc.record({ input: fc.record({ order: orderId(), idempotencyKey: key }) })));
  property('createActivationLink', () =>
    fc.tuple(token, fc.constant(CREATE_ACTIVATION_LINK), fc.record({ input: fc.record({ order: orderId(), validForDays: int }) })),
  );
  property('redeemActivationLink', () =>
    fc.tuple(
      token,
      fc.constant(REDEEM_ACTIVATION_LINK),
      fc.record({
        input: fc.record({ token: fc.oneof(fc.constantFrom(...real.tokens), anyString, fc.constant('act_')), idempotencyKey: key }),
      }),
    ),
  );
  property('markNotificationsRead', () =>
    fc.tuple(
      token,
      fc.constant(MARK_NOTIFICATIONS_READ),
      fc.record({
        input: fc.option(
          fc.record({
            notifications: fc.option(
              fc.array(
                id(() => [gid('Notification', '00000000-0000-0000-0000-000000000000')]),
                { maxLength: 5 },
              ),
              { nil: undefined },
            ),
          }),
          { nil: undefined },
        ),
      }),
    ),
  );
});
