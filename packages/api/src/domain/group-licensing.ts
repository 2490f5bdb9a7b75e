// Class licensing: a product given to a group's members, a group's standing rule that keeps it
// given as members come and go, and the waiting list of members who could not get one yet
// (docs/CLASS-LICENSING.md).
//
// Licenses are taken by assignments.ts (assignByPolicy), with every rule of assignLicense. Locks, so
// that concurrent admins, roster changes and revokes never hand out a license twice nor pass the
// waiting list by:
// - assignLicenseToGroup takes the group row FOR NO KEY UPDATE; a member joining or leaving takes it
//   FOR SHARE before reading the group's rules. A rule created and a member joining at once: the
//   member's change waits and sees the rule, or the rule's assignment waits and sees the member.
// - A member's school membership is read FOR SHARE SKIP LOCKED before assigning them (the group or
//   the waiting list): one whose membership is being changed right now is left to that change, which
//   holds the membership and may be waiting for the group.
// - A freed license serves the waiting list in order; each waiter row is locked (SKIP LOCKED: one
//   being served or cancelled by another transaction is that transaction's).
import { Prisma, type GroupLicenseRule, type GroupRole, type LicenseWaiter, type LicenseWaitReason, type Product, type School } from '@school-licenses/db';
import type { Clock } from '../clock.ts';
import { canReadSchoolLicenses, requireManagedSchool, systemActor, withTimeZone, type Actor, type SchoolWithTimeZone, type Tx } from './actor.ts';
import { assignByPolicy, endAssignments, type LicensePolicy } from './assignments.ts';
import { recordAudit, recordAudits } from './audit.ts';
import { formatDay, localTime, parseDay, type LocalTime } from './days.ts';
import { LicenseError } from './errors.ts';
import { licensesWhereSql } from './license-state.ts';

export type MemberOutcomeKind = 'ASSIGNED' | 'ALREADY_HOLDS' | 'WAITING' | 'NOT_ELIGIBLE';

export interface MemberOutcome {
  userId: string;
  outcome: MemberOutcomeKind;
  /** ASSIGNED: the license given (in a dry run, the one that would be). */
  licenseId: string | null;
  /** ASSIGNED: the end date (a day) of the license given. */
  endDate: Date | null;
  /** WAITING: why. */
  waitReason: LicenseWaitReason | null;
  /** NOT_ELIGIBLE: why (e.g. USER_NOT_IN_SCHOOL). */
  error: LicenseError | null;
}

export interface AssignToGroupInput {
  groupId: string;
  productId: string;
  policy: LicensePolicy;
  /** With REUSABLE_WITH_END_DATE only: the end date of the reusable licenses to take. */
  endDate?: Date | null;
  /** The group roles that get a license; students by default. */
  roles?: GroupRole[] | null;
  /** Keep the product given: a standing rule for members who join later. */
  keep?: boolean | null;
  /** With keep: members who leave the group keep their license. */
  keepOnLeave?: boolean | null;
}

export interface AssignToGroupResult {
  rule: GroupLicenseRule | null;
  outcomes: MemberOutcome[];
}

const DEFAULT_ROLES: GroupRole[] = ['STUDENT'];

/**
 * Gives every current member of the group (of the roles given) who holds no license of the product
 * one, taken by the policy; those for whom none is left join the waiting list. With `keep`, also
 * creates the group's standing rule for the product. One outcome per member, by user id.
 */
