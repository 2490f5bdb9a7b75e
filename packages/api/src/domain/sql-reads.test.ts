// The statements Prisma cannot write (a page of licenses per product, the counts of the (i) box)
// are SQL; Prisma queries with the Prisma form of the same rules (license-state.ts) are the
// reference they must match, for every filter and page window, at moments when the licenses are
// in different states.
import type { License, Prisma } from '@school-licenses/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMonths } from '../clock.ts';
import type { DemoData } from '../seed/demo.ts';
import { productIdsHeldBy, startStandardScenario, type TestApi } from '../testing/harness.ts';
import { availabilityOfProducts, type Availability } from './availability.ts';
import { AUTO_START_SOON_DAYS } from './license-state.ts';
import { licensePagesOfProducts, type LicenseListFilter, type PageWindow } from './license-pages.ts';
import { addDays, dayAt, DEFAULT_TIME_ZONE } from './days.ts';
import { endDateDaysLeft, heldLicenses, licenseState, licensesInState, reusableLicenses } from './license-state.ts';
import { systemActor, visibleUsers, type Actor } from './actor.ts';
import { userActor } from '../auth/authenticate.ts';

const backend = process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite';
/** The day it is at `now` for the demo's organisations. */
const dayOf = (now: Date) => dayAt(now, DEFAULT_TIME_ZONE);

/** A license as a page gives it on the day it is at `now`: with its state and the end date it shows, by the rules in TypeScript. */
function asShown(license: License, now: Date) {
  const state = licenseState(license, dayOf(now));
  return { ...license, state, shownEndDate: state === 'NEW' ? null : license.endDate };
}

function prismaWhere(schoolId: string, productId: string, filter: LicenseListFilter, now: Date): Prisma.LicenseWhereInput {
  const today = dayOf(now);
  return {
    AND: [
      { schoolId, productId },
      filter.state ? licensesInState(filter.state, today) : {},
      filter.assigned == null ? {} : filter.assigned ? heldLicenses(today) : { NOT: heldLicenses(today) },
      filter.endDateFrom ? { endDate: { gte: filter.endDateFrom } } : {},
      filter.endDateTo ? { endDate: { lte: filter.endDateTo } } : {},
      filter.holderId ? { AND: [{ assignedUserId: filter.holderId }, heldLicenses(today)] } : {},
    ],
  };
}

