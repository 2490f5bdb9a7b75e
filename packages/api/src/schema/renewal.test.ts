// Renewal: the licenses that end within a window, per product and group, in a query and on the
// (i) availability; an order marked as their renewal. Through the GraphQL API on a real database.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DemoData } from '../seed/demo.ts';
import { addDays, formatDay } from '../domain/days.ts';
import { dataOf, startStandardScenario, type TestApi } from '../testing/harness.ts';
import { gid, productGid, rawId } from '../testing/ids.ts';

const backend = process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite';

const EXPIRING = /* GraphQL */ `
  query Expiring($school: ID!, $product: ID, $group: ID, $within: Int, $until: LocalDate) {
    expiringLicenses(school: $school, product: $product, group: $group, within: $within, until: $until) {
      product { name } group { name } licenses assigned
      endDates { endDate daysLeft licenses assigned }
    }
  }`;

const AVAILABILITY_EXPIRING = /* GraphQL */ `
  query AvailabilityExpiring($id: ID!, $within: Int) {
    node(id: $id) { ... on LicenseAvailability { expiring(within: $within) { product { name } licenses assigned endDates { endDate licenses assigned } } } }
  }`;

const PLACE_RENEWAL = /* GraphQL */ `
  mutation PlaceRenewal($input: PlaceOrderInput!) {
    placeOrder(input: $input) {
      __typename
      ... on OrderPayload { order { id status renewalOf { endDate group { name } } } }
      ... on Error { code message field }
    }
  }`;