export async function assignLicenseToGroup(tx: Tx, clock: Clock, actor: Actor, input: AssignToGroupInput): Promise<AssignToGroupResult> {
  const now = clock.now();
  requirePolicyEndDate(input);
  if (input.keepOnLeave && !input.keep) {
    throw new LicenseError('INVALID_INPUT', 'keepOnLeave', 'keepOnLeave belongs to a standing rule (keep: true).');
  }
  const roles = input.roles?.length ? [...new Set(input.roles)].sort() : DEFAULT_ROLES;
  const group = await tx.group.findUnique({ where: { id: input.groupId }, select: { id: true, schoolId: true, endedAt: true } });
  if (!group) throw new LicenseError('NOT_FOUND', 'group', 'No such group.');
  const school = await requireManagedSchool(tx, actor, group.schoolId, 'group');
  if (group.endedAt) throw new LicenseError('ALREADY_ENDED', 'group', 'The group has ended.');
  const product = await tx.product.findUnique({ where: { id: input.productId } });
  if (!product) throw new LicenseError('NOT_FOUND', 'product', 'No such product.');
  // Rules and joiners of this group wait for this transaction (see the top of the file).
  await tx.$queryRaw`SELECT id FROM "Group" WHERE id = ${group.id}::uuid FOR NO KEY UPDATE`;

  let rule: GroupLicenseRule | null = null;
  if (input.keep) {
    const standing = await tx.groupLicenseRule.findFirst({ where: { groupId: group.id, productId: product.id, isActive: true }, select: { id: true } });
    if (standing) throw new LicenseError('ALREADY_EXISTS', 'product', 'The group already has a standing rule for this product: end it first.');
    rule = await tx.groupLicenseRule.create({
      data: {
        organisationId: school.organisationId,
        schoolId: school.id,
        groupId: group.id,
        productId: product.id,
        policy: input.policy,
        endDate: input.endDate ?? null,
        roles,
        keepOnLeave: input.keepOnLeave ?? false,
        createdAt: now,
        createdById: actor.kind === 'user' ? actor.userId : null,
        createdByLabel: actor.label,
      },
    });
    await recordAudit(tx, actor, now, {
      action: 'GROUP_LICENSE_RULE_CREATED',
      organisationId: school.organisationId,
      schoolId: school.id,
      groupId: group.id,
      productId: product.id,
      after: ruleSnapshot(rule),
    });
  }

  const members = await tx.groupMembership.findMany({
    where: { groupId: group.id, endedAt: null, role: { in: roles } },
    select: { userId: true },
    orderBy: { userId: 'asc' },
  });
  const time = localTime(now, school.organisation.timeZone);
  const outcomes: MemberOutcome[] = [];
  for (const { userId } of members) {
    outcomes.push(
      await giveOrQueue(tx, time, actor, school, product, {
        userId,
        groupId: group.id,
        policy: input.policy,
        endDate: input.endDate ?? null,
        ruleId: rule?.id ?? null,
      }),
    );
  }
  return { rule, outcomes };
}

function requirePolicyEndDate(input: { policy: LicensePolicy; endDate?: Date | null }): void {
  if (input.policy === 'REUSABLE_WITH_END_DATE' && !input.endDate) {
    throw new LicenseError('INVALID_INPUT', 'endDate', 'REUSABLE_WITH_END_DATE takes the end date to reuse.');
  }
  if (input.policy !== 'REUSABLE_WITH_END_DATE' && input.endDate) {
    throw new LicenseError('INVALID_INPUT', 'endDate', 'An end date is chosen only with the policy REUSABLE_WITH_END_DATE.');
  }
}

/** Ends a standing rule: nobody new gets the product by it and its waiters leave the list; licenses given stay. */
export async function endGroupLicenseRule(tx: Tx, clock: Clock, actor: Actor, input: { ruleId: string }): Promise<{ rule: GroupLicenseRule; ended: boolean }> {
  const now = clock.now();
  const found = await tx.groupLicenseRule.findUnique({ where: { id: input.ruleId } });
  if (!found || !(await readableSchool(tx, actor, found.schoolId))) throw new LicenseError('NOT_FOUND', 'rule', 'No such rule.');
  await requireManagedSchool(tx, actor, found.schoolId, 'rule');
  const [rule] = await endRules(tx, now, actor, { id: found.id });
  if (!rule) return { rule: found, ended: false };
  return { rule, ended: true };
}

