// Assigning, revoking and giving back licenses: the rules of "Manage licenses".
import {
  Prisma,
  type Assignment,
  type AssignmentEndReason,
  type AuditAction,
  type License,
  type Product,
  type SchoolRole,
  type User,
} from '@school-licenses/db';
import type { Clock } from '../clock.ts';
import { eventsInsertSql } from '../events/outbox.ts';
import {
  canManageSchool,
  canSeeSchool,
  organisationOf,
  requireManagedSchool,
  systemActor,
  visibleLicenses,
  withTimeZone,
  visibleUsersSql,
  type Actor,
  type SchoolWithTimeZone,
  type Tx,
} from './actor.ts';
import { auditInsertSql, recordAudit, recordAudits, licenseSnapshot, type AuditEntry } from './audit.ts';
import { readPool, reusablePool, reusablePoolJsonSql } from './availability.ts';
import { day, jsonRows, moment, parseJson, selectColumns, txRows, txWrite, uuidArray, uuidV7 } from './sql.ts';
import { HOLDER_COLUMNS, LICENSE_COLUMNS, readHolder, readLicense } from './license-pages.ts';
import { localTime, sqlDay, type LocalTime } from './days.ts';
import { EndDateChoiceError, LicenseError, type EndDateCount } from './errors.ts';
import { effectiveStartedAt, expiryMoment, isExpired, licensesInStateSql, licensesWhereSql, startDates, startOfDaySql, todaySql } from './license-state.ts';
import { serveWaitingList, waiterServedEntry, type ListedWaiter } from './group-licensing.ts';

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

/** The assignment, with its user (read with the membership) and whether the actor may see them as the license's holder. */
export interface AssignedLicense extends AssignmentResult {
  user: User;
  userVisible: boolean;
}

export async function assignLicense(tx: Tx, clock: Clock, actor: Actor, input: AssignLicenseInput): Promise<AssignedLicense> {
  requireEndDateOnlyWithReuse(input);
  const { school, product, role, user, userVisible } = await lockForAssignment(tx, actor, input.schoolId, input.productId, input.userId);
  requireStudentOrTeacher(role);
  const result = await assignOne(tx, localTime(clock.now(), school.timeZone), actor, school, product, input);
  // A current member of the school exists as a user.
  return { ...result, user: user!, userVisible };
}

/** The advisory lock of a school's product: every change to its pool that may assign takes it first. */
const schoolProductLock = (schoolId: string, productId: string) => schoolProductLockSql(Prisma.sql`${schoolId}::uuid`, Prisma.sql`${productId}::uuid`);
/** The same lock, of a school and product that SQL expressions (a license's columns) give. */
const schoolProductLockSql = (schoolId: Prisma.Sql, productId: Prisma.Sql) =>
  Prisma.sql`pg_advisory_xact_lock(hashtextextended('assign:' || ${schoolId}::text || ':' || ${productId}::text, 0))`;
/** The advisory lock of a user's assignment of a product. */
const userProductLock = (userId: string, productId: string) => Prisma.sql`pg_advisory_xact_lock(hashtextextended(${`assign:${userId}:${productId}`}, 0))`;

/**
 * Locks the pools of a product at these schools, in a fixed order, as an assignment locks its
 * school's product. A change that writes licenses (their counters) and may then assign from the
 * pool (delivery with reservations, a revocation serving the waiting list, a move) takes this
 * first: taking it after the counters would deadlock with an assignment that holds it and waits
 * for them.
 */
export async function lockSchoolProducts(tx: Tx, schoolIds: string[], productId: string): Promise<void> {
  const locks = [...new Set(schoolIds)].sort().map((schoolId) => Prisma.sql`${schoolProductLock(schoolId, productId)}::text`);
  await tx.$queryRaw(Prisma.sql`SELECT ${Prisma.join(locks)}`);
}

/**
 * Locks the pools of every license these holders hold at these schools, in the order
 * lockSchoolProducts takes them (by school, then product): leavers' changes, which free licenses
 * and may then assign them (serving the waiting lists), take them first, after the memberships.
 */
export async function lockHeldPools(tx: Tx, holders: { userId: string; schoolId: string }[]): Promise<void> {
  if (holders.length === 0) return;
  await tx.$queryRaw`
    SELECT ${schoolProductLockSql(Prisma.sql`"schoolId"`, Prisma.sql`"productId"`)}::text
    FROM (SELECT a."schoolId", a."productId" FROM "Assignment" a JOIN ${jsonRows(holders, HOLDER_AT_SCHOOL_COLUMNS)} ON r."userId" = a."userId" AND r."schoolId" = a."schoolId"
      WHERE a."isActive" GROUP BY a."schoolId", a."productId" ORDER BY a."schoolId"::text COLLATE "C", a."productId"::text COLLATE "C") pools`;
}

