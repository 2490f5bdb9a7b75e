// The rules that must always hold, checked with SQL straight against the database (not through
// the API or Prisma's models): after concurrency, faults, killed processes and fuzzing, every test
// expects `checkInvariants` to find nothing.
import type { PrismaClient } from '@school-licenses/db';
import { checkLicenseCounts } from '../domain/license-counts.ts';

const checks: Record<string, string> = {
  'a license with two active assignments': `
    SELECT "licenseId" AS id FROM "Assignment" WHERE "endedAt" IS NULL GROUP BY "licenseId" HAVING count(*) > 1`,
  'a user with two active licenses of one product': `
    SELECT "userId"::text || '/' || "productId"::text AS id FROM "Assignment" WHERE "endedAt" IS NULL
    GROUP BY "userId", "productId" HAVING count(*) > 1`,
  'an active assignment whose license names another holder (or none)': `
    SELECT a.id FROM "Assignment" a JOIN "License" l ON l.id = a."licenseId"
    WHERE a."endedAt" IS NULL AND l."assignedUserId" IS DISTINCT FROM a."userId"`,
  'a license with a holder but no active assignment': `
    SELECT l.id FROM "License" l WHERE l."assignedUserId" IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM "Assignment" a WHERE a."licenseId" = l.id AND a."endedAt" IS NULL)`,
  'an assigned license that never started': `
    SELECT l.id FROM "License" l WHERE l."assignedUserId" IS NOT NULL AND l."startedAt" IS NULL`,
  'an assignment that ended without a reason, or is active and ended': `
    SELECT id FROM "Assignment" WHERE ("endedAt" IS NULL) <> ("isActive" IS TRUE)
      OR ("endedAt" IS NULL) <> ("endReason" IS NULL)`,
  'an assignment of a license of another product or school': `
    SELECT a.id FROM "Assignment" a JOIN "License" l ON l.id = a."licenseId"
    WHERE a."productId" <> l."productId" OR a."schoolId" <> l."schoolId"`,
  // Leavers give their licenses back (LEFT_SCHOOL), so only active assignments need a member;
  // but a graduate whose organisation lets graduates keep theirs (the membership's ending says so).
  'an active assignment of a user who is not now a student or teacher of the school': `
    SELECT a.id FROM "Assignment" a WHERE a."isActive" AND NOT EXISTS (
      SELECT 1 FROM "SchoolMembership" m WHERE m."userId" = a."userId" AND m."schoolId" = a."schoolId"
        AND m.role <> 'SCHOOL_ADMIN' AND m."endedAt" IS NULL)
    AND NOT EXISTS (
      SELECT 1 FROM "SchoolMembership" m JOIN "AuditEvent" e ON e."userId" = m."userId" AND e."schoolId" = m."schoolId"
        AND e.action = 'SCHOOL_MEMBERSHIP_ENDED' AND e."createdAt" = m."endedAt" AND e.after->>'graduateKeepsLicenses' = 'true'
      WHERE m."userId" = a."userId" AND m."schoolId" = a."schoolId" AND m."endedAt" >= a."assignedAt")`,
  "a current group member who is not a current member of the group's school": `
    SELECT gm."groupId" || ':' || gm."userId" AS id FROM "GroupMembership" gm JOIN "Group" g ON g.id = gm."groupId"
    WHERE gm."endedAt" IS NULL AND NOT EXISTS (
      SELECT 1 FROM "SchoolMembership" m WHERE m."userId" = gm."userId" AND m."schoolId" = g."schoolId" AND m."endedAt" IS NULL)`,
  'a current member of an ended group, or a current group of a closed school': `
    SELECT gm."groupId" || ':' || gm."userId" AS id FROM "GroupMembership" gm JOIN "Group" g ON g.id = gm."groupId"
    WHERE gm."endedAt" IS NULL AND g."endedAt" IS NOT NULL
    UNION ALL
    SELECT g.id::text FROM "Group" g JOIN "School" s ON s.id = g."schoolId" WHERE g."endedAt" IS NULL AND s."endedAt" IS NOT NULL`,
  'a started license whose end date is not after its start': `
    SELECT id FROM "License" WHERE "startedAt" IS NOT NULL AND "endDate" <= "startedAt"`,
  'an assignment without its LICENSE_ASSIGNED audit event': `
    SELECT a.id FROM "Assignment" a WHERE NOT EXISTS (
      SELECT 1 FROM "AuditEvent" e WHERE e.action = 'LICENSE_ASSIGNED' AND e."licenseId" = a."licenseId"
        AND e."userId" = a."userId" AND e."createdAt" = a."assignedAt")`,
  'a LICENSE_ASSIGNED audit event without its assignment': `
    SELECT e.id FROM "AuditEvent" e WHERE e.action = 'LICENSE_ASSIGNED' AND NOT EXISTS (
      SELECT 1 FROM "Assignment" a WHERE a."licenseId" = e."licenseId" AND a."userId" = e."userId" AND a."assignedAt" = e."createdAt")`,
  'a delivered order without exactly its quantity of licenses': `
    SELECT o.id FROM "Order" o WHERE o.status = 'DELIVERED'
      AND o.quantity <> (SELECT count(*) FROM "License" l WHERE l."orderId" = o.id)`,
  'an order awaiting delivery with licenses': `
    SELECT o.id FROM "Order" o WHERE o.status = 'AWAITING_DELIVERY' AND EXISTS (SELECT 1 FROM "License" l WHERE l."orderId" = o.id)`,
  'a delivered order without its ORDER_DELIVERED audit event (exactly one)': `
    SELECT o.id FROM "Order" o WHERE o.status = 'DELIVERED'
      AND (SELECT count(*) FROM "AuditEvent" e WHERE e.action = 'ORDER_DELIVERED' AND e."orderId" = o.id) <> 1`,
  'a license without its LICENSE_CREATED audit event': `
    SELECT l.id FROM "License" l WHERE NOT EXISTS (
      SELECT 1 FROM "AuditEvent" e WHERE e.action = 'LICENSE_CREATED' AND e."licenseId" = l.id)`,
  'a redeemed activation link whose order is not delivered, or redeemed twice': `
    SELECT k.id FROM "ActivationLink" k JOIN "Order" o ON o.id = k."orderId"
    WHERE k."redeemedAt" IS NOT NULL AND (o.status <> 'DELIVERED'
      OR (SELECT count(*) FROM "AuditEvent" e WHERE e.action = 'ACTIVATION_LINK_REDEEMED' AND e."orderId" = o.id) <> 1)`,
  'an ended assignment without its audit event': `
    SELECT a.id FROM "Assignment" a WHERE a."endedAt" IS NOT NULL AND NOT EXISTS (
      SELECT 1 FROM "AuditEvent" e WHERE e.action IN ('LICENSE_REVOKED', 'LICENSE_REMOVED_BY_SELF', 'ASSIGNMENT_EXPIRED', 'LICENSE_REVOKED_LEFT_SCHOOL', 'LICENSE_REVOKED_LEFT_GROUP')
        AND e."licenseId" = a."licenseId" AND e."userId" = a."userId" AND e."createdAt" = a."endedAt")`,
  'a user waiting for a product at a school who is not a current member of the group that queued them': `
    SELECT w.id::text AS id FROM "LicenseWaiter" w WHERE w."isWaiting" AND NOT EXISTS (
      SELECT 1 FROM "GroupMembership" gm WHERE gm."groupId" = w."groupId" AND gm."userId" = w."userId" AND gm."endedAt" IS NULL)`,
  'a served waiter whose license was not assigned to them': `
    SELECT w.id::text AS id FROM "LicenseWaiter" w WHERE w.state = 'SERVED' AND NOT EXISTS (
      SELECT 1 FROM "Assignment" a WHERE a."licenseId" = w."licenseId" AND a."userId" = w."userId")`,
  'an idempotency record without a result': `
    SELECT key AS id FROM "IdempotencyRecord" WHERE response = 'null'::jsonb`,
};

