// The reusable pool and the (i) box of "Manage licenses": what a school can assign of a product.
import { Prisma } from '@school-licenses/db';
import type { Tx } from './actor.ts';
import { addDays, parseDay, sqlDay } from './days.ts';
import type { EndDateCount } from './errors.ts';
import { endDateDaysLeft, licensesInStateSql, reusableLicenses } from './license-state.ts';
import { uuidArray } from './sql.ts';

/** New licenses that auto-start within this many days are "auto-starting soon". */
export const AUTO_START_SOON_DAYS = 30;

export interface SchoolProduct {
  schoolId: string;
  productId: string;
}

/** Started, unexpired, unassigned licenses grouped by end date (a day), earliest first; `today` in the school's zone. */
export async function reusablePool(tx: Tx, { schoolId, productId }: SchoolProduct, today: Date): Promise<EndDateCount[]> {
  const groups = await tx.license.groupBy({
    by: ['endDate'],
    where: { schoolId, productId, ...reusableLicenses(today) },
    _count: { _all: true },
    orderBy: { endDate: 'asc' },
  });
  return groups.map((group) => ({ endDate: group.endDate, count: group._count._all, daysLeft: endDateDaysLeft(group.endDate, today) }));
}

export interface LicenseCounts {
  newLicenses: number;
  assigned: number;
  expired: number;
  autoStartingSoon: number;
  /** The earliest auto-start day of the new licenses. */
  nextAutoStartOn: Date | null;
  awaitingDelivery: number;
}

export interface Availability extends LicenseCounts {
  /** The reusable pool: what reusablePool returns. */
  pool: EndDateCount[];
}

/**
 * The counts and the reusable pool of the product `p.id` of a school, as one json value named
 * `availability` (read it back with readAvailability): a LATERAL subquery over a list of products
 * `p`. The same rules as reusablePool (see license-state.ts). A page of licenses reads it with its
 * page (license-pages.ts), so the "Manage licenses" view needs no statement of its own for it.
 */
export function availabilitySql(schoolId: string, today: Date): Prisma.Sql {
  const soon = sqlDay(addDays(today, AUTO_START_SOON_DAYS));
  const isNew = licensesInStateSql('NEW', today);
  // A license held past its end date counts as expired, not assigned, whether or not the sweep ran.
  return Prisma.sql`
    SELECT json_build_object(
      'new', count(l.id) FILTER (WHERE ${isNew}),
      'assigned', count(l.id) FILTER (WHERE l."assignedUserId" IS NOT NULL AND ${licensesInStateSql('STARTED', today)}),
      'expired', count(l.id) FILTER (WHERE ${licensesInStateSql('EXPIRED', today)}),
      'soon', count(l.id) FILTER (WHERE ${isNew} AND l."autoStartOn" <= ${soon}),
      'next', min(l."autoStartOn") FILTER (WHERE ${isNew}),
      'awaiting', (SELECT sum(o."quantity") FROM "Order" o
        WHERE o."schoolId" = ${schoolId}::uuid AND o."productId" = p.id AND o."status" = 'AWAITING_DELIVERY'),
      'pool', (SELECT json_agg(json_build_object('endDate', g."endDate", 'count', g.n) ORDER BY g."endDate")
        FROM (SELECT r."endDate", count(*) AS n FROM "License" r
              WHERE r."schoolId" = ${schoolId}::uuid AND r."productId" = p.id AND r."assignedUserId" IS NULL
                AND ${licensesInStateSql('STARTED', today, 'r')}
              GROUP BY r."endDate") g)
    ) AS availability
    FROM "License" l WHERE l."schoolId" = ${schoolId}::uuid AND l."productId" = p.id`;
}

interface AvailabilityJson {
  new: number;
  assigned: number;
  expired: number;
  soon: number;
  /** Days come as "YYYY-MM-DD". */
  next: string | null;
  awaiting: number | null;
  pool: { endDate: string; count: number }[] | null;
}

/** The availability availabilitySql selected for `today`; the drivers hand json back parsed or as text. */
export function readAvailability(value: unknown, today: Date): Availability {
  const found = (typeof value === 'string' ? JSON.parse(value) : value) as AvailabilityJson;
  return {
    newLicenses: Number(found.new),
    assigned: Number(found.assigned),
    expired: Number(found.expired),
    autoStartingSoon: Number(found.soon),
    nextAutoStartOn: found.next === null ? null : parseDay(found.next),
    awaitingDelivery: Number(found.awaiting ?? 0),
    pool: (found.pool ?? []).map((group) => {
      const endDate = parseDay(group.endDate)!;
      return { endDate, count: Number(group.count), daysLeft: endDateDaysLeft(endDate, today) };
    }),
  };
}

/**
 * The counts and the reusable pool of many products of one school in one statement: what the
 * "Manage licenses" page of every product shows, without a round trip per product.
 */
export async function availabilityOfProducts(tx: Tx, schoolId: string, productIds: string[], today: Date): Promise<Map<string, Availability>> {
  const result = new Map<string, Availability>();
  if (productIds.length === 0) return result;
  const rows = await tx.$queryRaw<{ productId: string; availability: unknown }[]>(Prisma.sql`
    SELECT p.id::text AS "productId", a.availability
    FROM unnest(${uuidArray(productIds)}) AS p(id)
    CROSS JOIN LATERAL (${availabilitySql(schoolId, today)}) a`);
  for (const row of rows) result.set(row.productId, readAvailability(row.availability, today));
  return result;
}