/** The school and product of an assignment, as assignOne needs them. */
export interface AssigningSchool {
  id: string;
  organisationId: string;
  timeZone: string;
}
export type AssignedProduct = Pick<Product, 'id' | 'validityMonths'>;

/** The school as an assignment needs it, from a school read with its organisation's time zone. */
export const assigningSchool = (school: SchoolWithTimeZone): AssigningSchool => ({
  id: school.id,
  organisationId: school.organisationId,
  timeZone: school.organisation.timeZone,
});

/**
 * The school (as the actor may manage it), the product and the user's membership in one
 * statement, which also takes the locks of an assignment, in this order: the membership (FOR
 * SHARE: a membership ending at this moment either waits for this assignment and then revokes it,
 * roster.ts, or ends first and is not found here), then the school's product (its counter rows
 * serialise its assignments anyway; taken before any user's, a bulk assignment holding the
 * counters never waits for a user whose single assignment waits for them, a deadlock), then the
 * user and product (a concurrent request for the same user waits until this transaction ends, then
 * sees its assignment, USER_ALREADY_HAS_LICENSE, instead of running into the unique key).
 * Authorization is part of the read: only a school of the actor's organisation is found.
 */
async function lockForAssignment(
  tx: Tx,
  actor: Actor,
  schoolId: string,
  productId: string,
  userId: string | null,
): Promise<{ school: AssigningSchool; product: AssignedProduct; role: SchoolRole | null; user: User | null; userVisible: boolean }> {
  const membership = userId
    ? Prisma.sql`SELECT role::text FROM "SchoolMembership"
        WHERE "userId" = ${userId}::uuid AND "schoolId" = ${schoolId}::uuid AND "endedAt" IS NULL FOR SHARE`
    : Prisma.sql`SELECT NULL::text AS role`;
  const userLock = userId ? Prisma.sql`${userProductLock(userId, productId)}::text` : Prisma.sql`NULL`;
  // The user too, for the answer (the assignment's user, the license's holder when the actor may see them).
  const user = userId ? Prisma.sql`, ${selectColumns(HOLDER_COLUMNS, 'u', 'holder.')}, ${visibleUsersSql(actor, 'u')} AS "holderVisible"` : Prisma.empty;
  const [row] = await txRows<
    {
      schoolId: string | null;
      organisationId: string | null;
      timeZone: string | null;
      productId: string | null;
      validityMonths: number | null;
      role: SchoolRole | null;
      holderVisible?: boolean | null;
    } & Record<string, unknown>
  >(
    tx,
    Prisma.sql`
    WITH m AS MATERIALIZED (${membership})
    SELECT s.id::text AS "schoolId", s."organisationId"::text AS "organisationId", o."timeZone",
      p.id::text AS "productId", p."validityMonths", (SELECT role FROM m LIMIT 1) AS role,
      ${schoolProductLock(schoolId, productId)}::text AS "productLock", ${userLock} AS "userLock" ${user}
    FROM (SELECT 1) one
    LEFT JOIN "School" s ON s.id = ${schoolId}::uuid AND s."organisationId" = ${organisationOf(actor)}::uuid
    LEFT JOIN "Organisation" o ON o.id = s."organisationId"
    LEFT JOIN "Product" p ON p.id = ${productId}::uuid
    ${userId ? Prisma.sql`LEFT JOIN "User" u ON u.id = ${userId}::uuid` : Prisma.empty}`,
  );
  const found = row?.schoolId ? { id: row.schoolId, organisationId: row.organisationId!, timeZone: row.timeZone! } : null;
  if (!found || !canSeeSchool(actor, found)) throw new LicenseError('NOT_FOUND', 'school', 'No such school.');
  if (!canManageSchool(actor, found)) throw new LicenseError('FORBIDDEN', 'school', 'Only administrators of this school may do this.');
  if (!row!.productId) throw new LicenseError('NOT_FOUND', 'product', 'No such product.');
  return {
    school: found,
    product: { id: row!.productId, validityMonths: Number(row!.validityMonths) },
    role: row!.role,
    user: userId ? readHolder(row!) : null,
    userVisible: row!.holderVisible === true,
  };
}