describe(`renewal on ${backend}`, () => {
  let test: TestApi;
  let demo: DemoData;
  let school: string;
  let matematik: string;
  let classId: string;
  const today = () => new Date(`${test.clock.now().toISOString().slice(0, 10)}T00:00:00Z`);

  /** What the database holds: started, unexpired licenses of Matematik at Ekskolan ending by `until`, per end date. */
  const expected = async (until: Date, holders?: string[]) => {
    const licenses = await test.db.prisma.license.findMany({
      where: {
        schoolId: demo.ids.ekskolan,
        productId: demo.ids.matematik,
        endDate: { gte: today(), lte: until },
        OR: [{ startedAt: { not: null } }, { autoStartOn: { lte: today() } }],
        ...(holders ? { assignedUserId: { in: holders } } : {}),
      },
    });
    const byDay = new Map<string, { licenses: number; assigned: number }>();
    for (const l of licenses) {
      const entry = byDay.get(formatDay(l.endDate)) ?? { licenses: 0, assigned: 0 };
      entry.licenses++;
      if (l.assignedUserId) entry.assigned++;
      byDay.set(formatDay(l.endDate), entry);
    }
    return [...byDay].sort(([a], [b]) => a.localeCompare(b)).map(([endDate, counts]) => ({ endDate, ...counts }));
  };
  const expiring = async (variables: Record<string, unknown>, token = demo.tokens.schoolAdmin) => test.request(token, EXPIRING, { school, ...variables });

  beforeAll(async () => {
    ({ test, demo } = await startStandardScenario());
    school = gid('School', demo.ids.ekskolan);
    matematik = gid('Product', demo.ids.matematik);
    classId = (await test.db.prisma.group.findFirstOrThrow({ where: { name: '7A' } })).id;
  });
  afterAll(() => test.close());

  it('lists the licenses ending within a number of days, per product and end date, held or reusable', async () => {
    const within = 100;
    const until = addDays(today(), within - 1);
    const want = await expected(until);
    expect(want.length).toBeGreaterThan(0);
    expect(want.some((d) => d.assigned > 0) && want.some((d) => d.licenses > d.assigned)).toBe(true);
    const found = dataOf(await expiring({ within })).expiringLicenses;
    expect(found).toEqual([
      {
        product: { name: 'Matematik 7 Digital' },
        group: null,
        licenses: want.reduce((s, d) => s + d.licenses, 0),
        assigned: want.reduce((s, d) => s + d.assigned, 0),
        endDates: want.map((d) => ({ ...d, daysLeft: Math.round((Date.parse(d.endDate) - today().getTime()) / 86_400_000) + 1 })),
      },
    ]);
  });

  it('until a day, for one product, and per group: only the licenses its members hold', async () => {
    const until = '2027-09-30';
    const all = dataOf(await expiring({ until, product: matematik })).expiringLicenses;
    expect(all[0].endDates.map(({ daysLeft: _, ...d }: { daysLeft: number }) => d)).toEqual(await expected(new Date(`${until}T00:00:00Z`)));
    const members = (await test.db.prisma.groupMembership.findMany({ where: { groupId: classId, endedAt: null } })).map((m) => m.userId);
    const forClass = dataOf(await expiring({ until, product: matematik, group: gid('Group', classId) })).expiringLicenses;
    const want = await expected(new Date(`${until}T00:00:00Z`), members);
    expect(forClass[0]).toMatchObject({ group: { name: '7A' }, licenses: want.reduce((s, d) => s + d.licenses, 0) });
    expect(forClass[0].licenses).toBe(forClass[0].assigned);
    expect(forClass[0].licenses).toBeLessThan(all[0].assigned);
  });

  it('the (i) availability tells the same for its product', async () => {
    const id = gid('LicenseAvailability', `${demo.ids.ekskolan}:${demo.ids.matematik}`);
    const field = dataOf(await test.request(demo.tokens.schoolAdmin, AVAILABILITY_EXPIRING, { id, within: 100 })).node.expiring;
    const query = dataOf(await expiring({ within: 100, product: matematik })).expiringLicenses[0];
    expect(field).toEqual({
      product: query.product,
      licenses: query.licenses,
      assigned: query.assigned,
      endDates: query.endDates.map(({ daysLeft: _, ...d }: { daysLeft: number }) => d),
    });
  });

  it('refuses a malformed window with INVALID_INPUT on the argument, and answers null to whoever may not read the school', async () => {
    const refused = await expiring({ within: 30, until: '2027-01-01' });
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'INVALID_INPUT', field: 'until' });
    expect((await expiring({ within: 0 })).errors?.[0]?.extensions).toMatchObject({ code: 'INVALID_INPUT', field: 'within' });
    expect((await expiring({ until: '2020-01-01' })).errors?.[0]?.extensions).toMatchObject({ code: 'INVALID_INPUT', field: 'until' });
    expect(dataOf(await expiring({ within: 30 }, demo.tokens.otherOrganisationAdmin)).expiringLicenses).toBeNull();
    expect(dataOf(await expiring({ within: 30 }, demo.tokens.teacher)).expiringLicenses).toBeNull();
  });

  it('an order marked as a renewal shows it, and so does its event; a renewal of nothing is refused', async () => {
    const [first] = await expected(addDays(today(), 365));
    const placed = dataOf(
      await test.request(demo.tokens.schoolAdmin, PLACE_RENEWAL, {
        input: { school, product: matematik, quantity: 2, renewalOf: { endDate: first!.endDate, group: gid('Group', classId) } },
      }),
    ).placeOrder;
    expect(placed).toMatchObject({ __typename: 'OrderPayload', order: { status: 'DELIVERED', renewalOf: { endDate: first!.endDate, group: { name: '7A' } } } });
    const event = await test.db.prisma.event.findFirstOrThrow({ where: { kind: 'order.placed', orderId: rawId(placed.order.id) } });
    expect((event.data as { after: unknown }).after).toMatchObject({ renewalOf: { endDate: first!.endDate, groupId: classId } });
    const refused = dataOf(
      await test.request(demo.tokens.schoolAdmin, PLACE_RENEWAL, { input: { school, product: matematik, quantity: 1, renewalOf: { endDate: '2031-01-01' } } }),
    ).placeOrder;
    expect(refused).toMatchObject({ code: 'NOT_FOUND', field: 'renewalOf' });
    // New licenses' would-be end dates are not licenses to renew.
    const newOne = await test.db.prisma.license.findFirstOrThrow({ where: { productId: await rawProduct('NO-boken'), schoolId: demo.ids.ekskolan } });
    const notStarted = dataOf(
      await test.request(demo.tokens.schoolAdmin, PLACE_RENEWAL, {
        input: { school, product: gid('Product', newOne.productId), quantity: 1, renewalOf: { endDate: formatDay(newOne.endDate) } },
      }),
    ).placeOrder;
    expect(notStarted).toMatchObject({ code: 'NOT_FOUND', field: 'renewalOf' });
  });

  const rawProduct = async (name: string) => rawId(await productGid(test.db.prisma, name));
});
