// The reusable pool and the (i) box of "Manage licenses": what a school can assign of a product.
import { Prisma } from '@school-licenses/db';
import type { Tx } from './actor.ts';
import type { EndDateCount } from './errors.ts';
import { licensesInStateSql, reusableLicenses } from './license-state.ts';
import { uuidArray } from './sql.ts';

/** New licenses that auto-start within this many days are "auto-starting soon". */
export const AUTO_START_SOON_DAYS = 30;

export interface SchoolProduct {
  schoolId: string;
  productId: string;
}

/** Started, unexpired, unassigned licenses grouped by end date, earliest first. */
export async function reusablePool(tx: Tx, { schoolId, productId }: SchoolProduct, now: Date): Promise<EndDateCount[]> {
  const groups = await tx.license.groupBy({
    by: ['endDate'],
    where: { schoolId, productId, ...reusableLicenses(now) },
    _count: { _all: true },
    orderBy: { endDate: 'asc' },
  });
  return groups.map((group) => ({ endDate: group.endDate, count: group._count._all }));
}

export interface LicenseCounts {
  newLicenses: number;
  assigned: number;
  expired: number;
  autoStartingSoon: number;
  nextAutoStartAt: Date | null;
  awaitingDelivery: number;
}

export interface Availability extends LicenseCounts {
  /** The reusable pool: what reusablePool returns. */
  pool: EndDateCount[];
}

/**
 * The counts and the reusable pool of many products of one school in one statement: what the
 * "Manage licenses" page of every product shows, without a round trip per product. The same
 * rules as reusablePool (see license-state.ts).
 */
export async function availabilityOfProducts(
  tx: Tx,
  schoolId: string,
  productIds: string[],
  now: Date,
): Promise<Map<string, Availability>> {
  const result = new Map<string, Availability>();
  if (productIds.length === 0) return result;
  const soon = new Date(now.getTime() + AUTO_START_SOON_DAYS * 86_400_000);
  const isNew = licensesInStateSql('NEW', now);
  const rows = await tx.$queryRaw<
    {
      productId: string;
      new: bigint;
      assigned: bigint;
      expired: bigint;
      soon: bigint;
      next: Date | null;
      awaiting: bigint | number | null;
      pool: string | { endDate: number; count: number }[] | null;
    }[]
  >(Prisma.sql`
    SELECT
      p.id::text AS "productId",
      count(l.id) FILTER (WHERE ${isNew}) AS "new",
      count(l.id) FILTER (WHERE l."assignedUserId" IS NOT NULL AND l."endDate" > ${now}) AS "assigned",
      count(l.id) FILTER (WHERE ${licensesInStateSql('EXPIRED', now)}) AS "expired",
      count(l.id) FILTER (WHERE ${isNew} AND l."autoStartAt" <= ${soon}) AS "soon",
      min(l."autoStartAt") FILTER (WHERE ${isNew}) AS "next",
      (SELECT sum(o."quantity") FROM "Order" o
        WHERE o."schoolId" = ${schoolId}::uuid AND o."productId" = p.id
          AND o."status" = 'AWAITING_DELIVERY') AS "awaiting",
      (SELECT json_agg(json_build_object('endDate', floor(extract(epoch FROM g."endDate") * 1000), 'count', g.n) ORDER BY g."endDate")
        FROM (SELECT r."endDate", count(*) AS n FROM "License" r
              WHERE r."schoolId" = ${schoolId}::uuid AND r."productId" = p.id AND r."assignedUserId" IS NULL
                AND ${licensesInStateSql('STARTED', now, 'r')}
              GROUP BY r."endDate") g) AS "pool"
    FROM unnest(${uuidArray(productIds)}) AS p(id)
    LEFT JOIN "License" l ON l."schoolId" = ${schoolId}::uuid AND l."productId" = p.id
    GROUP BY p.id`);
  for (const row of rows) {
    const pool = typeof row.pool === 'string' ? (JSON.parse(row.pool) as { endDate: number; count: number }[]) : (row.pool ?? []);
    result.set(row.productId, {
      newLicenses: Number(row.new),
      assigned: Number(row.assigned),
      expired: Number(row.expired),
      autoStartingSoon: Number(row.soon),
      nextAutoStartAt: row.next ? new Date(row.next) : null,
      awaitingDelivery: Number(row.awaiting ?? 0),
      pool: pool.map((group) => ({ endDate: new Date(Number(group.endDate)), count: Number(group.count) })),
    });
  }
  return result;
}