/** Only a current student or teacher of the school is given a license. */
function requireStudentOrTeacher(role: SchoolRole | null): void {
  if (!role || role === 'SCHOOL_ADMIN') throw new LicenseError('USER_NOT_IN_SCHOOL', 'user');
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
  const { school, product } = await lockForAssignment(tx, actor, input.schoolId, input.productId, null);
  const time = localTime(clock.now(), school.timeZone);
  const byUser = new Map<string, BulkAssignOutcome>();
  // Users in one fixed order (by ID), whatever order they were given in: concurrent batches with
  // overlapping users then take their per-user locks in the same order and cannot deadlock.
  for (const userId of [...new Set(input.userIds)].sort()) {
    try {
      const result = await assignMember(tx, time, actor, school, product, { ...input, userId });
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

/**
 * Assigns a license to one user of a school whose product the caller has locked
 * (lockForAssignment, lockSchoolProducts) and may manage: the user's membership and lock, as
 * assignLicense takes them, then every rule of assignOne.
 */
export async function assignMember(
  tx: Tx,
  time: LocalTime,
  actor: Actor,
  school: AssigningSchool,
  product: AssignedProduct,
  input: Parameters<typeof assignOne>[5],
): Promise<AssignmentResult> {
  const [membership] = await txRows<{ role: SchoolRole }>(
    tx,
    Prisma.sql`
    SELECT role::text AS role FROM "SchoolMembership"
    WHERE "userId" = ${input.userId}::uuid AND "schoolId" = ${school.id}::uuid AND "endedAt" IS NULL
    FOR SHARE`,
  );
  requireStudentOrTeacher(membership?.role ?? null);
  await txRows(tx, Prisma.sql`SELECT ${userProductLock(input.userId, product.id)}::text`);
  return assignOne(tx, time, actor, school, product, input);
}

/** Where a license comes from, for a group's assignment, its standing rule and its waiting list. */
export type LicensePolicy = 'REUSABLE_FIRST' | 'REUSABLE_WITH_END_DATE' | 'NEW_FIRST' | 'ONLY_NEW';

/**
 * Assigns the user a license taken by the policy: each source in the policy's order (a reusable
 * one with the earliest end date, or the chosen one, or a new one) until one has a license. The
 * same rules as assignLicense; refused with the last source's error (NO_LICENSE_AVAILABLE or
 * END_DATE_NOT_AVAILABLE) when none has one.
 */
export async function assignByPolicy(
  tx: Tx,
  time: LocalTime,
  actor: Actor,
  school: SchoolWithTimeZone,
  product: Product,
  input: { userId: string; policy: LicensePolicy; endDate?: Date | null; groupLicenseRuleId?: string | null },
): Promise<AssignmentResult> {
  const reusable = input.policy === 'REUSABLE_WITH_END_DATE' ? { endDate: input.endDate ?? null } : { earliestEndDate: true };
  const sources = {
    REUSABLE_FIRST: [true, false],
    REUSABLE_WITH_END_DATE: [true],
    NEW_FIRST: [false, true],
    ONLY_NEW: [false],
  }[input.policy];
  await lockSchoolProducts(tx, [school.id], product.id);
  let refusal: LicenseError | undefined;
  for (const reuseStarted of sources) {
    // A concurrent admin may take the earliest end date between reading the pool and locking one: read it again.
    for (let attempt = 0; attempt < (reuseStarted ? 3 : 1); attempt++) {
      try {
        return await assignMember(tx, time, actor, assigningSchool(school), product, {
          userId: input.userId,
          reuseStarted,
          groupLicenseRuleId: input.groupLicenseRuleId,
          ...(reuseStarted ? reusable : {}),
        });
      } catch (error) {
        if (!(error instanceof LicenseError) || (error.code !== 'NO_LICENSE_AVAILABLE' && error.code !== 'END_DATE_NOT_AVAILABLE')) throw error;
        refusal = error;
        if (error.code === 'NO_LICENSE_AVAILABLE' || 'endDate' in reusable) break;
      }
    }
  }
  throw refusal!;
}

async function assignOne(
  tx: Tx,
  time: LocalTime,
  actor: Actor,
  school: AssigningSchool,
  product: AssignedProduct,
  input: Omit<AssignLicenseInput, 'schoolId' | 'productId'> & { earliestEndDate?: boolean; groupLicenseRuleId?: string | null | undefined },
): Promise<AssignmentResult> {
  const { now, today } = time;
  const where = { schoolId: school.id, productId: product.id, today };
  // The user's active assignments of the product, the pool, and a license locked, in one statement.
  const picked = await pickLicense(tx, {
    ...where,
    userId: input.userId,
    ...(input.reuseStarted ? { kind: 'reusable', endDate: input.endDate ?? null } : { kind: 'new', orderId: input.fromOrderId }),
  });
  // An active assignment whose license has expired is ended here, at its expiry (so the user can
  // get a new one); any other means they hold one.
  const expired = picked.active.filter((a) => isExpired(a.license, today));
  await endAssignmentsOfExpiredLicenses(
    tx,
    now,
    expired.map((a) => ({ ...a, organisationId: school.organisationId, expiresAt: expiryMoment(a.license.endDate, time.timeZone) })),
  );
  if (picked.active.length > expired.length) throw new LicenseError('USER_ALREADY_HAS_LICENSE', 'user');

  const { pool } = picked;
  let license: License;
  // assignedUserId directly: the membership read before proved the user exists.
  let update: Pick<License, 'assignedUserId'> & Partial<Pick<License, 'startedAt' | 'endDate'>>;
  if (input.reuseStarted) {
    chooseFromPool(pool, input.endDate ?? null, 'reuseStarted', input.earliestEndDate);
    // Counted but taken: another transaction holds it (not an assignment, which waits for the school's product).
    if (!picked.license) throw new EndDateChoiceError('END_DATE_NOT_AVAILABLE', pool);
    license = picked.license;
    update = { assignedUserId: input.userId };
    if (!license.startedAt) {
      // It started by itself at its deadline and the sweep has not written it down yet: its start
      // is written now, with the system's audit event at that moment (its feed event now, when it
      // is written down), before it is reused.
      const startedAt = effectiveStartedAt(license, time)!;
      update.startedAt = startedAt;
      await recordAudit(tx, systemActor, now, { ...autoStartEntry({ ...license, startedAt }, school.organisationId), at: startedAt });
    }
  } else {
    if (!picked.license) {
      const reusable = pool.reduce((sum, group) => sum + group.count, 0);
      throw noLicenseLeft(
        'reuseStarted',
        reusable ? `No new license is left; ${reusable} started license(s) can be reused (reuseStarted: true).` : 'No new license is left.',
      );
    }
    license = picked.license;
    update = { ...startDates(time, product.validityMonths), assignedUserId: input.userId };
  }

  const updated: License = { ...license, ...update };
  const assignment: Assignment = {
    id: uuidV7(now.getTime()),
    licenseId: license.id,
    userId: input.userId,
    productId: product.id,
    schoolId: school.id,
    assignedAt: now,
    assignedById: actor.kind === 'user' ? actor.userId : null,
    endedAt: null,
    endReason: null,
    endedById: null,
    isActive: true,
    groupLicenseRuleId: input.groupLicenseRuleId ?? null,
  };
  const entry: AuditEntry = {
    action: 'LICENSE_ASSIGNED',
    organisationId: school.organisationId,
    schoolId: school.id,
    licenseId: license.id,
    userId: input.userId,
    before: licenseSnapshot(license),
    after: { ...licenseSnapshot(updated), reusedStarted: input.reuseStarted },
  };
  // Waiting for the product at the school (a license given another way than by serving the line):
  // off the list, served with this license, in the same statement. SKIP LOCKED: a waiter row locked
  // by another transaction is being cancelled by it (serving and queuing take the pool's lock first,
  // which this transaction holds), and waiting for it could deadlock with its revokes.
  const served = picked.waiter ? waiterServedEntry(school, product.id, input.userId, picked.waiter, license.id) : null;
  const servedSql = served
    ? Prisma.sql`,
    served AS (
      UPDATE "LicenseWaiter" SET "isWaiting" = NULL, state = 'SERVED', "endedAt" = ${now}, "licenseId" = ${license.id}::uuid
      WHERE id = (SELECT id FROM "LicenseWaiter" WHERE id = ${picked.waiter!.id}::uuid AND "isWaiting" FOR UPDATE SKIP LOCKED)
      RETURNING id),
    served_audit AS (${auditInsertSql(actor, now, served, Prisma.sql`served`)})`
    : Prisma.empty;
  // The license, its assignment, the audit events and the events in one statement. The events
  // read the counters as they were before it (eventsInsertSql): this assignment exhausted the pool
  // when it took the last assignable license.
  const written = (cte: string) => Prisma.sql`EXISTS (SELECT 1 FROM ${Prisma.raw(cte)})`;
  const events = eventsInsertSql(
    actor,
    now,
    [{ entry, writtenIf: written('assigned') }, ...(served ? [{ entry: served, writtenIf: written('served') }] : [])],
    { countersBeforeAssigning: true },
  );
  const set = Prisma.join([
    Prisma.sql`"assignedUserId" = ${input.userId}::uuid`,
    ...(update.startedAt ? [Prisma.sql`"startedAt" = ${update.startedAt}`] : []),
    ...(update.endDate ? [Prisma.sql`"endDate" = ${sqlDay(update.endDate)}`] : []),
  ]);
  await txWrite(
    tx,
    Prisma.sql`
    WITH updated AS (UPDATE "License" SET ${set} WHERE id = ${license.id}::uuid RETURNING id),
    assigned AS (
      INSERT INTO "Assignment" (id, "licenseId", "userId", "productId", "schoolId", "assignedAt", "assignedById", "isActive", "groupLicenseRuleId")
      SELECT ${assignment.id}::uuid, updated.id, ${assignment.userId}::uuid, ${assignment.productId}::uuid, ${assignment.schoolId}::uuid,
        ${now}, ${assignment.assignedById}::uuid, true, ${assignment.groupLicenseRuleId}::uuid
      FROM updated
      RETURNING id),
    assigned_audit AS (${auditInsertSql(actor, now, entry, Prisma.sql`assigned`)})${servedSql}
    ${events ? Prisma.sql`, events AS (${events})` : Prisma.empty}
    SELECT 1`,
  );
  return { assignment, license: updated };
}

const endActions = {
  REVOKED_BY_ADMIN: 'LICENSE_REVOKED',
  REMOVED_BY_SELF: 'LICENSE_REMOVED_BY_SELF',
  EXPIRED: 'ASSIGNMENT_EXPIRED',
  LEFT_SCHOOL: 'LICENSE_REVOKED_LEFT_SCHOOL',
  LEFT_GROUP: 'LICENSE_REVOKED_LEFT_GROUP',
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

/** The end date to reuse (or move) from a pool: the one chosen, the only one there is, or (for a group's policy) the earliest. */
function chooseFromPool(pool: EndDateCount[], chosen: Date | null, emptyField = 'reuseStarted', earliest = false): Date {
  if (pool.length === 0) throw noLicenseLeft(emptyField, 'The school has no reusable started license of this product.');
  if (chosen) {
    if (!pool.some((group) => group.endDate.getTime() === chosen.getTime())) throw new EndDateChoiceError('END_DATE_NOT_AVAILABLE', pool);
    return chosen;
  }
  if (pool.length > 1 && !earliest) throw new EndDateChoiceError('END_DATE_REQUIRED', pool);
  return pool[0]!.endDate;
}

/** The end date to reuse (or move) of a school's pool of a product, as chooseFromPool chooses it. */
export async function chooseEndDate(
  tx: Tx,
  where: { schoolId: string; productId: string; today: Date },
  chosen: Date | null,
  emptyField = 'reuseStarted',
): Promise<Date> {
  return chooseFromPool(await reusablePool(tx, where, where.today), chosen, emptyField);
}

export type UnassignedLicenses =
  | { schoolId: string; productId: string; today: Date; kind: 'new'; orderId?: string | undefined }
  | { schoolId: string; productId: string; today: Date; kind: 'reusable'; endDate: Date | null };

/**
 * Up to `limit` unassigned licenses of a kind, in the order allocation takes them, locked, as
 * text and epoch milliseconds. FOR UPDATE SKIP LOCKED lets concurrent transactions take different
 * licenses; the conditions are on the license row itself, so PostgreSQL re-checks them after
 * waiting and never hands out one that was just taken. New licenses closest to their auto-start
 * day go first, so fewer start unused; reusable ones of the end date chosen, or the earliest.
 */
function unassignedLicensesSql(where: UnassignedLicenses, limit: number): Prisma.Sql {
  const { schoolId, productId, today } = where;
  const condition =
    where.kind === 'new'
      ? Prisma.sql`${licensesInStateSql('NEW', today, '"License"')} ${where.orderId ? Prisma.sql`AND "orderId" = ${where.orderId}::uuid` : Prisma.empty}`
      : Prisma.sql`${licensesWhereSql('REUSABLE', today, '"License"')} ${where.endDate ? Prisma.sql`AND "endDate" = ${sqlDay(where.endDate)}` : Prisma.empty}`;
  const order = where.kind === 'new' ? Prisma.sql`"autoStartOn", id` : Prisma.sql`"endDate", id`;
  return Prisma.sql`
    SELECT id::text, "schoolId"::text, "productId"::text, "orderId"::text,
      (extract(epoch FROM "deliveredAt") * 1000)::float8 AS "deliveredAt", "autoStartOn"::text AS "autoStartOn",
      (extract(epoch FROM "startedAt") * 1000)::float8 AS "startedAt", "endDate"::text AS "endDate", "assignedUserId"::text
    FROM "License"
    WHERE "schoolId" = ${schoolId}::uuid AND "productId" = ${productId}::uuid
      AND "assignedUserId" IS NULL AND ${condition}
    ORDER BY ${order}
    LIMIT ${limit}::int
    FOR UPDATE SKIP LOCKED`;
}

/** Locks up to `limit` unassigned licenses of a kind (unassignedLicensesSql): moves take them so. */
export function lockUnassignedLicenses(tx: Tx, where: UnassignedLicenses, limit: number): Promise<Record<string, unknown>[]> {
  return tx.$queryRaw<Record<string, unknown>[]>(unassignedLicensesSql(where, limit));
}

interface ActiveAssignment {
  id: string;
  licenseId: string;
  userId: string;
  schoolId: string;
  license: Pick<License, 'startedAt' | 'autoStartOn' | 'endDate' | 'assignedUserId'>;
}

/**
 * In one statement: the user's active assignments of the product (with their licenses' dates),
 * the school's reusable pool of it (from the counters), and one assignable license, locked
 * (unassignedLicensesSql).
 */
async function pickLicense(
  tx: Tx,
  where: UnassignedLicenses & { userId: string },
): Promise<{ active: ActiveAssignment[]; pool: EndDateCount[]; waiter: ListedWaiter | null; license: License | null }> {
  const { schoolId, productId, userId, today } = where;
  // The whole row comes back with the lock: no second statement to read it.
  const [row] = await txRows<Record<string, unknown>>(
    tx,
    Prisma.sql`
    SELECT
      (SELECT json_agg(json_build_object('id', a.id, 'licenseId', a."licenseId", 'schoolId', a."schoolId",
          'startedAt', (extract(epoch FROM al."startedAt") * 1000)::float8, 'autoStartOn', al."autoStartOn", 'endDate', al."endDate",
          'assignedUserId', al."assignedUserId"))
        FROM "Assignment" a JOIN "License" al ON al.id = a."licenseId"
        WHERE a."userId" = ${userId}::uuid AND a."productId" = ${productId}::uuid AND a."isActive") AS active,
      (${reusablePoolJsonSql(schoolId, Prisma.sql`${productId}::uuid`, today)}) AS pool,
      (SELECT json_build_object('id', w.id, 'groupId', w."groupId", 'ruleId', w."ruleId", 'policy', w.policy, 'reason', w.reason,
          'queuedAt', (extract(epoch FROM w."queuedAt") * 1000)::float8)
        FROM "LicenseWaiter" w
        WHERE w."schoolId" = ${schoolId}::uuid AND w."productId" = ${productId}::uuid AND w."userId" = ${userId}::uuid AND w."isWaiting") AS waiter,
      l.*
    FROM (SELECT 1) one
    LEFT JOIN LATERAL (${unassignedLicensesSql(where, 1)}) l ON true`,
  );
  const active = parseJson<ActiveJson[]>(row!.active) ?? [];
  return {
    active: active.map((a) => ({
      id: a.id,
      licenseId: a.licenseId,
      userId,
      schoolId: a.schoolId,
      license: {
        startedAt: a.startedAt === null ? null : moment(a.startedAt),
        autoStartOn: day(a.autoStartOn),
        endDate: day(a.endDate),
        assignedUserId: a.assignedUserId,
      },
    })),
    pool: readPool(row!.pool, today),
    waiter: listedWaiter(parseJson<WaiterJson>(row!.waiter)),
    license:
      row!.id == null
        ? null
        : {
            id: row!.id as string,
            schoolId: row!.schoolId as string,
            productId: row!.productId as string,
            orderId: row!.orderId as string,
            deliveredAt: moment(row!.deliveredAt),
            autoStartOn: day(row!.autoStartOn),
            startedAt: row!.startedAt === null ? null : moment(row!.startedAt),
            endDate: day(row!.endDate),
            assignedUserId: row!.assignedUserId as string | null,
          },
  };
}

interface WaiterJson {
  id: string;
  groupId: string;
  ruleId: string | null;
  policy: LicensePolicy;
  reason: ListedWaiter['reason'];
  queuedAt: number;
}

const listedWaiter = (json: WaiterJson | null | undefined): ListedWaiter | null => (json ? { ...json, queuedAt: moment(json.queuedAt) } : null);

interface ActiveJson {
  id: string;
  licenseId: string;
  schoolId: string;
  startedAt: number | null;
  /** Days come as "YYYY-MM-DD". */
  autoStartOn: string;
  endDate: string;
  assignedUserId: string | null;
}

/**
 * Ends the active assignments whose license has expired in its organisation's time zone at
 * `now`, so their holders can get a new one: the sweep, over every organisation; or those of
 * these holders at these schools (leavers, before their licenses there are revoked).
 */
export async function endExpiredAssignments(tx: Tx, now: Date, holders?: { userId: string; schoolId: string }[]): Promise<number> {
  if (holders?.length === 0) return 0;
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
      ${holders ? Prisma.sql`AND (a."userId", a."schoolId") IN (SELECT h."userId", h."schoolId" FROM ${jsonRows(holders, HOLDER_AT_SCHOOL_COLUMNS, 'h')})` : Prisma.empty}
    FOR UPDATE OF a, l`);
  await endAssignmentsOfExpiredLicenses(
    tx,
    now,
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

/** A holder of licenses at a school, as jsonRows reads it. */
export const HOLDER_AT_SCHOOL_COLUMNS = { userId: 'uuid', schoolId: 'uuid' };

/** 00:00 of the day after the license's end date in its organisation's zone: when it expired. */
const startOfDayAfterSql = startOfDaySql(Prisma.sql`(l."endDate" + 1)`);

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

/**
 * Ends these active assignments, whose licenses have expired, at their expiry, by the system, and
 * records it: each audit event at its own license's expiry, each feed event `now`, when it is
 * written down (docs/EVENTS.md), so the feed keeps its order and its retention counts from then.
 */
async function endAssignmentsOfExpiredLicenses(tx: Tx, now: Date, expired: ExpiredAssignment[]): Promise<void> {
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
    now,
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

/**
 * An admin takes a license back. A started license keeps its end date and becomes reusable. The
 * pool's lock (as endLockedAssignment needs it) comes with the school the actor must manage, in one
 * statement; when they may not, the refusal is told as before (refuseRevoke) and the rollback
 * lets the lock go.
 */
export async function revokeLicense(tx: Tx, clock: Clock, actor: Actor, input: { licenseId: string }): Promise<License> {
  const [school] = await txRows<{ id: string; organisationId: string }>(
    tx,
    Prisma.sql`
    SELECT s.id::text AS id, s."organisationId"::text AS "organisationId",
      ${schoolProductLockSql(Prisma.sql`l."schoolId"`, Prisma.sql`l."productId"`)}::text AS "productLock"
    FROM "License" l JOIN "School" s ON s.id = l."schoolId"
    WHERE l.id = ${input.licenseId}::uuid`,
  );
  if (!school || !canManageSchool(actor, school)) return refuseRevoke(tx, actor, input.licenseId);
  return endLockedAssignment(tx, clock.now(), actor, input.licenseId, 'REVOKED_BY_ADMIN');
}

/** Why the actor may not revoke the license: NOT_FOUND when they may not see it, else the school's refusal. */
async function refuseRevoke(tx: Tx, actor: Actor, licenseId: string): Promise<never> {
  const license = await tx.license.findFirst({ where: { AND: [{ id: licenseId }, visibleLicenses(actor)] }, select: { schoolId: true } });
  if (!license) throw new LicenseError('NOT_FOUND', 'license', 'No such license.');
  await requireManagedSchool(tx, actor, license.schoolId, 'license');
  throw new LicenseError('FORBIDDEN', 'license', 'Only administrators of this school may do this.');
}

/**
 * A teacher gives back their own license; students may not. The pool's lock (as
 * endLockedAssignment needs it) comes with the user's active assignment, in one statement; a
 * refusal's rollback lets it go.
 */
export async function removeMyLicense(tx: Tx, clock: Clock, actor: Actor, input: { licenseId: string }): Promise<License> {
  if (actor.kind !== 'user') throw new LicenseError('FORBIDDEN', null, 'Only a signed-in user can remove their own license.');
  const [assignment] = await txRows<{ schoolId: string }>(
    tx,
    Prisma.sql`
    SELECT "schoolId"::text AS "schoolId", ${schoolProductLockSql(Prisma.sql`"schoolId"`, Prisma.sql`"productId"`)}::text AS "productLock"
    FROM "Assignment" WHERE "licenseId" = ${input.licenseId}::uuid AND "userId" = ${actor.userId}::uuid AND "isActive"`,
  );
  if (!assignment) throw new LicenseError('NOT_FOUND', 'license', 'You hold no such license.');
  if (actor.schoolRoles.get(assignment.schoolId) !== 'TEACHER') {
    throw new LicenseError('FORBIDDEN', 'license', 'Only teachers can remove their own license; ask an administrator.');
  }
  return endLockedAssignment(tx, clock.now(), actor, input.licenseId, 'REMOVED_BY_SELF');
}

/**
 * Ends the license's active assignment for `reason`: a started license keeps its end date and
 * becomes reusable. Used by revoking and giving back, once the pool's lock is held: taken first,
 * as every change that may assign takes it (serving the waiting list below assigns), since a
 * transaction holding it (a roster import that assigned, then revokes this license) and one
 * holding this license's row lock would otherwise wait for each other. A license past its end
 * date has no holder, whether or not the sweep has written its expiry down: LICENSE_NOT_ASSIGNED,
 * and nothing written.
 */
async function endLockedAssignment(tx: Tx, now: Date, actor: Actor, licenseId: string, reason: AssignmentEndReason): Promise<License> {
  // Then the license, locked, so a concurrent revoke or assignment waits for this one, with its
  // school's zone and whether anyone waits for the pool (queuing takes the pool's lock: this stays so).
  const [row] = await txRows<Record<string, unknown>>(
    tx,
    Prisma.sql`
    SELECT ${selectColumns(LICENSE_COLUMNS, 'l')}, s."organisationId"::text AS "organisationId", o."timeZone",
      EXISTS (SELECT 1 FROM "LicenseWaiter" w WHERE w."schoolId" = l."schoolId" AND w."productId" = l."productId" AND w."isWaiting") AS "anyoneWaiting"
    FROM "License" l
    JOIN "School" s ON s.id = l."schoolId"
    JOIN "Organisation" o ON o.id = s."organisationId"
    WHERE l.id = ${licenseId}::uuid
    FOR UPDATE OF l`,
  );
  const license = row ? readLicense(row) : null;
  if (!license) throw new LicenseError('NOT_FOUND', 'license', 'No such license.');
  const time = localTime(now, row!.timeZone as string);
  const holderId = license.assignedUserId;
  if (!holderId || isExpired(license, time.today)) throw new LicenseError('LICENSE_NOT_ASSIGNED', 'license');
  const updated: License = { ...license, assignedUserId: null };
  const entry: AuditEntry = {
    action: endActions[reason],
    organisationId: row!.organisationId as string,
    schoolId: license.schoolId,
    licenseId,
    userId: holderId,
    before: licenseSnapshot(license),
    after: licenseSnapshot(updated),
  };
  // The assignment, the license, the audit event and the event in one statement; the license
  // only with its active assignment (read after the license's lock, in this statement).
  const events = eventsInsertSql(actor, now, [{ entry, writtenIf: Prisma.sql`EXISTS (SELECT 1 FROM updated)` }]);
  const [written] = await txRows<{ ended: number }>(
    tx,
    Prisma.sql`
    WITH ended AS (
      UPDATE "Assignment" SET "isActive" = NULL, "endedAt" = ${now}, "endReason" = ${reason}::"AssignmentEndReason",
        "endedById" = ${actor.kind === 'user' ? actor.userId : null}::uuid
      WHERE "licenseId" = ${licenseId}::uuid AND "isActive"
      RETURNING id),
    updated AS (UPDATE "License" SET "assignedUserId" = NULL WHERE id = ${licenseId}::uuid AND EXISTS (SELECT 1 FROM ended) RETURNING id),
    audit AS (${auditInsertSql(actor, now, entry, Prisma.sql`updated`)})
    ${events ? Prisma.sql`, events AS (${events})` : Prisma.empty}
    SELECT count(*)::int AS ended FROM ended`,
  );
  if (written!.ended === 0) throw new LicenseError('LICENSE_NOT_ASSIGNED', 'license');
  if (!row!.anyoneWaiting) return updated;
  // The license is free again: the first in the school's waiting list for the product gets it.
  await serveWaitingList(tx, now, license.schoolId, license.productId);
  return tx.license.findUniqueOrThrow({ where: { id: licenseId } });
}

/**
 * endLockedAssignment for many licenses at once (a roster import's leavers, a group's standing rule): the licenses with no
 * holder (or past their end dates) are left as they are; the others' assignments end with one
 * statement per table, their audit events with one, and each pool freed serves its waiting list.
 * Returns the licenses whose assignment ended, as they are now.
 */
export async function endAssignments(tx: Tx, now: Date, actor: Actor, licenseIds: string[], reason: AssignmentEndReason): Promise<License[]> {
  if (licenseIds.length === 0) return [];
  const ids = [...new Set(licenseIds)].sort();
  // The pools' locks first, in order, as every change that may assign takes them (serving the
  // waiting list below assigns): a transaction holding one (a roster import that assigned, then
  // revokes this license) and one holding this license's row lock would otherwise wait for each
  // other. Read unlocked: an assigned license's school and product do not change; one moved
  // meanwhile is unassigned, below.
  await tx.$queryRaw`
    SELECT ${schoolProductLockSql(Prisma.sql`"schoolId"`, Prisma.sql`"productId"`)}::text
    FROM (SELECT "schoolId", "productId" FROM "License" WHERE id = ANY(${uuidArray(ids)}) GROUP BY "schoolId", "productId" ORDER BY "schoolId"::text COLLATE "C", "productId"::text COLLATE "C") pools`;
  // Then the licenses, so a concurrent revoke or assignment waits for this one.
  await tx.$queryRaw`SELECT id FROM "License" WHERE id = ANY(${uuidArray(ids)}) ORDER BY id FOR UPDATE`;
  const licenses = await tx.license.findMany({ where: { id: { in: ids } }, include: { school: { include: withTimeZone } }, orderBy: { id: 'asc' } });
  const active = new Map((await tx.assignment.findMany({ where: { licenseId: { in: ids }, isActive: true } })).map((a) => [a.licenseId, a]));
  const ending = licenses.filter((license) => active.has(license.id) && !isExpired(license, localTime(now, license.school.organisation.timeZone).today));
  if (ending.length === 0) return [];
  await tx.assignment.updateMany({
    where: { id: { in: ending.map((license) => active.get(license.id)!.id) } },
    data: { isActive: null, endedAt: now, endReason: reason, endedById: actor.kind === 'user' ? actor.userId : null },
  });
  await tx.license.updateMany({ where: { id: { in: ending.map((license) => license.id) } }, data: { assignedUserId: null } });
  const updated = ending.map(({ school: _, ...license }): License => ({ ...license, assignedUserId: null }));
  await recordAudits(
    tx,
    actor,
    now,
    ending.map((license, n) => ({
      action: endActions[reason],
      organisationId: license.school.organisationId,
      schoolId: license.schoolId,
      licenseId: license.id,
      userId: active.get(license.id)!.userId,
      before: licenseSnapshot(license),
      after: licenseSnapshot(updated[n]!),
    })),
  );
  // The licenses are free again: the first in each pool's waiting list gets one.
  const pools = [...new Map(ending.map((license) => [`${license.schoolId} ${license.productId}`, license])).values()].sort((a, b) =>
    a.schoolId < b.schoolId ? -1 : a.schoolId > b.schoolId ? 1 : a.productId < b.productId ? -1 : 1,
  );
  for (const { schoolId, productId } of pools) await serveWaitingList(tx, now, schoolId, productId);
  return updated;
}
