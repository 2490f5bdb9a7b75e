// The licenses of a school and product counted per group of days (LicenseDayCount, kept by a
// trigger on "License": see its migration and docs/DOMAIN.md). A group holds licenses with the
// same end date, auto-start day, started and assigned flags, so each license's state on any day
// follows from its group's columns with the same rule as from its own (license-state.ts). Reading
// the groups costs the same for 200 or 20,000 licenses.
import { Prisma, type PrismaClient } from '@school-licenses/db';
import type { Tx } from './actor.ts';

/** A group's columns, as the counters and a recount from the licenses both name them. */
const groupColumns = '"schoolId", "productId", "endDate", "autoStartOn", "started", "assigned"';

/** The licenses grouped as the trigger groups them: what the counters must say. */
const recountSql = `
  SELECT "schoolId", "productId", "endDate", "autoStartOn", "startedAt" IS NOT NULL AS started,
    "assignedUserId" IS NOT NULL AS assigned, count(*)::int AS count
  FROM "License" GROUP BY 1, 2, 3, 4, 5, 6`;

export interface CounterMismatch {
  schoolId: string;
  productId: string;
  endDate: string;
  autoStartOn: string;
  started: boolean;
  assigned: boolean;
  /** What the counter says (0 when it has no row). */
  counted: number;
  /** What the licenses say. */
  actual: number;
}

/**
 * Every group whose counter differs from a recount of its licenses; empty when they agree. One
 * statement over every license: for the test suite and the operator command, not a request.
 */
export async function checkLicenseCounts(db: PrismaClient | Tx): Promise<CounterMismatch[]> {
  const rows = await db.$queryRawUnsafe<Record<string, unknown>[]>(`
    SELECT coalesce(c."schoolId", r."schoolId")::text AS "schoolId", coalesce(c."productId", r."productId")::text AS "productId",
      coalesce(c."endDate", r."endDate")::text AS "endDate", coalesce(c."autoStartOn", r."autoStartOn")::text AS "autoStartOn",
      coalesce(c.started, r.started) AS started, coalesce(c.assigned, r.assigned) AS assigned,
      coalesce(c.count, 0) AS counted, coalesce(r.count, 0) AS actual
    FROM "LicenseDayCount" c FULL JOIN (${recountSql}) r USING (${groupColumns})
    WHERE coalesce(c.count, 0) <> coalesce(r.count, 0)
    ORDER BY 1, 2, 3, 4, 5, 6`);
  return rows.map((row) => ({
    schoolId: row.schoolId as string,
    productId: row.productId as string,
    endDate: row.endDate as string,
    autoStartOn: row.autoStartOn as string,
    started: row.started as boolean,
    assigned: row.assigned as boolean,
    counted: Number(row.counted),
    actual: Number(row.actual),
  }));
}

/**
 * Rewrites every counter from the licenses, in one transaction that holds writes to licenses
 * off meanwhile: the repair `pnpm check-counters --repair` offers after a mismatch.
 */
export async function recountLicenses(tx: Tx): Promise<void> {
  await tx.$executeRawUnsafe('LOCK TABLE "License" IN SHARE MODE');
  await tx.$executeRawUnsafe('DELETE FROM "LicenseDayCount"');
  await tx.$executeRawUnsafe(`INSERT INTO "LicenseDayCount" (${groupColumns}, "count") ${recountSql}`);
}

/** The counter rows of one school and product under `alias`, for the reads that sum them. */
export function countersOf(schoolId: string, productId: Prisma.Sql | string, alias = 'c'): Prisma.Sql {
  const product = typeof productId === 'string' ? Prisma.sql`${productId}::uuid` : productId;
  return Prisma.sql`"LicenseDayCount" ${Prisma.raw(alias)} WHERE ${Prisma.raw(alias)}."schoolId" = ${schoolId}::uuid AND ${Prisma.raw(alias)}."productId" = ${product} AND ${Prisma.raw(alias)}."count" > 0`;
}