async function readableSchool(tx: Tx, actor: Actor, schoolId: string): Promise<boolean> {
  const school = await tx.school.findUnique({ where: { id: schoolId }, select: { id: true, organisationId: true } });
  return !!school && canReadSchoolLicenses(actor, school);
}

/** Ends the standing rules matching `where` and takes their waiters off the list. */
async function endRules(tx: Tx, now: Date, actor: Actor, where: { id: string } | { groupId: { in: string[] } }): Promise<GroupLicenseRule[]> {
  const ended = await tx.groupLicenseRule.updateManyAndReturn({ where: { ...where, isActive: true }, data: { isActive: null, endedAt: now } });
  if (ended.length === 0) return [];
  await recordAudits(
    tx,
    actor,
    now,
    ended.map((rule) => ({
      action: 'GROUP_LICENSE_RULE_ENDED' as const,
      organisationId: rule.organisationId,
      schoolId: rule.schoolId,
      groupId: rule.groupId,
      productId: rule.productId,
      before: ruleSnapshot({ ...rule, endedAt: null }),
    })),
  );
  await cancelWaiters(tx, now, actor, { ruleId: { in: ended.map((rule) => rule.id) } });
  return ended;
}

function ruleSnapshot(rule: GroupLicenseRule) {
  return {
    ruleId: rule.id,
    policy: rule.policy,
    endDate: rule.endDate ? formatDay(rule.endDate) : null,
    roles: rule.roles,
    keepOnLeave: rule.keepOnLeave,
  };
}

interface GiveInput {
  userId: string;
  groupId: string;
  policy: LicensePolicy;
  endDate: Date | null;
  ruleId: string | null;
}

/** One member: a license by the policy, or a place in the waiting list, or why neither. */
async function giveOrQueue(tx: Tx, time: LocalTime, actor: Actor, school: SchoolWithTimeZone, product: Product, input: GiveInput): Promise<MemberOutcome> {
  const outcome = (kind: MemberOutcomeKind, extra: Partial<MemberOutcome> = {}): MemberOutcome => ({
    userId: input.userId,
    outcome: kind,
    licenseId: null,
    endDate: null,
    waitReason: null,
    error: null,
    ...extra,
  });
  // A member whose school membership is being changed right now is that change's to settle.
  if (!(await lockCurrentMember(tx, school.id, input.userId, null))) {
    return outcome('NOT_ELIGIBLE', {
      error: new LicenseError('USER_NOT_IN_SCHOOL', 'user', 'The user is not (or no longer) a student or teacher of the school.'),
    });
  }
  try {
    const { license } = await assignByPolicy(tx, time, actor, school, product, {
      userId: input.userId,
      policy: input.policy,
      endDate: input.endDate,
      groupLicenseRuleId: input.ruleId,
    });
    // Waiting already (for a license the policy then could not take): assignByPolicy served them.
    return outcome('ASSIGNED', { licenseId: license.id, endDate: license.endDate });
  } catch (error) {
    if (!(error instanceof LicenseError)) throw error;
    if (error.code === 'USER_ALREADY_HAS_LICENSE') return outcome('ALREADY_HOLDS');
    if (error.code !== 'NO_LICENSE_AVAILABLE' && error.code !== 'END_DATE_NOT_AVAILABLE') return outcome('NOT_ELIGIBLE', { error });
    // assignByPolicy holds the user's lock for the product: no other transaction queues them meanwhile.
    const waiting = await tx.licenseWaiter.findFirst({ where: { schoolId: school.id, productId: product.id, userId: input.userId, isWaiting: true } });
    if (waiting) return outcome('WAITING', { waitReason: waiting.reason });
    const reason: LicenseWaitReason = error.code;
    const waiter = await tx.licenseWaiter.create({
      data: {
        organisationId: school.organisationId,
        schoolId: school.id,
        productId: product.id,
        userId: input.userId,
        groupId: input.groupId,
        ruleId: input.ruleId,
        policy: input.policy,
        endDate: input.endDate,
        reason,
        queuedAt: time.now,
      },
    });
    await recordAudit(tx, actor, time.now, {
      action: 'WAITING_LIST_JOINED',
      organisationId: school.organisationId,
      schoolId: school.id,
      groupId: input.groupId,
      productId: product.id,
      userId: input.userId,
      after: waiterSnapshot(waiter),
    });
    return outcome('WAITING', { waitReason: reason });
  }
}