describe(`the SQL reads of licenses on ${backend}`, () => {
  let test: TestApi;
  let demo: DemoData;
  let productIds: string[];
  beforeAll(async () => {
    ({ test, demo } = await startStandardScenario());
    productIds = await productIdsHeldBy(test, demo.ids.ekskolan);
  });
  afterAll(() => test.close());

  describe('license pages', () => {
    async function filtersAt(now: Date): Promise<LicenseListFilter[]> {
      const licenses = await test.db.prisma.license.findMany({ where: { schoolId: demo.ids.ekskolan }, orderBy: { endDate: 'asc' } });
      const middle = licenses[Math.floor(licenses.length / 2)]!.endDate;
      const holderId = licenses.find((license) => license.assignedUserId)!.assignedUserId;
      return [
        {},
        { state: 'NEW' },
        { state: 'STARTED' },
        { state: 'EXPIRED' },
        { assigned: true },
        { assigned: false },
        { state: 'STARTED', assigned: false },
        { endDateFrom: middle },
        { endDateTo: middle },
        { endDateFrom: middle, endDateTo: addMonths(middle, 12) },
        { holderId },
        { holderId, state: now > middle ? 'EXPIRED' : 'STARTED' },
      ];
    }

    async function expectSameAsPrisma(now: Date) {
      const schoolId = demo.ids.ekskolan;
      for (const filter of await filtersAt(now)) {
        const whole = await licensePagesOfProducts(test.db.prisma, { schoolId, productIds, filter, today: dayOf(now), page: { take: 1000 }, withCount: true });
        // A query's view reads them on the driver itself (Database.sql): the same licenses and counts.
        const onDriver = await licensePagesOfProducts(test.db.sql, { schoolId, productIds, filter, today: dayOf(now), page: { take: 1000 }, withCount: true });
        expect(onDriver, JSON.stringify({ filter, now })).toEqual(whole);
        for (const productId of productIds) {
          const where = prismaWhere(schoolId, productId, filter, now);
          const expected = await test.db.prisma.license.findMany({ where, orderBy: [{ endDate: 'asc' }, { id: 'asc' }] });
          const context = JSON.stringify({ filter, productId, now });
          expect(whole.get(productId)!.licenses, context).toEqual(expected.map((license) => asShown(license, now)));
          expect(whole.get(productId)!.totalCount, context).toBe(expected.length);

          // Windows as Pothos asks for them: first, after a cursor, last, before a cursor.
          const windows: PageWindow[] = [{ take: 2 }, { take: 3, skip: 1 }, { take: -2 }];
          if (expected.length > 2) {
            windows.push({ take: 2, skip: 1, cursor: { id: expected[1]!.id } }, { take: -2, skip: 1, cursor: { id: expected.at(-1)!.id } });
          }
          for (const page of windows) {
            const found = await licensePagesOfProducts(test.db.prisma, {
              schoolId,
              productIds: [productId],
              filter,
              today: dayOf(now),
              page,
              withCount: false,
            });
            const reference = await test.db.prisma.license.findMany({ where, orderBy: [{ endDate: 'asc' }, { id: 'asc' }], ...page });
            expect(found.get(productId)!.licenses, `${context} ${JSON.stringify(page)}`).toEqual(reference.map((license) => asShown(license, now)));
            expect(found.get(productId)!.totalCount).toBeUndefined();
          }
        }
        const counts = await licensePagesOfProducts(test.db.prisma, { schoolId, productIds, filter, today: dayOf(now), page: null, withCount: true });
        for (const productId of productIds) expect(counts.get(productId)).toEqual({ licenses: [], totalCount: whole.get(productId)!.totalCount });
      }
    }

    it('answers every filter and page window as Prisma does, now', async () => {
      expect(productIds.length).toBeGreaterThan(1);
      await expectSameAsPrisma(test.clock.now());
    });

    it('answers as Prisma does five months on, when unassigned new licenses have started by themselves', async () => {
      await expectSameAsPrisma(addMonths(test.clock.now(), 5));
    });

    it('answers as Prisma does years on, when every license has expired', async () => {
      const later = addMonths(test.clock.now(), 60);
      await expectSameAsPrisma(later);
      const expired = await licensePagesOfProducts(test.db.prisma, {
        schoolId: demo.ids.ekskolan,
        productIds,
        filter: { state: 'EXPIRED' },
        today: dayOf(later),
        page: null,
        withCount: true,
      });
      const all = await test.db.prisma.license.count({ where: { schoolId: demo.ids.ekskolan } });
      expect([...expired.values()].reduce((sum, page) => sum + page.totalCount!, 0)).toBe(all);
    });

    it('gives an empty page and a zero count to a product the school holds no license of', async () => {
      const other = await test.db.prisma.product.findFirstOrThrow({ where: { id: { notIn: productIds } } });
      const found = await licensePagesOfProducts(test.db.prisma, {
        schoolId: demo.ids.ekskolan,
        productIds: [other.id],
        filter: {},
        today: dayOf(test.clock.now()),
        page: { take: 5 },
        withCount: true,
      });
      expect(found.get(other.id)).toEqual({ licenses: [], totalCount: 0 });
    });

    it('starts after a cursor that no longer matches the filter without skipping a license', async () => {
      const schoolId = demo.ids.ekskolan;
      const now = test.clock.now();
      const productId = productIds[0]!;
      const all = (
        await licensePagesOfProducts(test.db.prisma, {
          schoolId,
          productIds: [productId],
          filter: {},
          today: dayOf(now),
          page: { take: 1000 },
          withCount: false,
        })
      ).get(productId)!.licenses;
      const cursor = all.find((license) => license.assignedUserId)!;
      const unassignedAfter = all.filter(
        (license) =>
          !license.assignedUserId && (license.endDate > cursor.endDate || (license.endDate.getTime() === cursor.endDate.getTime() && license.id > cursor.id)),
      );
      const page = await licensePagesOfProducts(test.db.prisma, {
        schoolId,
        productIds: [productId],
        filter: { assigned: false },
        today: dayOf(now),
        page: { take: 1000, skip: 1, cursor: { id: cursor.id } },
        withCount: false,
      });
      expect(page.get(productId)!.licenses).toEqual(unassignedAfter);
      expect(page.get(productId)!.licenses.length).toBeGreaterThan(0);
    });
  });

  describe('holders of a page', () => {
    it('are the users Prisma finds with visibleUsers, for every kind of reader', async () => {
      const prisma = test.db.prisma;
      const schoolId = demo.ids.ekskolan;
      const now = test.clock.now();
      const organisation = await prisma.organisation.findFirstOrThrow();
      const supplier = await prisma.supplier.findFirstOrThrow();
      const readers: Actor[] = [
        ...(await Promise.all((await prisma.user.findMany({ select: { id: true } })).map((user) => userActor(prisma, user.id)))),
        { kind: 'integration', credentialId: 'test', organisationId: organisation.id, canWrite: false, timeZone: organisation.timeZone, label: 'integration' },
        { kind: 'supplier', credentialId: 'test', supplierId: supplier.id, label: 'supplier' },
        systemActor,
      ];
      let seenSome = 0;
      let seenNone = 0;
      for (const reader of readers) {
        const pages = await licensePagesOfProducts(prisma, {
          schoolId,
          productIds,
          filter: {},
          today: dayOf(now),
          page: { take: 1000 },
          withCount: false,
          holdersSeenBy: reader,
        });
        const licenses = [...pages.values()].flatMap((page) => page.licenses);
        const heldBy = licenses.flatMap((license) => (license.state !== 'EXPIRED' && license.assignedUserId) || []);
        expect(heldBy.length).toBeGreaterThan(1);
        const visible = await prisma.user.findMany({ where: { AND: [{ id: { in: heldBy } }, visibleUsers(reader)] } });
        // Nobody holds a license once it has expired, whoever is written down.
        const expected = licenses.map((license) =>
          license.state === 'EXPIRED' || !license.assignedUserId ? null : (visible.find((user) => user.id === license.assignedUserId) ?? null),
        );
        expect(
          licenses.map((license) => license.holder),
          reader.label,
        ).toEqual(expected);
        if (visible.length > 0 && visible.length < new Set(heldBy).size) seenSome++;
        if (visible.length === 0) seenNone++;
      }
      // The readers differ: some see every holder, some a few (themselves), some none.
      expect(seenSome).toBeGreaterThan(0);
      expect(seenNone).toBeGreaterThan(0);
    });
  });

  describe('availability', () => {
    async function expectedAvailability(productId: string, now: Date): Promise<Availability> {
      const prisma = test.db.prisma;
      const licenses = { schoolId: demo.ids.ekskolan, productId };
      const today = dayOf(now);
      const soon = addDays(today, AUTO_START_SOON_DAYS);
      const next = await prisma.license.aggregate({ where: { ...licenses, ...licensesInState('NEW', today) }, _min: { autoStartOn: true } });
      const awaiting = await prisma.order.aggregate({ where: { ...licenses, status: 'AWAITING_DELIVERY' }, _sum: { quantity: true } });
      return {
        newLicenses: await prisma.license.count({ where: { ...licenses, ...licensesInState('NEW', today) } }),
        assigned: await prisma.license.count({ where: { AND: [licenses, heldLicenses(today)] } }),
        expired: await prisma.license.count({ where: { ...licenses, ...licensesInState('EXPIRED', today) } }),
        autoStartingSoon: await prisma.license.count({ where: { AND: [licenses, licensesInState('NEW', today), { autoStartOn: { lte: soon } }] } }),
        nextAutoStartOn: next._min?.autoStartOn ?? null,
        awaitingDelivery: awaiting._sum.quantity ?? 0,
        // From the licenses themselves: reusablePool reads the counters, which this checks.
        pool: (
          await prisma.license.groupBy({
            by: ['endDate'],
            where: { ...licenses, ...reusableLicenses(today) },
            _count: { _all: true },
            orderBy: { endDate: 'asc' },
          })
        ).map((group) => ({ endDate: group.endDate, count: group._count._all, daysLeft: endDateDaysLeft(group.endDate, today) })),
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
      const found = await availabilityOfProducts(test.db.prisma, demo.ids.ekskolan, productIds, dayOf(now));
      expect([...found.keys()].sort()).toEqual([...productIds].sort());
      // Read with a page of licenses too, as the admin view reads it, under two windows.
      const request = { schoolId: demo.ids.ekskolan, productIds, filter: {}, today: dayOf(now), withCount: true, withAvailability: true };
      const withPages = await licensePagesOfProducts(test.db.prisma, { ...request, page: { take: 2 } });
      const withLastPages = await licensePagesOfProducts(test.db.prisma, { ...request, page: { take: -3, skip: 1 } });
      // A query reads them on the driver itself (Database.sql).
      expect(await availabilityOfProducts(test.db.sql, demo.ids.ekskolan, productIds, dayOf(now))).toEqual(found);
      expect(await licensePagesOfProducts(test.db.sql, { ...request, page: { take: 2 } })).toEqual(withPages);
      for (const productId of productIds) {
        const expected = await expectedAvailability(productId, now);
        expect(found.get(productId), productId).toEqual(expected);
        expect(withPages.get(productId)!.availability, `${productId} with a page`).toEqual(expected);
        expect(withLastPages.get(productId)!.availability, `${productId} with a last page`).toEqual(expected);
      }
    });

    it('the demo school has licenses in every state at some moment above', async () => {
      const now = test.clock.now();
      const found = [...(await availabilityOfProducts(test.db.prisma, demo.ids.ekskolan, productIds, dayOf(now))).values()];
      const total = (key: 'newLicenses' | 'assigned' | 'expired') => found.reduce((sum, availability) => sum + availability[key], 0);
      expect(total('newLicenses')).toBeGreaterThan(0);
      expect(total('assigned')).toBeGreaterThan(0);
      expect(total('expired')).toBeGreaterThan(0);
      expect(found.some((availability) => availability.pool.length > 0)).toBe(true);
      const soon = [...(await availabilityOfProducts(test.db.prisma, demo.ids.ekskolan, productIds, dayOf(addMonths(now, 3)))).values()];
      expect(soon.some((availability) => availability.autoStartingSoon > 0)).toBe(true);
    });
  });
});
