// The reusable pool and the (i) box of "Manage licenses": what a school can assign of a product.
import { Prisma } from '@school-licenses/db';
import type { Tx } from './actor.ts';
import { parseDay } from './days.ts';
import type { EndDateCount } from './errors.ts';
import { countedInStateSql, countedWhereSql, endDateDaysLeft } from './license-state.ts';
import { countersOf } from './license-counts.ts';
import { parseJson, idRows, readRows, type Reads } from './sql.ts';

export interface SchoolProduct {
  schoolId: string;
  productId: string;
}

/**
 * Started, unexpired, unassigned licenses grouped by end date (a day), earliest first; `today` in
 * the school's zone. Read from the counters (license-counts.ts): a few rows whatever the licenses.
 */
export async function reusablePool(tx: Tx, { schoolId, productId }: SchoolProduct, today: Date): Promise<EndDateCount[]> {
  const [row] = await tx.$queryRaw<{ pool: unknown }[]>(Prisma.sql`SELECT (${reusablePoolJsonSql(schoolId, Prisma.sql`${productId}::uuid`, today)}) AS pool`);
  return readPool(row?.pool, today);
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
 * `p`. The same rules as reusablePool, on the same counters (license-counts.ts), so it reads a few
 * rows per product whatever the number of licenses. A page of licenses reads it with its page
 * (license-pages.ts), so the "Manage licenses" view needs no statement of its own for it.
 */
export function availabilitySql(schoolId: string, today: Date): Prisma.Sql {
  const isNew = countedInStateSql('NEW', today);
  // A license held past its end date counts as expired, not assigned, whether or not the sweep ran.
  return Prisma.sql`
    SELECT json_build_object(
      'new', coalesce(sum(c.count) FILTER (WHERE ${isNew}), 0),
      'assigned', coalesce(sum(c.count) FILTER (WHERE ${countedWhereSql('HELD', today)}), 0),
      'expired', coalesce(sum(c.count) FILTER (WHERE ${countedInStateSql('EXPIRED', today)}), 0),
      'soon', coalesce(sum(c.count) FILTER (WHERE ${countedWhereSql('AUTO_STARTING_SOON', today)}), 0),
      'next', min(c."autoStartOn") FILTER (WHERE ${isNew}),
      'awaiting', (SELECT sum(o."quantity") FROM "Order" o
        WHERE o."schoolId" = ${schoolId}::uuid AND o."productId" = p.id AND o."status" = 'AWAITING_DELIVERY'),
      'pool', (${reusablePoolJsonSql(schoolId, Prisma.sql`p.id`, today)})
    ) AS availability
    FROM ${countersOf(schoolId, Prisma.sql`p.id`)}`;
}

/** The reusable pool of the product `productId` (SQL) as json, earliest end date first (read it with readPool). */
export function reusablePoolJsonSql(schoolId: string, productId: Prisma.Sql, today: Date): Prisma.Sql {
  return Prisma.sql`SELECT json_agg(json_build_object('endDate', g."endDate", 'count', g.n) ORDER BY g."endDate")
    FROM (SELECT r."endDate", sum(r.count) AS n FROM ${countersOf(schoolId, productId, 'r')}
            AND ${countedWhereSql('REUSABLE', today, 'r')}
          GROUP BY r."endDate") g`;
}

/** The pool reusablePoolJsonSql selected, with the days left of each end date from `today`. */
export function readPool(value: unknown, today: Date): EndDateCount[] {
  return (parseJson<{ endDate: string; count: number }[]>(value) ?? []).map((group) => {
    const endDate = parseDay(group.endDate)!;
    return { endDate, count: Number(group.count), daysLeft: endDateDaysLeft(endDate, today) };
  });
}

interface AvailabilityJson {
  new: number;
  assigned: number;
  expired: number;
  soon: number;
  /** Days come as "YYYY-MM-DD". */
  next: string | null;
  awaiting: number | null;
  pool: unknown;
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
    pool: readPool(found.pool, today),
  };
}

/**
 * The counts and the reusable pool of many products of one school in one statement: what the
 * "Manage licenses" page of every product shows, without a round trip per product.
 */
export async function availabilityOfProducts(reads: Reads, schoolId: string, productIds: string[], today: Date): Promise<Map<string, Availability>> {
  const result = new Map<string, Availability>();
  if (productIds.length === 0) return result;
  const rows = await readRows<{ productId: string; availability: unknown }>(
    reads,
    Prisma.sql`
    SELECT p.id::text AS "productId", a.availability
    FROM ${idRows(productIds, 'p')}
    CROSS JOIN LATERAL (${availabilitySql(schoolId, today)}) a`,
  );
  for (const row of rows) result.set(row.productId, readAvailability(row.availability, today));
  return result;
}