/**
 * Locks the user's current student or teacher membership of the school (and of the group) FOR
 * SHARE, or answers false: not a member, or the membership is being changed by another
 * transaction right now (SKIP LOCKED).
 */
async function lockCurrentMember(tx: Tx, schoolId: string, userId: string, groupId: string | null): Promise<boolean> {
  const rows = groupId
    ? await tx.$queryRaw<unknown[]>`
        SELECT 1 FROM "SchoolMembership" m
        JOIN "GroupMembership" g ON g."userId" = m."userId" AND g."groupId" = ${groupId}::uuid AND g."endedAt" IS NULL
        WHERE m."userId" = ${userId}::uuid AND m."schoolId" = ${schoolId}::uuid AND m."endedAt" IS NULL AND m.role <> 'SCHOOL_ADMIN'
        FOR SHARE OF m, g SKIP LOCKED`
    : await tx.$queryRaw<unknown[]>`
        SELECT 1 FROM "SchoolMembership" m
        WHERE m."userId" = ${userId}::uuid AND m."schoolId" = ${schoolId}::uuid AND m."endedAt" IS NULL AND m.role <> 'SCHOOL_ADMIN'
        FOR SHARE SKIP LOCKED`;
  return rows.length > 0;
}

/** lockCurrentMember's question without the lock: whether they are a current member at all. */
async function isCurrentMember(tx: Tx, schoolId: string, userId: string, groupId: string): Promise<boolean> {
  const [row] = await tx.$queryRaw<{ member: boolean }[]>`
    SELECT EXISTS (SELECT 1 FROM "SchoolMembership" m
      JOIN "GroupMembership" g ON g."userId" = m."userId" AND g."groupId" = ${groupId}::uuid AND g."endedAt" IS NULL
      WHERE m."userId" = ${userId}::uuid AND m."schoolId" = ${schoolId}::uuid AND m."endedAt" IS NULL AND m.role <> 'SCHOOL_ADMIN') AS member`;
  return row!.member;
}

function waiterSnapshot(waiter: Pick<LicenseWaiter, 'id' | 'reason' | 'policy' | 'ruleId' | 'state'> & { licenseId?: string | null }) {
  return { waiterId: waiter.id, state: waiter.state, reason: waiter.reason, policy: waiter.policy, ruleId: waiter.ruleId, licenseId: waiter.licenseId ?? null };
}

/** How many waiters one freed license (or delivery) looks at, at most. */
const SERVE_LOOKAHEAD = 500;

/**
 * A license of the product became free at the school (revoked, given back, a member leaving,
 * delivered): the waiting list is served in order, each waiter with their own policy, as long as
 * licenses last. A waiter whose policy cannot take what is free (ONLY_NEW and only reusable ones
 * are free, say) keeps their place and the next is served. By the system, in the caller's
 * transaction. One statement when nobody waits.
 */
