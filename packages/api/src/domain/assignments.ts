// Assigning, revoking and giving back licenses: the rules of "Manage licenses".
import { Prisma, type Assignment, type AssignmentEndReason, type AuditAction, type License, type Product, type SchoolRole } from '@school-licenses/db';
import type { Clock } from '../clock.ts';
import { requireManagedSchool, systemActor, visibleLicenses, withTimeZone, type Actor, type SchoolWithTimeZone, type Tx } from './actor.ts';
import { recordAudit, recordAudits, licenseSnapshot } from './audit.ts';
import { reusablePool } from './availability.ts';
import { day, moment } from './sql.ts';
import { localTime, sqlDay, type LocalTime } from './days.ts';
import { EndDateChoiceError, LicenseError } from './errors.ts';
import { effectiveStartedAt, expiryMoment, isExpired, licensesInStateSql, startDates, startOfDaySql, todaySql } from './license-state.ts';

export interface AssignLicenseInput {
  schoolId: string;
  productId: string;
  userId: string;
  /** Take a started license from the reusable pool instead of starting a new one. */
  reuseStarted: boolean;
  /** With reuseStarted: which end date (a day) of the pool the admin chose. */
  endDate?: Date | null;
  /** A new license of this order only: a direct order's pre-assignments use its own licenses. */
  fromOrderId?: string;
}

export interface AssignmentResult {
  assignment: Assignment;
  license: License;
}

export async function assignLicense(tx: Tx, clock: Clock, actor: Actor, input: AssignLicenseInput): Promise<AssignmentResult> {
  requireEndDateOnlyWithReuse(input);
  const school = await requireManagedSchool(tx, actor, input.schoolId);
  const product = await requireProduct(tx, input.productId);
  return assignOne(tx, localTime(clock.now(), school.organisation.timeZone), actor, school, product, input);
}

/** An end date chooses among started licenses: with a new one it would be silently ignored. */
function requireEndDateOnlyWithReuse(input: { reuseStarted: boolean; endDate?: Date | null | undefined }): void {
  if (!input.reuseStarted && input.endDate) {
    throw new LicenseError('INVALID_INPUT', 'endDate', 'An end date is chosen only when reusing a started license (reuseStarted: true).');
  }
}

export interface BulkAssignInput {
  schoolId: string;
  productId: string;
  userIds: string[];
  reuseStarted: boolean;
  endDate?: Date | null;
}

export type BulkAssignOutcome = { userId: string; ok: true; result: AssignmentResult } | { userId: string; ok: false; error: LicenseError };

/** Each user given after their first time in a list: one outcome per user given, this one refused. */
export const duplicateUser = (field: string) => new LicenseError('DUPLICATE_USER', field);

/**
 * Assigns a license to each user in turn, in one transaction, and tells each user's outcome.
 * Business errors of one user do not stop the others (they are raised before anything of that
 * user is written).
 */
export async function assignLicenses(tx: Tx, clock: Clock, actor: Actor, input: BulkAssignInput): Promise<BulkAssignOutcome[]> {
  if (input.userIds.length === 0 || input.userIds.length > 100) {
    throw new LicenseError('INVALID_INPUT', 'users', 'Give between 1 and 100 users.');
  }
  requireEndDateOnlyWithReuse(input);
  const school = await requireManagedSchool(tx, actor, input.schoolId);
  const product = await requireProduct(tx, input.productId);
  const time = localTime(clock.now(), school.organisation.timeZone);
  const byUser = new Map<string, BulkAssignOutcome>();
  // Users in one fixed order (by ID), whatever order they were given in: concurrent batches with
  // overlapping users then take their per-user locks in the same order and cannot deadlock.
  for (const userId of [...new Set(input.userIds)].sort()) {
    try {
      const result = await assignOne(tx, time, actor, school, product, { ...input, userId });
      byUser.set(userId, { userId, ok: true, result });
    } catch (error) {
      if (!(error instanceof LicenseError)) throw error;
      byUser.set(userId, { userId, ok: false, error });
    }
  }
  // Outcomes in the order the users were given; a user given again gets DUPLICATE_USER there.
  const seen = new Set<string>();
  return input.userIds.map((userId) => {
    if (seen.has(userId)) return { userId, ok: false, error: duplicateUser('users') };
    seen.add(userId);
    return byUser.get(userId)!;
  });
}

