// Assigning, revoking and giving back licenses: the rules of "Manage licenses".
import { Prisma, type Assignment, type AssignmentEndReason, type License, type Product, type School } from '@school-licenses/db';
import { addMonths, type Clock } from '../clock.ts';
import { requireManagedSchool, visibleLicenses, type Actor, type Tx } from './actor.ts';
import { recordAudit, recordAudits, licenseSnapshot } from './audit.ts';
import { reusablePool } from './availability.ts';
import { EndDateChoiceError, LicenseError } from './errors.ts';
import { effectiveStartedAt, licenseState } from './license-state.ts';

export interface AssignLicenseInput {
  schoolId: string;
  productId: string;
  userId: string;
  /** Take a started license from the reusable pool instead of starting a new one. */
  reuseStarted: boolean;
  /** With reuseStarted: which end date of the pool the admin chose. */
  endDate?: Date | null;
}

export interface AssignmentResult {
  assignment: Assignment;
  license: License;
}

export async function assignLicense(tx: Tx, clock: Clock, actor: Actor, input: AssignLicenseInput): Promise<AssignmentResult> {
  const school = await requireManagedSchool(tx, actor, input.schoolId);
  const product = await requireProduct(tx, input.productId);
  return assignOne(tx, clock.now(), actor, school, product, input);
}

export interface BulkAssignInput {
  schoolId: string;
  productId: string;
  userIds: string[];
  reuseStarted: boolean;
  endDate?: Date | null;
}

export type BulkAssignOutcome = { userId: string; ok: true; result: AssignmentResult } | { userId: string; ok: false; error: LicenseError };

/**
 * Assigns a license to each user in turn, in one transaction, and tells each user's outcome.
 * Business errors of one user do not stop the others (they are raised before anything of that
 * user is written).
 */
export async function assignLicenses(tx: Tx, clock: Clock, actor: Actor, input: BulkAssignInput): Promise<BulkAssignOutcome[]> {
  if (input.userIds.length === 0 || input.userIds.length > 100) {
    throw new LicenseError('INVALID_INPUT', 'users', 'Give between 1 and 100 users.');
  }
  const school = await requireManagedSchool(tx, actor, input.schoolId);
  const product = await requireProduct(tx, input.productId);
  const now = clock.now();
  const byUser = new Map<string, BulkAssignOutcome>();
  // Users in one fixed order (by ID), whatever order they were given in: concurrent batches with
  // overlapping users then take their per-user locks in the same order and cannot deadlock.
  for (const userId of [...new Set(input.userIds)].sort()) {
    try {
      const result = await assignOne(tx, now, actor, school, product, { ...input, userId });
      byUser.set(userId, { userId, ok: true, result });
    } catch (error) {
      if (!(error instanceof LicenseError)) throw error;
      byUser.set(userId, { userId, ok: false, error });
    }
  }
  // Outcomes in the order the users were given.
  return [...new Set(input.userIds)].map((userId) => byUser.get(userId)!);
}

async function requireProduct(tx: Tx, productId: string): Promise<Product> {
  const product = await tx.product.findUnique({ where: { id: productId } });
  if (!product) throw new LicenseError('NOT_FOUND', 'product', 'No such product.');
  return product;
}