export async function serveWaitingList(tx: Tx, now: Date, schoolId: string, productId: string): Promise<number> {
  const queue = await tx.licenseWaiter.findMany({
    where: { schoolId, productId, isWaiting: true },
    orderBy: [{ queuedAt: 'asc' }, { seq: 'asc' }],
    select: { id: true },
    take: SERVE_LOOKAHEAD,
  });
  if (queue.length === 0) return 0;
  const school = await tx.school.findUniqueOrThrow({ where: { id: schoolId }, include: withTimeZone });
  const product = await tx.product.findUniqueOrThrow({ where: { id: productId } });
  const time = localTime(now, school.organisation.timeZone);
  let served = 0;
  for (const { id } of queue) {
    // Nothing free (that this transaction can see): stop before locking a waiter it cannot serve,
    // which would keep a concurrent transaction with a freed license from serving them.
    if (!(await anyAssignable(tx, schoolId, productId, time.today))) break;
    const [waiter] = await tx.$queryRaw<
      { id: string; userId: string; groupId: string; ruleId: string | null; policy: LicensePolicy; endDate: string | null }[]
    >`
      SELECT id::text, "userId"::text, "groupId"::text, "ruleId"::text, policy::text, "endDate"::text
      FROM "LicenseWaiter" WHERE id = ${id}::uuid AND "isWaiting" FOR UPDATE SKIP LOCKED`;
    if (!waiter) continue;
    const endDate = waiter.endDate === null ? null : parseDay(waiter.endDate);
    if (!(await lockCurrentMember(tx, schoolId, waiter.userId, waiter.groupId))) {
      // Leaving (or changing role) right now: that change settles them. No longer a student or
      // teacher of the school (an administrator now, say): off the list.
      if (!(await isCurrentMember(tx, schoolId, waiter.userId, waiter.groupId)))
        await endWaits(tx, now, systemActor, school, { id: waiter.id }, 'CANCELLED', null);
      continue;
    }
    try {
      await assignByPolicy(tx, time, systemActor, school, product, {
        userId: waiter.userId,
        policy: waiter.policy,
        endDate,
        groupLicenseRuleId: waiter.ruleId,
      });
      // The assignment itself took them off the list, SERVED with this license (assignments.ts).
      served++;
    } catch (error) {
      if (!(error instanceof LicenseError)) throw error;
      if (error.code === 'NO_LICENSE_AVAILABLE' || error.code === 'END_DATE_NOT_AVAILABLE') {
        // A policy that takes any license found none: nobody further down can be served either.
        if (waiter.policy === 'REUSABLE_FIRST' || waiter.policy === 'NEW_FIRST') break;
        continue;
      }
      // Holds one already (given another way), or is no longer a student or teacher of the school.
      await endWaits(tx, now, systemActor, school, { id: waiter.id }, 'CANCELLED', null);
    }
  }
  return served;
}

/** Whether any license of the product is new, or started, unexpired and held by nobody, at the school. */
async function anyAssignable(tx: Tx, schoolId: string, productId: string, today: Date): Promise<boolean> {
  const [row] = await tx.$queryRaw<{ any: boolean }[]>(Prisma.sql`
    SELECT EXISTS (SELECT 1 FROM "License" l
      WHERE l."schoolId" = ${schoolId}::uuid AND l."productId" = ${productId}::uuid AND ${licensesWhereSql('ASSIGNABLE', today, 'l')}) AS any`);
  return row!.any;
}

/** A waiter as assignments.ts reads it with the license it picks. */
export type ListedWaiter = Pick<LicenseWaiter, 'id' | 'groupId' | 'ruleId' | 'policy' | 'reason' | 'queuedAt'>;

/** The audit entry of a waiter served with a license, as endWaits records it. */
export function waiterServedEntry(school: { id: string; organisationId: string }, productId: string, userId: string, waiter: ListedWaiter, licenseId: string) {
  return {
    action: 'WAITING_LIST_SERVED' as const,
    organisationId: school.organisationId,
    schoolId: school.id,
    groupId: waiter.groupId,
    productId,
    licenseId,
    userId,
    before: { state: 'WAITING', queuedAt: waiter.queuedAt.toISOString() },
    after: waiterSnapshot({ ...waiter, state: 'SERVED', licenseId }),
  };
}

