// "Does this user hold this product now?": what an LMS asks at every launch of a product. One
// statement: the reader's right to see the user is part of it (visibleUsersSql), and the day
// comes from the user's organisation's zone, so the answer is right at every moment whether or
// not the sweep has run (license-state.ts).
import { Prisma } from '@school-licenses/db';
import { visibleUsersSql, type Actor } from './actor.ts';
import { endDateDaysLeft, licensesInStateSql, todaySql } from './license-state.ts';
import { day, readRowsAs, type Reads, type Viewer } from './sql.ts';

export interface Entitlement {
  /** The user holds a license of the product today: assigned to them and not expired. */
  holds: boolean;
  licenseId: string | null;
  endDate: Date | null;
  daysLeft: number | null;
}

/**
 * The user's entitlement to the product now; null when the user does not exist or is not the
 * actor's to see. `viewer`: the actor's row to confirm in the same statement (readRowsAs).
 */
export async function entitlementOf(reads: Reads, now: Date, actor: Actor, userId: string, productId: string, viewer?: Viewer): Promise<Entitlement | null> {
  const today = todaySql(now, 'o');
  const [row] = await readRowsAs<{ licenseId: string | null; endDate: string | null; today: string }>(
    reads,
    viewer,
    Prisma.sql`
    SELECT l.id::text AS "licenseId", l."endDate"::text AS "endDate", ${today}::text AS today
    FROM "User" u
    JOIN "Organisation" o ON o.id = u."organisationId"
    LEFT JOIN "License" l ON l."assignedUserId" = u.id AND l."productId" = ${productId}::uuid AND NOT ${licensesInStateSql('EXPIRED', today, 'l')}
    WHERE u.id = ${userId}::uuid AND ${visibleUsersSql(actor, 'u')}
    LIMIT 1`,
    'today',
  );
  if (!row) return null;
  if (!row.licenseId || !row.endDate) return { holds: false, licenseId: null, endDate: null, daysLeft: null };
  const endDate = day(row.endDate);
  return { holds: true, licenseId: row.licenseId, endDate, daysLeft: endDateDaysLeft(endDate, day(row.today)) };
}