/** Every broken rule, with the rows that break it; empty when all hold. */
export async function checkInvariants(prisma: PrismaClient): Promise<Record<string, string[]>> {
  const broken: Record<string, string[]> = {};
  for (const [rule, sql] of Object.entries(checks)) {
    const rows = await prisma.$queryRawUnsafe<{ id: string }[]>(sql);
    if (rows.length) broken[rule] = rows.map((row) => String(row.id));
  }
  // The counters the trigger keeps, against a recount of the licenses (the check-counters command's check).
  const miscounted = await checkLicenseCounts(prisma);
  if (miscounted.length) {
    broken['a license counter that differs from its licenses'] = miscounted.map(
      (m) =>
        `${m.schoolId}/${m.productId} end ${m.endDate} auto-start ${m.autoStartOn} started=${m.started} assigned=${m.assigned}: ${m.counted} counted, ${m.actual} licenses`,
    );
  }
  return broken;
}

/** Rows per table and the columns that change in place: equal snapshots mean nothing was written. */
export type WriteSnapshot = Record<
  | 'orders'
  | 'deliveredOrders'
  | 'licenses'
  | 'assignedLicenses'
  | 'startedLicenses'
  | 'assignments'
  | 'endedAssignments'
  | 'activationLinks'
  | 'redeemedLinks'
  | 'notifications'
  | 'auditEvents'
  | 'idempotencyRecords'
  | 'preAssignments',
  number
>;

export async function writeSnapshot(prisma: PrismaClient): Promise<WriteSnapshot> {
  const [row] = await prisma.$queryRawUnsafe<Record<string, bigint>[]>(`
    SELECT
      (SELECT count(*) FROM "Order") AS orders,
      (SELECT count(*) FROM "Order" WHERE status = 'DELIVERED') AS "deliveredOrders",
      (SELECT count(*) FROM "License") AS licenses,
      (SELECT count(*) FROM "License" WHERE "assignedUserId" IS NOT NULL) AS "assignedLicenses",
      (SELECT count(*) FROM "License" WHERE "startedAt" IS NOT NULL) AS "startedLicenses",
      (SELECT count(*) FROM "Assignment") AS assignments,
      (SELECT count(*) FROM "Assignment" WHERE "endedAt" IS NOT NULL) AS "endedAssignments",
      (SELECT count(*) FROM "ActivationLink") AS "activationLinks",
      (SELECT count(*) FROM "ActivationLink" WHERE "redeemedAt" IS NOT NULL) AS "redeemedLinks",
      (SELECT count(*) FROM "Notification") AS notifications,
      (SELECT count(*) FROM "AuditEvent") AS "auditEvents",
      (SELECT count(*) FROM "IdempotencyRecord") AS "idempotencyRecords",
      (SELECT count(*) FROM "OrderPreAssignment") AS "preAssignments"`);
  return Object.fromEntries(Object.entries(row!).map(([key, value]) => [key, Number(value)])) as WriteSnapshot;
}