/** Ends waits (served with a license, or cancelled) and records each. */
async function endWaits(
  tx: Tx,
  now: Date,
  actor: Actor,
  school: School,
  where: { id: string } | { userId: string; productId: string },
  state: 'SERVED' | 'CANCELLED',
  licenseId: string | null,
): Promise<void> {
  const ended = await tx.licenseWaiter.updateManyAndReturn({
    where: { ...where, schoolId: school.id, isWaiting: true },
    data: { isWaiting: null, state, endedAt: now, licenseId },
  });
  await recordAudits(
    tx,
    actor,
    now,
    ended.map((waiter) => ({
      action: state === 'SERVED' ? ('WAITING_LIST_SERVED' as const) : ('WAITING_LIST_CANCELLED' as const),
      organisationId: school.organisationId,
      schoolId: school.id,
      groupId: waiter.groupId,
      productId: waiter.productId,
      licenseId,
      userId: waiter.userId,
      before: { state: 'WAITING', queuedAt: waiter.queuedAt.toISOString() },
      after: waiterSnapshot(waiter),
    })),
  );
}

/**
 * Members about to leave (a roster import's leavers, before its first batch frees a license): their
 * waits end now (CANCELLED), as they would on leaving, so that no license freed on the way is given
 * to someone whose leaving, a batch later, takes it back.
 */
export async function cancelLeaversWaits(tx: Tx, now: Date, actor: Actor, waiterIds: string[]): Promise<void> {
  if (waiterIds.length) await cancelWaiters(tx, now, actor, { id: { in: waiterIds } });
}

async function cancelWaiters(
  tx: Tx,
  now: Date,
  actor: Actor,
  where: { ruleId: { in: string[] } } | { OR: ({ groupId: string; userId: string } | { userId: string; ruleId: string })[] } | { id: { in: string[] } },
): Promise<void> {
  const ended = await tx.licenseWaiter.updateManyAndReturn({
    where: { ...where, isWaiting: true },
    data: { isWaiting: null, state: 'CANCELLED', endedAt: now },
  });
  await recordAudits(
    tx,
    actor,
    now,
    ended.map((waiter) => ({
      action: 'WAITING_LIST_CANCELLED' as const,
      organisationId: waiter.organisationId,
      schoolId: waiter.schoolId,
      groupId: waiter.groupId,
      productId: waiter.productId,
      userId: waiter.userId,
      before: { state: 'WAITING', queuedAt: waiter.queuedAt.toISOString() },
      after: waiterSnapshot(waiter),
    })),
  );
}

// ---- The roster's calls (domain/roster.ts), in the transaction of the roster change ----

/**
 * A member joined a group (or came back, or changed role): each standing rule of the group for
 * their role gives them a license, or queues them. A role change (`previousRole`, of a current
 * membership) that a rule no longer covers is a leave for that rule: its waiter leaves the line and
 * the license it gave goes back to the pool (LEFT_GROUP), unless it keeps them on leave.
 */
export async function groupMembershipStarted(
  tx: Tx,
  now: Date,
  actor: Actor,
  membership: { groupId: string; userId: string; role: GroupRole },
  previousRole: GroupRole | null = null,
) {
  await groupMembershipsStarted(tx, now, actor, [{ ...membership, previousRole }]);
}

/**
 * Members joined groups, came back or changed role, one or many at once (a roster import's new and
 * changed group memberships): groupMembershipStarted for each, with the groups locked and their
 * rules read once (two statements when no rule stands).
 */