async function assignOne(
  tx: Tx,
  now: Date,
  actor: Actor,
  school: School,
  product: Product,
  input: Omit<AssignLicenseInput, 'schoolId' | 'productId'>,
): Promise<AssignmentResult> {
  const membership = await tx.schoolMembership.findUnique({
    where: { userId_schoolId: { userId: input.userId, schoolId: school.id } },
  });
  if (!membership || membership.role === 'SCHOOL_ADMIN') {
    throw new LicenseError('USER_NOT_IN_SCHOOL', 'user');
  }
  // One assignment per user and product at a time: a concurrent request for the same user waits
  // here until this transaction ends, then sees its assignment (USER_ALREADY_HAS_LICENSE) instead
  // of running into the unique key. Released at commit or rollback.
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`assign:${input.userId}:${product.id}`}, 0))`;
  // The user's active assignment of the product, if any, in one statement: one whose license
  // has expired is ended here (so the user can get a new one); any other means they hold one.
  const active = await tx.assignment.findMany({
    where: { userId: input.userId, productId: product.id, isActive: true },
    include: activeAssignmentLicense,
  });
  await endAssignmentsOfExpiredLicenses(
    tx,
    now,
    actor,
    active.filter((a) => a.license.endDate <= now),
  );
  if (active.some((a) => a.license.endDate > now)) throw new LicenseError('USER_ALREADY_HAS_LICENSE', 'user');

  const where = { schoolId: school.id, productId: product.id, now };
  let license: License;
  // assignedUserId directly, not `connect`: the membership above already proved the user exists,
  // and `connect` costs a statement to check it again.
  let update: Prisma.LicenseUncheckedUpdateInput;
  if (input.reuseStarted) {
    const endDate = await chooseEndDate(tx, where, input.endDate ?? null);
    const locked = await lockLicense(tx, { ...where, kind: 'reusable', endDate });
    if (!locked) {
      // Another admin took the last one with that end date a moment ago.
      const pool = await reusablePool(tx, where, now);
      if (pool.length === 0) throw noLicenseLeft('reuseStarted', 'No reusable started license is left.');
      throw new EndDateChoiceError('END_DATE_NOT_AVAILABLE', pool);
    }
    license = locked;
    // A license that auto-started without the sweep noticing gets its start written down now.
    update = { startedAt: effectiveStartedAt(license, now), assignedUserId: input.userId };
  } else {
    const locked = await lockLicense(tx, { ...where, kind: 'new' });
    if (!locked) {
      const pool = await reusablePool(tx, where, now);
      const reusable = pool.reduce((sum, group) => sum + group.count, 0);
      throw noLicenseLeft(
        'reuseStarted',
        reusable ? `No new license is left; ${reusable} started license(s) can be reused (reuseStarted: true).` : 'No new license is left.',
      );
    }
    license = locked;
    update = { startedAt: now, endDate: addMonths(now, product.validityMonths), assignedUserId: input.userId };
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

function noLicenseLeft(field: string, message: string) {
  return new LicenseError('NO_LICENSE_AVAILABLE', field, message);
}

/** The end date to reuse: the one chosen, or the only one there is. */
async function chooseEndDate(tx: Tx, where: { schoolId: string; productId: string; now: Date }, chosen: Date | null): Promise<Date> {
  const pool = await reusablePool(tx, where, where.now);
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
  where: { schoolId: string; productId: string; now: Date; kind: 'new' } | { schoolId: string; productId: string; now: Date; kind: 'reusable'; endDate: Date },
): Promise<License | null> {
  const { schoolId, productId, now } = where;
  const condition =
    where.kind === 'new'
      ? Prisma.sql`"startedAt" IS NULL AND "autoStartAt" > ${now}`
      : Prisma.sql`("startedAt" IS NOT NULL OR "autoStartAt" <= ${now}) AND "endDate" = ${where.endDate} AND "endDate" > ${now}`;
  // New licenses closest to their auto-start deadline go first, so fewer start unused.
  const order = where.kind === 'new' ? Prisma.sql`"autoStartAt", id` : Prisma.sql`id`;
  // The whole row comes back with the lock: no second statement to read it.
  const [row] = await tx.$queryRaw<License[]>(Prisma.sql`
    SELECT id::text, "schoolId"::text, "productId"::text, "orderId"::text, "deliveredAt", "autoStartAt", "startedAt", "endDate",
      "assignedUserId"::text
    FROM "License"
    WHERE "schoolId" = ${schoolId}::uuid AND "productId" = ${productId}::uuid
      AND "assignedUserId" IS NULL AND ${condition}
    ORDER BY ${order}
    LIMIT 1
    FOR UPDATE SKIP LOCKED`);
  if (!row) return null;
  const date = (value: Date | string) => (value instanceof Date ? value : new Date(value));
  return {
    ...row,
    deliveredAt: date(row.deliveredAt),
    autoStartAt: date(row.autoStartAt),
    startedAt: row.startedAt ? date(row.startedAt) : null,
    endDate: date(row.endDate),
  };
}

/** Ends the active assignments whose license has expired, so the holder can get a new one. */
export async function endExpiredAssignments(tx: Tx, now: Date, actor: Actor, scope: Prisma.AssignmentWhereInput = {}): Promise<number> {
  const expired = await tx.assignment.findMany({
    where: { ...scope, isActive: true, license: { endDate: { lte: now } } },
    include: activeAssignmentLicense,
  });
  await endAssignmentsOfExpiredLicenses(tx, now, actor, expired);
  return expired.length;
}

const activeAssignmentLicense = { license: { include: { school: { select: { organisationId: true } } } } } as const;

/** Ends these active assignments, whose licenses have expired, and records it. */
async function endAssignmentsOfExpiredLicenses(
  tx: Tx,
  now: Date,
  actor: Actor,
  expired: Prisma.AssignmentGetPayload<{ include: typeof activeAssignmentLicense }>[],
): Promise<void> {
  if (expired.length === 0) return;
  const ids = expired.map((a) => a.id);
  await tx.assignment.updateMany({
    where: { id: { in: ids } },
    data: { isActive: null, endedAt: now, endReason: 'EXPIRED' },
  });
  await tx.license.updateMany({
    where: { id: { in: expired.map((a) => a.licenseId) } },
    data: { assignedUserId: null },
  });
  await recordAudits(
    tx,
    actor,
    now,
    expired.map((a) => ({
      action: 'ASSIGNMENT_EXPIRED' as const,
      organisationId: a.license.school.organisationId,
      schoolId: a.schoolId,
      licenseId: a.licenseId,
      userId: a.userId,
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

async function endAssignment(tx: Tx, now: Date, actor: Actor, licenseId: string, reason: AssignmentEndReason): Promise<License> {
  // Lock the license so a concurrent revoke or assignment waits for this one.
  await tx.$queryRaw`SELECT id FROM "License" WHERE id = ${licenseId}::uuid FOR UPDATE`;
  const license = await tx.license.findUniqueOrThrow({ where: { id: licenseId }, include: { school: true } });
  const assignment = await tx.assignment.findFirst({ where: { licenseId, isActive: true } });
  if (!assignment) throw new LicenseError('LICENSE_NOT_ASSIGNED', 'license');
  const expired = licenseState(license, now) === 'EXPIRED';
  await tx.assignment.update({
    where: { id: assignment.id },
    data: { isActive: null, endedAt: now, endReason: expired ? 'EXPIRED' : reason, endedById: actor.kind === 'user' ? actor.userId : null },
  });
  const updated = await tx.license.update({ where: { id: licenseId }, data: { assignedUserId: null } });
  await recordAudit(tx, actor, now, {
    action: expired ? 'ASSIGNMENT_EXPIRED' : reason === 'REMOVED_BY_SELF' ? 'LICENSE_REMOVED_BY_SELF' : 'LICENSE_REVOKED',
    organisationId: license.school.organisationId,
    schoolId: license.schoolId,
    licenseId,
    userId: assignment.userId,
    before: licenseSnapshot(license),
    after: licenseSnapshot(updated),
  });
  return updated;
}
