// The (i) box is one SQL statement for many products; Prisma queries with the Prisma form of the
// same rules (license-state.ts) are the reference it must match, at moments when the licenses are
// in different states.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMonths } from '../clock.ts';
import type { DemoData } from '../seed/demo.ts';
import { productIdsHeldBy, startTestApi, withStandardScenario, type TestApi } from '../testing/harness.ts';
import { AUTO_START_SOON_DAYS, availabilityOfProducts, reusablePool, type Availability } from './availability.ts';
import { licensesInState } from './license-state.ts';

const backend = process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite';

describe(`availability on ${backend}`, () => {
  let test: TestApi;
  let demo: DemoData;
  let productIds: string[];
  beforeAll(async () => {
    test = await startTestApi();
    demo = await withStandardScenario(test);
    productIds = await productIdsHeldBy(test, demo.ids.ekskolan);
  });
  afterAll(() => test.close());

  async function expectedAvailability(productId: string, now: Date): Promise<Availability> {
    const prisma = test.db.prisma;
    const licenses = { schoolId: demo.ids.ekskolan, productId };
    const soon = new Date(now.getTime() + AUTO_START_SOON_DAYS * 86_400_000);
    const next = await prisma.license.aggregate({ where: { ...licenses, ...licensesInState('NEW', now) }, _min: { autoStartAt: true } });
    const awaiting = await prisma.order.aggregate({ where: { ...licenses, status: 'AWAITING_DELIVERY' }, _sum: { quantity: true } });
    return {
      newLicenses: await prisma.license.count({ where: { ...licenses, ...licensesInState('NEW', now) } }),
      assigned: await prisma.license.count({ where: { ...licenses, assignedUserId: { not: null }, endDate: { gt: now } } }),
      expired: await prisma.license.count({ where: { ...licenses, ...licensesInState('EXPIRED', now) } }),
      autoStartingSoon: await prisma.license.count({ where: { AND: [licenses, licensesInState('NEW', now), { autoStartAt: { lte: soon } }] } }),
      nextAutoStartAt: next._min.autoStartAt,
      awaitingDelivery: awaiting._sum.quantity ?? 0,
      pool: await reusablePool(prisma, { schoolId: demo.ids.ekskolan, productId }, now),
    };
  }

  it.each([
    ['now', 0],
    ['three months on, when new licenses are about to start by themselves', 3.5],
    ['five months on, when they have', 5],
    ['years on, when everything has expired', 60],
  ])('counts what Prisma counts, %s', async (_when, months) => {
    const now = addMonths(test.clock.now(), Math.floor(months));
    if (!Number.isInteger(months)) now.setUTCDate(now.getUTCDate() + 15);
    const found = await availabilityOfProducts(test.db.prisma, demo.ids.ekskolan, productIds, now);
    expect([...found.keys()].sort()).toEqual([...productIds].sort());
    for (const productId of productIds) expect(found.get(productId), productId).toEqual(await expectedAvailability(productId, now));
  });

  it('the demo school has licenses in every state at some moment above', async () => {
    const now = test.clock.now();
    const found = [...(await availabilityOfProducts(test.db.prisma, demo.ids.ekskolan, productIds, now)).values()];
    const total = (key: 'newLicenses' | 'assigned' | 'expired') => found.reduce((sum, availability) => sum + availability[key], 0);
    expect(total('newLicenses')).toBeGreaterThan(0);
    expect(total('assigned')).toBeGreaterThan(0);
    expect(total('expired')).toBeGreaterThan(0);
    expect(found.some((availability) => availability.pool.length > 0)).toBe(true);
    const soon = [...(await availabilityOfProducts(test.db.prisma, demo.ids.ekskolan, productIds, addMonths(now, 3))).values()];
    expect(soon.some((availability) => availability.autoStartingSoon > 0)).toBe(true);
  });
});
