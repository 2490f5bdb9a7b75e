// Renewal: which licenses of a school end within a window, per product (and per group: the
// licenses its members hold), so the school can reorder before they run out; and the rule of an
// order that renews them.
import { Prisma } from '@school-licenses/db';
import type { Tx } from './actor.ts';
import { addDays, sqlDay } from './days.ts';
import { LicenseError } from './errors.ts';
import { endDateDaysLeft, EXPIRING_SOON_DAYS, licensesInState, licensesInStateSql } from './license-state.ts';
import { day, uuidArray } from './sql.ts';

/** The longest window a renewal looks ahead: two school years. */
export const MAX_RENEWAL_WINDOW_DAYS = 730;

export interface RenewalWindow {
  /** Days from today, today included: `within: 30` is today and the next 29 days. */
  within?: number | null;
  /** The last end date to include. */
  until?: Date | null;
}

/**
 * The last end date of a window, counted from `today`: one of `within` and `until`, or, without
 * either, the EXPIRING_SOON_DAYS of the notifications. `field` names the input in the refusal.
 */
export function windowEnd(today: Date, window: RenewalWindow): Date {
  const { within, until } = window;
  if (within != null && until != null) throw new LicenseError('INVALID_INPUT', 'until', 'Give either within or until, not both.');
  if (until != null) {
    if (until < today) throw new LicenseError('INVALID_INPUT', 'until', 'The window ends before today.');
    if (until > addDays(today, MAX_RENEWAL_WINDOW_DAYS)) {
      throw new LicenseError('INVALID_INPUT', 'until', `Look at most ${MAX_RENEWAL_WINDOW_DAYS} days ahead.`);
    }
    return until;
  }
  const days = within ?? EXPIRING_SOON_DAYS;
  if (!Number.isInteger(days) || days < 1 || days > MAX_RENEWAL_WINDOW_DAYS) {
    throw new LicenseError('INVALID_INPUT', 'within', `Give 1 to ${MAX_RENEWAL_WINDOW_DAYS} days.`);
  }
  return addDays(today, days - 1);
}

export interface ExpiringEndDate {
  endDate: Date;
  daysLeft: number;
  /** Started licenses ending that day, held or reusable (in a group's view: held by its members). */
  licenses: number;
  assigned: number;
}

export interface ExpiringProduct {
  productId: string;
  groupId: string | null;
  endDates: ExpiringEndDate[];
}

/**
 * The school's started, unexpired licenses whose end date is today through `until`, grouped per
 * product and end date. With a group: only the licenses its current members hold.
 */
export async function expiringLicenses(
  tx: Tx,
  where: { schoolId: string; productIds?: string[] | null; groupId?: string | null; today: Date; until: Date },
): Promise<ExpiringProduct[]> {
  const { schoolId, productIds, groupId, today, until } = where;
  const rows = await tx.$queryRaw<{ productId: string; endDate: string; licenses: bigint; assigned: bigint }[]>(Prisma.sql`
    SELECT l."productId"::text AS "productId", l."endDate"::text AS "endDate",
      count(*) AS licenses, count(*) FILTER (WHERE l."assignedUserId" IS NOT NULL) AS assigned
    FROM "License" l
    WHERE l."schoolId" = ${schoolId}::uuid AND ${licensesInStateSql('STARTED', today)} AND l."endDate" <= ${sqlDay(until)}
      ${productIds ? Prisma.sql`AND l."productId" = ANY(${uuidArray(productIds)})` : Prisma.empty}
      ${
        groupId
          ? Prisma.sql`AND l."assignedUserId" IN (SELECT gm."userId" FROM "GroupMembership" gm WHERE gm."groupId" = ${groupId}::uuid AND gm."endedAt" IS NULL)`
          : Prisma.empty
      }
    GROUP BY l."productId", l."endDate"
    ORDER BY l."productId", l."endDate"`);
  const byProduct = new Map<string, ExpiringProduct>();
  for (const row of rows) {
    const product = byProduct.get(row.productId) ?? { productId: row.productId, groupId: groupId ?? null, endDates: [] };
    const endDate = day(row.endDate);
    product.endDates.push({ endDate, daysLeft: endDateDaysLeft(endDate, today), licenses: Number(row.licenses), assigned: Number(row.assigned) });
    byProduct.set(row.productId, product);
  }
  return [...byProduct.values()];
}

export interface RenewalOf {
  endDate: Date;
  groupId?: string | null;
}

/**
 * An order renewing the school's licenses of a product that end on `endDate` (of a group's
 * members, when given): there must be such licenses, started, expired or not (a school may
 * reorder just after they ran out), and the group must be one of the school's.
 */
export async function requireRenewable(tx: Tx, where: { schoolId: string; productId: string; today: Date }, renewal: RenewalOf): Promise<void> {
  if (renewal.groupId) {
    const group = await tx.group.findFirst({ where: { id: renewal.groupId, schoolId: where.schoolId }, select: { id: true } });
    if (!group) throw new LicenseError('NOT_FOUND', 'renewalOf', 'No such group at this school.');
  }
  const found = await tx.license.findFirst({
    // A new license's end date is only the one it would get: not a license to renew.
    where: { schoolId: where.schoolId, productId: where.productId, endDate: renewal.endDate, NOT: licensesInState('NEW', where.today) },
    select: { id: true },
  });
  if (!found) throw new LicenseError('NOT_FOUND', 'renewalOf', 'No started license of this product at this school has that end date.');
}