async function requireProduct(tx: Tx, productId: string): Promise<Product> {
  const product = await tx.product.findUnique({ where: { id: productId } });
  if (!product) throw new LicenseError('NOT_FOUND', 'product', 'No such product.');
  return product;
}

async function assignOne(
  tx: Tx,
  time: LocalTime,
  actor: Actor,
  school: SchoolWithTimeZone,
  product: Product,
  input: Omit<AssignLicenseInput, 'schoolId' | 'productId'>,
): Promise<AssignmentResult> {
  const { now, today } = time;
  // Only a current student or teacher. FOR SHARE: a membership ending at this moment either waits
  // for this assignment and then revokes it (roster.ts), or ends first and is not found here.
  const [membership] = await tx.$queryRaw<{ role: SchoolRole }[]>`
    SELECT role FROM "SchoolMembership"
    WHERE "userId" = ${input.userId}::uuid AND "schoolId" = ${school.id}::uuid AND "endedAt" IS NULL
    FOR SHARE`;
  if (!membership || membership.role === 'SCHOOL_ADMIN') {
    throw new LicenseError('USER_NOT_IN_SCHOOL', 'user');
  }
  // One assignment per user and product at a time: a concurrent request for the same user waits
  // here until this transaction ends, then sees its assignment (USER_ALREADY_HAS_LICENSE) instead
  // of running into the unique key. Released at commit or rollback.
  // First the school's product: assigning one writes its counter rows (LicenseDayCount), which
  // serialise the school's assignments of the product anyway. Taken before the user's lock, a
  // bulk assignment holding the counters can never wait for a user whose single assignment waits
  // for those counters (a deadlock); in one statement, so it costs none.
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`assign:${school.id}:${product.id}`}, 0)),
    pg_advisory_xact_lock(hashtextextended(${`assign:${input.userId}:${product.id}`}, 0))`;
  // The user's active assignment of the product, if any, in one statement: one whose license
  // has expired is ended here, at its expiry (so the user can get a new one); any other means they hold one.
  const active = await tx.assignment.findMany({
    where: { userId: input.userId, productId: product.id, isActive: true },
    include: activeAssignmentLicense,
  });
  const expired = active.filter((a) => isExpired(a.license, today));
  await endAssignmentsOfExpiredLicenses(
    tx,
    expired.map((a) => ({ ...a, organisationId: school.organisationId, expiresAt: expiryMoment(a.license.endDate, time.timeZone) })),
  );
  if (active.length > expired.length) throw new LicenseError('USER_ALREADY_HAS_LICENSE', 'user');

  const where = { schoolId: school.id, productId: product.id, today };
  let license: License;
  // assignedUserId directly, not `connect`: the membership above already proved the user exists,
  // and `connect` costs a statement to check it again.
  let update: Prisma.LicenseUncheckedUpdateInput;
  if (input.reuseStarted) {
    const endDate = await chooseEndDate(tx, where, input.endDate ?? null);
    const locked = await lockLicense(tx, { ...where, kind: 'reusable', endDate });
    if (!locked) {
      // Another admin took the last one with that end date a moment ago.
      const pool = await reusablePool(tx, where, today);
      if (pool.length === 0) throw noLicenseLeft('reuseStarted', 'No reusable started license is left.');
      throw new EndDateChoiceError('END_DATE_NOT_AVAILABLE', pool);
    }
    license = locked;
    update = { assignedUserId: input.userId };
    if (!license.startedAt) {
      // It started by itself at its deadline and the sweep has not written it down yet: its start
      // is written now, with the system's audit event at that moment, before it is reused.
      const startedAt = effectiveStartedAt(license, time)!;
      update.startedAt = startedAt;
      await recordAudit(tx, systemActor, startedAt, autoStartEntry({ ...license, startedAt }, school.organisationId));
    }
  } else {
    const locked = await lockLicense(tx, { ...where, kind: 'new', orderId: input.fromOrderId });
    if (!locked) {
      const pool = await reusablePool(tx, where, today);
      const reusable = pool.reduce((sum, group) => sum + group.count, 0);
      throw noLicenseLeft(
        'reuseStarted',
        reusable ? `No new license is left; ${reusable} started license(s) can be reused (reuseStarted: true).` : 'No new license is left.',
      );
    }
    license = locked;
    update = { ...startDates(time, product.validityMonths), assignedUserId: input.userId };
  }

  const updated = await tx.license.update({ where: { id: license.id }, data: update });
  const assignment = await tx.assignment.create({
    data: {
      licenseId: license.id,
      userId: input.userId,
      productId: product.id,
      schoolId: school.id,
      assignedAt: now,
      assignedById: actor.kind === 'user' ? actor.userId : null,
    },
  });
  await recordAudit(tx, actor, now, {
    action: 'LICENSE_ASSIGNED',
    organisationId: school.organisationId,
    schoolId: school.id,
    licenseId: license.id,
    userId: input.userId,
    before: licenseSnapshot(license),
    after: { ...licenseSnapshot(updated), reusedStarted: input.reuseStarted },
  });
  return { assignment, license: updated };
}

const endActions = {
  REVOKED_BY_ADMIN: 'LICENSE_REVOKED',
  REMOVED_BY_SELF: 'LICENSE_REMOVED_BY_SELF',
  EXPIRED: 'ASSIGNMENT_EXPIRED',
  LEFT_SCHOOL: 'LICENSE_REVOKED_LEFT_SCHOOL',
} as const satisfies Record<AssignmentEndReason, AuditAction>;

/** The audit entry of a license that started by itself at its deadline (`startedAt`). */
export function autoStartEntry(license: Pick<License, 'id' | 'schoolId' | 'endDate'> & { startedAt: Date }, organisationId: string) {
  return {
    action: 'LICENSE_AUTO_STARTED' as const,
    organisationId,
    schoolId: license.schoolId,
    licenseId: license.id,
    before: { startedAt: null },
    after: { startedAt: license.startedAt.toISOString(), endDate: licenseSnapshot({ ...license, assignedUserId: null }).endDate },
  };
}

function noLicenseLeft(field: string, message: string) {
  return new LicenseError('NO_LICENSE_AVAILABLE', field, message);
}

/** The end date to reuse: the one chosen, or the only one there is. */
async function chooseEndDate(tx: Tx, where: { schoolId: string; productId: string; today: Date }, chosen: Date | null): Promise<Date> {
  const pool = await reusablePool(tx, where, where.today);
  if (pool.length === 0) throw noLicenseLeft('reuseStarted', 'The school has no reusable started license of this product.');
  if (chosen) {
    if (!pool.some((group) => group.endDate.getTime() === chosen.getTime())) {
      throw new EndDateChoiceError('END_DATE_NOT_AVAILABLE', pool);
    }
    return chosen;
  }
  if (pool.length > 1) throw new EndDateChoiceError('END_DATE_REQUIRED', pool);
  return pool[0]!.endDate;
}

/**
 * Locks one assignable license and returns it, or null when none is left. FOR UPDATE SKIP LOCKED
 * lets concurrent admins take different licenses; the conditions are on the license row itself,
 * so PostgreSQL re-checks them after waiting and never hands out one that was just taken.
 */
async function lockLicense(
  tx: Tx,
  where:
    | { schoolId: string; productId: string; today: Date; kind: 'new'; orderId?: string | undefined }
    | { schoolId: string; productId: string; today: Date; kind: 'reusable'; endDate: Date },
): Promise<License | null> {
  const { schoolId, productId, today } = where;
  const condition =
    where.kind === 'new'
      ? Prisma.sql`${licensesInStateSql('NEW', today, '"License"')} ${where.orderId ? Prisma.sql`AND "orderId" = ${where.orderId}::uuid` : Prisma.empty}`
      : Prisma.sql`${licensesInStateSql('STARTED', today, '"License"')} AND "endDate" = ${sqlDay(where.endDate)}`;
  // New licenses closest to their auto-start day go first, so fewer start unused.
  const order = where.kind === 'new' ? Prisma.sql`"autoStartOn", id` : Prisma.sql`id`;
  // The whole row comes back with the lock: no second statement to read it.
  const [row] = await tx.$queryRaw<Record<string, unknown>[]>(Prisma.sql`
    SELECT id::text, "schoolId"::text, "productId"::text, "orderId"::text,
      (extract(epoch FROM "deliveredAt") * 1000)::float8 AS "deliveredAt", "autoStartOn"::text AS "autoStartOn",
      (extract(epoch FROM "startedAt") * 1000)::float8 AS "startedAt", "endDate"::text AS "endDate", "assignedUserId"::text
    FROM "License"
    WHERE "schoolId" = ${schoolId}::uuid AND "productId" = ${productId}::uuid
      AND "assignedUserId" IS NULL AND ${condition}
    ORDER BY ${order}
    LIMIT 1
    FOR UPDATE SKIP LOCKED`);
  if (!row) return null;
  return {
    id: row.id as string,
    schoolId: row.schoolId as string,
    productId: row.productId as string,
    orderId: row.orderId as string,
    deliveredAt: moment(row.deliveredAt),
    autoStartOn: day(row.autoStartOn),
    startedAt: row.startedAt === null ? null : moment(row.startedAt),
    endDate: day(row.endDate),
    assignedUserId: row.assignedUserId as string | null,
  };
}

/**
 * Ends the active assignments whose license has expired in its organisation's time zone at
 * `now`, so their holders can get a new one: the sweep, over every organisation.
 */
export async function endExpiredAssignments(tx: Tx, now: Date, holder?: { userId: string; schoolId: string }): Promise<number> {
  // The organisation's today and the expiry moment come from its own zone, in SQL.
  const rows = await tx.$queryRaw<Record<string, unknown>[]>(Prisma.sql`
    SELECT a.id::text AS id, a."licenseId"::text AS "licenseId", a."userId"::text AS "userId", a."schoolId"::text AS "schoolId",
      s."organisationId"::text AS "organisationId", (extract(epoch FROM l."startedAt") * 1000)::float8 AS "startedAt",
      l."endDate"::text AS "endDate", l."assignedUserId"::text AS "assignedUserId",
      (extract(epoch FROM ${startOfDayAfterSql}) * 1000)::float8 AS "expiresAt"
    FROM "Assignment" a
    JOIN "License" l ON l.id = a."licenseId"
    JOIN "School" s ON s.id = l."schoolId"
    JOIN "Organisation" o ON o.id = s."organisationId"
    WHERE a."isActive" AND ${licensesInStateSql('EXPIRED', todaySql(now), 'l')}
      ${holder ? Prisma.sql`AND a."userId" = ${holder.userId}::uuid AND a."schoolId" = ${holder.schoolId}::uuid` : Prisma.empty}
    FOR UPDATE OF a, l`);
  await endAssignmentsOfExpiredLicenses(
    tx,
    rows.map((row) => ({
      id: row.id as string,
      licenseId: row.licenseId as string,
      userId: row.userId as string,
      schoolId: row.schoolId as string,
      organisationId: row.organisationId as string,
      expiresAt: moment(row.expiresAt),
      license: {
        startedAt: row.startedAt === null ? null : moment(row.startedAt),
        endDate: day(row.endDate),
        assignedUserId: row.assignedUserId as string | null,
      },
    })),
  );
  return rows.length;
}

/** 00:00 of the day after the license's end date in its organisation's zone: when it expired. */
const startOfDayAfterSql = startOfDaySql(Prisma.sql`(l."endDate" + 1)`);

const activeAssignmentLicense = { license: true } as const;

interface ExpiredAssignment {
  id: string;
  licenseId: string;
  userId: string;
  schoolId: string;
  organisationId: string;
  /** The moment the license expired: the assignment ended then, whoever writes it down later. */
  expiresAt: Date;
  license: Pick<License, 'startedAt' | 'endDate' | 'assignedUserId'>;
}

/** Ends these active assignments, whose licenses have expired, at their expiry, by the system, and records it. */
async function endAssignmentsOfExpiredLicenses(tx: Tx, expired: ExpiredAssignment[]): Promise<void> {
  if (expired.length === 0) return;
  // Grouped by expiry moment: one statement per end date, not per assignment.
  const byExpiry = new Map<number, string[]>();
  for (const a of expired) byExpiry.set(a.expiresAt.getTime(), [...(byExpiry.get(a.expiresAt.getTime()) ?? []), a.id]);
  for (const [expiresAt, ids] of byExpiry) {
    await tx.assignment.updateMany({
      where: { id: { in: ids } },
      data: { isActive: null, endedAt: new Date(expiresAt), endReason: 'EXPIRED', endedById: null },
    });
  }
  await tx.license.updateMany({
    where: { id: { in: expired.map((a) => a.licenseId) } },
    data: { assignedUserId: null },
  });
  await recordAudits(
    tx,
    systemActor,
    expired[0]!.expiresAt,
    expired.map((a) => ({
      action: 'ASSIGNMENT_EXPIRED' as const,
      organisationId: a.organisationId,
      schoolId: a.schoolId,
      licenseId: a.licenseId,
      userId: a.userId,
      at: a.expiresAt,
      before: licenseSnapshot(a.license),
      after: licenseSnapshot({ ...a.license, assignedUserId: null }),
    })),
  );
}

/** An admin takes a license back. A started license keeps its end date and becomes reusable. */
export async function revokeLicense(tx: Tx, clock: Clock, actor: Actor, input: { licenseId: string }): Promise<License> {
  const license = await tx.license.findFirst({
    where: { AND: [{ id: input.licenseId }, visibleLicenses(actor)] },
    select: { schoolId: true },
  });
  if (!license) throw new LicenseError('NOT_FOUND', 'license', 'No such license.');
  await requireManagedSchool(tx, actor, license.schoolId, 'license');
  return endAssignment(tx, clock.now(), actor, input.licenseId, 'REVOKED_BY_ADMIN');
}

/** A teacher gives back their own license; students may not. */
export async function removeMyLicense(tx: Tx, clock: Clock, actor: Actor, input: { licenseId: string }): Promise<License> {
  if (actor.kind !== 'user') throw new LicenseError('FORBIDDEN', null, 'Only a signed-in user can remove their own license.');
  const assignment = await tx.assignment.findFirst({
    where: { licenseId: input.licenseId, userId: actor.userId, isActive: true },
  });
  if (!assignment) throw new LicenseError('NOT_FOUND', 'license', 'You hold no such license.');
  if (actor.schoolRoles.get(assignment.schoolId) !== 'TEACHER') {
    throw new LicenseError('FORBIDDEN', 'license', 'Only teachers can remove their own license; ask an administrator.');
  }
  return endAssignment(tx, clock.now(), actor, input.licenseId, 'REMOVED_BY_SELF');
}

/**
 * Ends the license's active assignment for `reason`: a started license keeps its end date and
 * becomes reusable. Used by revoking, giving back, and the roster when a holder leaves the school.
 * A license past its end date has no holder, whether or not the sweep has written its expiry
 * down: LICENSE_NOT_ASSIGNED, and nothing written.
 */
export async function endAssignment(tx: Tx, now: Date, actor: Actor, licenseId: string, reason: AssignmentEndReason): Promise<License> {
  // Lock the license so a concurrent revoke or assignment waits for this one.
  await tx.$queryRaw`SELECT id FROM "License" WHERE id = ${licenseId}::uuid FOR UPDATE`;
  const license = await tx.license.findUniqueOrThrow({ where: { id: licenseId }, include: { school: { include: withTimeZone } } });
  const assignment = await tx.assignment.findFirst({ where: { licenseId, isActive: true } });
  const time = localTime(now, license.school.organisation.timeZone);
  if (!assignment || isExpired(license, time.today)) throw new LicenseError('LICENSE_NOT_ASSIGNED', 'license');
  await tx.assignment.update({
    where: { id: assignment.id },
    data: { isActive: null, endedAt: now, endReason: reason, endedById: actor.kind === 'user' ? actor.userId : null },
  });
  const updated = await tx.license.update({ where: { id: licenseId }, data: { assignedUserId: null } });
  await recordAudit(tx, actor, now, {
    action: endActions[reason],
    organisationId: license.school.organisationId,
    schoolId: license.schoolId,
    licenseId,
    userId: assignment.userId,
    before: licenseSnapshot(license),
    after: licenseSnapshot(updated),
  });
  return updated;
}
