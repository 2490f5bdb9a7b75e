// Inputs say what they mean: one outcome per user given, repeated users answered explicitly, an
// end date only with reuse, and pre-assignments of a direct order taken from its own licenses.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataOf, startTestApi, TEST_AUTH, type TestApi } from '../testing/harness.ts';
import { ASSIGN_LICENSE, ASSIGN_LICENSES, PLACE_ORDER } from '../testing/operations.ts';
import { countRows, rowChanges } from '../testing/rows.ts';
import { licensePool, tokenOf, type LicensePool } from '../testing/scenarios.ts';
import { isTimeZone } from '../domain/days.ts';
import { decodeId } from './global-ids.ts';

const backend = process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite';

describe(`inputs that say what they mean on ${backend}`, () => {
  let test: TestApi;
  let pool: LicensePool;
  let admin: string;
  const input = (extra: Record<string, unknown>) => ({ input: { school: pool.gids.school, product: pool.gids.product, ...extra } });

  beforeAll(async () => {
    test = await startTestApi();
    pool = await licensePool(test.db.prisma, test.clock, { licenses: 5, students: 6 });
    admin = await tokenOf(TEST_AUTH, test.clock, pool.adminId);
  });
  afterAll(() => test.close());

  it('assignLicenses answers a user given twice with DUPLICATE_USER there, and gives them one license', async () => {
    const [a, b] = pool.gids.students;
    const result = dataOf(await test.request(admin, ASSIGN_LICENSES, input({ users: [a, b, a], reuseStarted: false }))).assignLicenses;
    expect(
      result.outcomes.map((o: { assigned: boolean; error: { code: string; field: string } | null }) => [
        o.assigned,
        o.error?.code ?? null,
        o.error?.field ?? null,
      ]),
    ).toEqual([
      [true, null, null],
      [true, null, null],
      [false, 'DUPLICATE_USER', 'users'],
    ]);
    expect(result.assignedCount).toBe(2);
  });

  it('an end date with reuseStarted false is INVALID_INPUT on endDate, and nothing is written', async () => {
    const before = await countRows(test.db.prisma);
    const one = dataOf(await test.request(admin, ASSIGN_LICENSE, input({ user: pool.gids.students[2], reuseStarted: false, endDate: '2027-06-01' })));
    expect(one.assignLicense).toMatchObject({ code: 'INVALID_INPUT', field: 'endDate' });
    const many = dataOf(await test.request(admin, ASSIGN_LICENSES, input({ users: [pool.gids.students[2]], reuseStarted: false, endDate: '2027-06-01' })));
    expect(many.assignLicenses).toMatchObject({ code: 'INVALID_INPUT', field: 'endDate' });
    expect(rowChanges(before, await countRows(test.db.prisma))).toEqual({});
  });

  it("a direct order's pre-assignments take its own licenses, not older new ones", async () => {
    const [, , c, d] = pool.gids.students;
    const placed = dataOf(await test.request(admin, PLACE_ORDER, input({ quantity: 2, preAssignTo: [c, d] }))).placeOrder;
    expect(placed.__typename).toBe('OrderPayload');
    const orderId = decodeId(placed.order.id).id;
    // The pool's own new licenses (an older order) are all still new.
    expect(
      await test.db.prisma.license.count({
        where: { schoolId: pool.schoolId, orderId: { not: orderId }, assignedUserId: { in: [pool.studentIds[2]!, pool.studentIds[3]!] } },
      }),
    ).toBe(0);
    const own = await test.db.prisma.license.findMany({ where: { orderId } });
    expect(own.map((l) => l.assignedUserId).sort()).toEqual([pool.studentIds[2], pool.studentIds[3]].sort());
  });

  it('a user given twice in preAssignTo refuses the order with DUPLICATE_USER, writing nothing', async () => {
    const before = await countRows(test.db.prisma);
    const e = pool.gids.students[4];
    const refused = dataOf(await test.request(admin, PLACE_ORDER, input({ quantity: 2, preAssignTo: [e, e] }))).placeOrder;
    expect(refused).toMatchObject({ code: 'DUPLICATE_USER', field: 'preAssignTo' });
    expect(rowChanges(before, await countRows(test.db.prisma))).toEqual({});
  });

  it('time zones are IANA names Intl knows', () => {
    expect(isTimeZone('Europe/Stockholm')).toBe(true);
    expect(isTimeZone('America/New_York')).toBe(true);
    expect(isTimeZone('Europe/Nowhere')).toBe(false);
    expect(isTimeZone("'; DROP TABLE")).toBe(false);
  });
});