export async function groupMembershipsStarted(
  tx: Tx,
  now: Date,
  actor: Actor,
  memberships: { groupId: string; userId: string; role: GroupRole; previousRole?: GroupRole | null }[],
) {
  if (memberships.length === 0) return;
  const groupIds = [...new Set(memberships.map((m) => m.groupId))].sort();
  // FOR SHARE of the groups: a rule being created for one now is seen once it commits, by the next
  // statement (a statement that waited for a lock reads other tables as they were when it began).
  await tx.$queryRaw`SELECT id FROM "Group" WHERE id = ANY(${groupIds}::uuid[]) ORDER BY id FOR SHARE`;
  const rules = await tx.groupLicenseRule.findMany({
    where: { groupId: { in: groupIds }, isActive: true },
    include: { product: true },
    orderBy: { id: 'asc' },
  });
  if (rules.length === 0) return;
  // Role changes a rule no longer covers: off its line, and its license back, as on leaving.
  const uncovered = memberships.flatMap(({ groupId, userId, role, previousRole }) =>
    previousRole && previousRole !== role
      ? rules.filter((r) => r.groupId === groupId && r.roles.includes(previousRole) && !r.roles.includes(role)).map((rule) => ({ userId, rule }))
      : [],
  );
  if (uncovered.length) {
    await cancelWaiters(tx, now, actor, { OR: uncovered.map(({ userId, rule }) => ({ userId, ruleId: rule.id })) });
    await takeBackRuleLicenses(
      tx,
      now,
      actor,
      uncovered.filter(({ rule }) => !rule.keepOnLeave).map(({ userId, rule }) => ({ userId, ruleIds: [rule.id] })),
    );
  }
  const schools = new Map<string, SchoolWithTimeZone>();
  // Members by user id, as assignLicenseToGroup takes them.
  for (const m of [...memberships].sort((a, b) => (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : a.groupId < b.groupId ? -1 : 1))) {
    for (const rule of rules.filter((r) => r.groupId === m.groupId && r.roles.includes(m.role))) {
      let school = schools.get(rule.schoolId);
      if (!school) schools.set(rule.schoolId, (school = await tx.school.findUniqueOrThrow({ where: { id: rule.schoolId }, include: withTimeZone })));
      await giveOrQueue(tx, localTime(now, school.organisation.timeZone), actor, school, rule.product, {
        userId: m.userId,
        groupId: rule.groupId,
        policy: rule.policy,
        endDate: rule.endDate,
        ruleId: rule.id,
      });
    }
  }
}

/**
 * Members left groups (themselves, or by leaving the school): they leave the groups' waiting
 * lists, and the licenses the groups' standing rules gave them go back to the pool with their end
 * dates (LEFT_GROUP), unless the rule keeps them on leave. Each freed license serves the waiting list.
 */
export async function groupMembershipsEnded(tx: Tx, now: Date, actor: Actor, memberships: { groupId: string; userId: string }[]) {
  if (memberships.length === 0) return;
  const groupIds = [...new Set(memberships.map((m) => m.groupId))].sort();
  // FOR SHARE of the groups: a license a rule is giving right now is committed and seen below.
  await tx.$queryRaw`SELECT id FROM "Group" WHERE id = ANY(${groupIds}::uuid[]) ORDER BY id FOR SHARE`;
  await cancelWaiters(tx, now, actor, { OR: memberships.map(({ groupId, userId }) => ({ groupId, userId })) });
  const rules = await tx.groupLicenseRule.findMany({
    where: { groupId: { in: groupIds }, isActive: true, keepOnLeave: false },
    select: { id: true, groupId: true },
  });
  if (rules.length === 0) return;
  await takeBackRuleLicenses(
    tx,
    now,
    actor,
    memberships.map(({ groupId, userId }) => ({ userId, ruleIds: rules.filter((r) => r.groupId === groupId).map((r) => r.id) })),
  );
}

/** Ends the active assignments these rules gave these users (LEFT_GROUP): each license serves the line. */
async function takeBackRuleLicenses(tx: Tx, now: Date, actor: Actor, given: { userId: string; ruleIds: string[] }[]) {
  const where = given.filter((g) => g.ruleIds.length > 0).map(({ userId, ruleIds }) => ({ userId, groupLicenseRuleId: { in: ruleIds } }));
  if (where.length === 0) return;
  const held = await tx.assignment.findMany({ where: { isActive: true, OR: where }, select: { licenseId: true } });
  // One past its end date has no holder already and is left as it is (the school's leaving writes its expiry down).
  await endAssignments(
    tx,
    now,
    actor,
    held.map((a) => a.licenseId),
    'LEFT_GROUP',
  );
}

/** Groups end: their standing rules end with them (their members keep their licenses). */
export async function groupsEnding(tx: Tx, now: Date, actor: Actor, groupIds: string[]): Promise<void> {
  if (groupIds.length === 0) return;
  await endRules(tx, now, actor, { groupId: { in: groupIds } });
}
