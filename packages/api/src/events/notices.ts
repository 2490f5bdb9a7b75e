// Notifications that help a school act before it is too late: licenses about to start by
// themselves, assigned licenses about to expire, a pool with nothing left. Each goes to the
// school's administrators and its organisation's, once per school, product and day.
import { Prisma } from '@school-licenses/db';
import type { Tx } from '../domain/actor.ts';
import { licensesWhereSql, todaySql } from '../domain/license-state.ts';

/** The administrators of school `s` (its own and its organisation's), as `u`. */
const schoolAdmins = Prisma.sql`
  JOIN "User" u ON u."organisationId" = s."organisationId"
  LEFT JOIN "SchoolMembership" m ON m."userId" = u.id AND m."schoolId" = s.id
  WHERE (u."isOrganisationAdmin" OR m.role = 'SCHOOL_ADMIN')`;

/** Tells of the pool.exhausted events numbered from `from` to `to` (the relay, relay.ts). */
export async function notifyPoolExhausted(tx: Tx, from: bigint, to: bigint, now: Date): Promise<void> {
  await tx.$executeRaw`
    INSERT INTO "Notification" (id, "userId", kind, "schoolId", "productId", message, "createdAt")
    SELECT gen_random_uuid(), u.id, 'POOL_EXHAUSTED'::"NotificationKind", e."schoolId", e."productId",
      'Every license of ' || p.name || ' at ' || s.name || ' is taken: order more to assign it again.', ${now}
    FROM "Event" e
    JOIN "School" s ON s.id = e."schoolId"
    JOIN "Product" p ON p.id = e."productId"
    ${schoolAdmins}
      AND e.kind = 'pool.exhausted' AND e.position BETWEEN ${from} AND ${to}`;
}

/**
 * Tells of new licenses that start by themselves within AUTO_START_SOON_DAYS and of assigned
 * licenses whose end date is within EXPIRING_SOON_DAYS, per school, product and day; a day already told is
 * not told again. Run by the sweep. Returns how many notifications it wrote.
 */
export async function notifyComingDates(tx: Tx, now: Date): Promise<number> {
  // Days of each organisation's own zone (license-state.ts): the auto-start day and the end date.
  const today = todaySql(now);
  const ofOrganisation = Prisma.sql`JOIN "School" ls ON ls.id = l."schoolId" JOIN "Organisation" o ON o.id = ls."organisationId"`;
  return tx.$executeRaw`
    WITH due AS (
      SELECT 'LICENSES_AUTO_STARTING_SOON'::"NotificationKind" AS kind, l."schoolId", l."productId", l."autoStartOn" AS day, count(*) AS n
      FROM "License" l ${ofOrganisation}
      WHERE ${licensesWhereSql('AUTO_STARTING_SOON', today)}
      GROUP BY l."schoolId", l."productId", l."autoStartOn"
      UNION ALL
      SELECT 'LICENSES_EXPIRING_SOON'::"NotificationKind", l."schoolId", l."productId", l."endDate", count(*)
      FROM "License" l ${ofOrganisation}
      WHERE ${licensesWhereSql('EXPIRING_SOON', today)}
      GROUP BY l."schoolId", l."productId", l."endDate"
    )
    INSERT INTO "Notification" (id, "userId", kind, "schoolId", "productId", "dueAt", message, "createdAt")
    SELECT gen_random_uuid(), u.id, d.kind, d."schoolId", d."productId", d.day,
      CASE WHEN d.kind = 'LICENSES_AUTO_STARTING_SOON'
        THEN d.n || ' new license(s) of ' || p.name || ' at ' || s.name || ' start by themselves on '
          || to_char(d.day, 'YYYY-MM-DD') || ' unless assigned before.'
        ELSE d.n || ' assigned license(s) of ' || p.name || ' at ' || s.name || ' expire on '
          || to_char(d.day, 'YYYY-MM-DD') || '.'
      END,
      ${now}
    FROM due d
    JOIN "School" s ON s.id = d."schoolId"
    JOIN "Product" p ON p.id = d."productId"
    ${schoolAdmins}
      AND NOT EXISTS (SELECT 1 FROM "Notification" x WHERE x."userId" = u.id AND x.kind = d.kind
        AND x."schoolId" = d."schoolId" AND x."productId" = d."productId" AND x."dueAt" = d.day)`;
}
