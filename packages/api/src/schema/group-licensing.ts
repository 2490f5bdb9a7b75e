// Class licensing: a product given to a group, its standing rule, and the waiting list
// (domain/group-licensing.ts, docs/CLASS-LICENSING.md).
import { GroupLicensePolicy, LicenseWaiterState, LicenseWaitReason, type Prisma } from '@school-licenses/db';
import { managedSchoolsWhere, type Actor } from '../domain/actor.ts';
import { formatDay, parseDay } from '../domain/days.ts';
import { assignLicenseToGroup, endGroupLicenseRule, type MemberOutcome, type MemberOutcomeKind } from '../domain/group-licensing.ts';
import { inTransaction } from '../domain/transaction.ts';
import { builder } from './builder.ts';
import { GroupRoleEnum } from './enums.ts';
import { errorData, ErrorInterface, licenseErrors, type ErrorData } from './errors.ts';
import { GroupRef } from './group.ts';
import { ProductRef } from './product.ts';
import { actorOf, runDomain, runIdempotent } from './run.ts';

export const GroupLicensePolicyEnum = builder.enumType(GroupLicensePolicy, {
  name: 'GroupLicensePolicy',
  description:
    "Where a group's licenses come from: REUSABLE_FIRST (reusable started licenses, earliest end date first, then new ones), REUSABLE_WITH_END_DATE (reusable ones with the end date given, nothing else), NEW_FIRST (new ones, then reusable ones, earliest end date first), ONLY_NEW.",
});

export const LicenseWaitReasonEnum = builder.enumType(LicenseWaitReason, {
  name: 'LicenseWaitReason',
  description: 'Why a member waits: no license the policy can take (NO_LICENSE_AVAILABLE), or none left with the chosen end date (END_DATE_NOT_AVAILABLE).',
});

export const LicenseWaiterStateEnum = builder.enumType(LicenseWaiterState, {
  name: 'LicenseWaiterState',
  description: 'WAITING in line; SERVED with a license; CANCELLED (left the group or school, got a license another way, or the rule ended).',
});

const MemberOutcomeEnum = builder.enumType('GroupMemberLicenseOutcome', {
  description: "One member's outcome of assignLicenseToGroup.",
  values: {
    ASSIGNED: { description: 'Got a license (in a dry run: would get), with its end date.' },
    ALREADY_HOLDS: { description: 'Already holds an active license of the product: nothing changed.' },
    WAITING: { description: 'No license the policy can take: waits in the waiting list (waitReason). In a dry run: would wait.' },
    NOT_ELIGIBLE: { description: 'Cannot hold a license here (error), e.g. not a current student or teacher of the school.' },
  } as const,
});

/** Rules and waiting lists are seen by the school's administrators and the organisation's integrations. */
function licenseReaders(actor: Actor): Prisma.SchoolWhereInput {
  return managedSchoolsWhere(actor);
}

export const GroupLicenseRuleRef = builder.prismaNode('GroupLicenseRule', {
  description: "A group's standing rule: its members (of the roles given) keep a license of the product, as they join and leave.",
  id: { field: 'id' },
  nullable: true,
  findUnique: (id, ctx) => ({ id, group: { school: licenseReaders(actorOf(ctx)) } }),
  authScopes: { authenticated: true },
  fields: (t) => ({
    group: t.relation('group', { description: 'The group.' }),
    product: t.relation('product', { description: 'The product its members keep.' }),
    policy: t.expose('policy', { type: GroupLicensePolicyEnum, description: 'Where the licenses come from.' }),
    endDate: t.expose('endDate', { type: 'LocalDate', nullable: true, description: 'With REUSABLE_WITH_END_DATE: the end date of the licenses taken.' }),
    roles: t.field({ type: [GroupRoleEnum], description: 'The group roles that get a license.', resolve: (rule) => rule.roles }),
    keepOnLeave: t.exposeBoolean('keepOnLeave', { description: 'Members who leave the group keep their license (else it goes back to the pool, LEFT_GROUP).' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When the rule was made.' }),
    createdBy: t.exposeString('createdByLabel', { description: 'Who made it (a user, an integration key).' }),
    endedAt: t.expose('endedAt', { type: 'DateTime', nullable: true, description: 'When the rule ended; null while it stands.' }),
  }),
});

export const LicenseWaiterRef = builder.prismaNode('LicenseWaiter', {
  description: 'A user waiting for a license of a product at a school, in order of queuedAt: the first in line gets the next license that becomes free.',
  id: { field: 'id' },
  nullable: true,
  findUnique: (id, ctx) => ({ id, AND: [visibleWaiters(actorOf(ctx))] }),
  authScopes: { authenticated: true },
  fields: (t) => ({
    user: t.relation('user', { description: 'Who waits.' }),
    product: t.relation('product', { description: 'The product.' }),
    group: t.relation('group', { description: 'The group whose assignment or rule queued them.' }),
    rule: t.relation('rule', { nullable: true, description: 'The standing rule, if one queued them.' }),
    reason: t.expose('reason', { type: LicenseWaitReasonEnum, description: 'Why they wait.' }),
    policy: t.expose('policy', { type: GroupLicensePolicyEnum, description: 'Where their license will come from.' }),
    state: t.expose('state', { type: LicenseWaiterStateEnum, description: 'Waiting, served or cancelled.' }),
    queuedAt: t.expose('queuedAt', { type: 'DateTime', description: 'When they joined the list: the order of the list.' }),
    endedAt: t.expose('endedAt', { type: 'DateTime', nullable: true, description: 'When they were served or left the list.' }),
    position: t.int({
      nullable: true,
      description: "Their place in the school's line for the product (1 = next); null once served or cancelled.",
      select: { seq: true, schoolId: true, productId: true, queuedAt: true, isWaiting: true },
      resolve: async (waiter, _args, ctx) => {
        if (!waiter.isWaiting) return null;
        const ahead = await ctx.prisma.licenseWaiter.count({
          where: {
            schoolId: waiter.schoolId,
            productId: waiter.productId,
            isWaiting: true,
            OR: [{ queuedAt: { lt: waiter.queuedAt } }, { queuedAt: waiter.queuedAt, seq: { lt: waiter.seq } }],
          },
        });
        return ahead + 1;
      },
    }),
    license: t.prismaField({
      type: 'License',
      nullable: true,
      description: 'The license they got when served.',
      select: { licenseId: true },
      resolve: (query, waiter, _args, ctx) => (waiter.licenseId ? ctx.prisma.license.findUnique({ ...query, where: { id: waiter.licenseId } }) : null),
    }),
  }),
});

/** Administrators and integrations of the school, and each user their own place in line. */
function visibleWaiters(actor: Actor): Prisma.LicenseWaiterWhereInput {
  const schools = { group: { school: licenseReaders(actor) } };
  return actor.kind === 'user' ? { OR: [schools, { userId: actor.userId }] } : schools;
}

builder.prismaObjectField('Group', 'licenseRules', (t) =>
  t.relation('licenseRules', {
    description: "The group's standing rules (administrators and integrations of the school): current ones, and with includeEnded past ones.",
    args: { includeEnded: t.arg.boolean({ required: false, description: 'Also rules that have ended (default false).' }) },
    query: (args, ctx) => ({
      where: { AND: [args.includeEnded ? {} : { isActive: true }, { group: { school: licenseReaders(actorOf(ctx)) } }] },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    }),
  }),
);

builder.prismaObjectField('Group', 'waitingList', (t) =>
  t.relation('licenseWaiters', {
    description: 'Members of the group waiting for a license, in line order (administrators and integrations of the school; a user sees themself).',
    args: {
      product: t.arg.globalID({ for: ProductRef, required: false, description: 'Only waiters for this product.' }),
      includeEnded: t.arg.boolean({ required: false, description: 'Also those served or cancelled (default false).' }),
    },
    query: (args, ctx) => ({
      where: {
        AND: [args.includeEnded ? {} : { isWaiting: true }, args.product ? { productId: args.product.id } : {}, visibleWaiters(actorOf(ctx))],
      },
      orderBy: [{ queuedAt: 'asc' }, { seq: 'asc' }],
    }),
  }),
);

builder.prismaObjectField('User', 'licenseWaits', (t) =>
  t.relation('licenseWaits', {
    description:
      "Where the user waits for a license (the school's administrators and integrations, and the user themself): current waits, and with includeEnded past ones.",
    args: { includeEnded: t.arg.boolean({ required: false, description: 'Also waits that were served or cancelled (default false).' }) },
    query: (args, ctx) => ({
      where: { AND: [args.includeEnded ? {} : { isWaiting: true }, visibleWaiters(actorOf(ctx))] },
      orderBy: [{ queuedAt: 'asc' }, { seq: 'asc' }],
    }),
  }),
);

const AssignLicenseToGroupInput = builder.inputType('AssignLicenseToGroupInput', {
  description: 'Give every member of a group a license of a product, now (and with keep, from now on).',
  fields: (t) => ({
    group: t.globalID({ for: GroupRef, required: true, description: 'The group (class, teaching group).' }),
    product: t.globalID({ for: ProductRef, required: true, description: 'The product.' }),
    policy: t.field({ type: GroupLicensePolicyEnum, required: true, description: 'Where the licenses come from.' }),
    endDate: t.field({
      type: 'LocalDate',
      required: false,
      description: 'With REUSABLE_WITH_END_DATE (required there): the end date (a day) of the reusable licenses to take. With another policy: INVALID_INPUT.',
    }),
    roles: t.field({
      type: [GroupRoleEnum],
      required: false,
      description: "The group roles that get a license (default [STUDENT]; add TEACHER to include the group's teachers).",
    }),
    keep: t.boolean({
      required: false,
      defaultValue: false,
      description: 'Also keep the product given: a standing rule gives members who join later a license, and takes it back from those who leave.',
    }),
    keepOnLeave: t.boolean({ required: false, defaultValue: false, description: 'With keep: members who leave the group keep their license.' }),
    dryRun: t.boolean({ required: false, defaultValue: false, description: "Show each member's outcome and end date without writing anything." }),
    idempotencyKey: t.string({ required: false, description: 'Retries with the same key return the first result.' }),
  }),
});

/** One member's outcome as JSON, so an idempotent replay returns it as it was. */
type OutcomeData = {
  userId: string;
  outcome: MemberOutcomeKind;
  licenseId: string | null;
  endDate: string | null;
  waitReason: LicenseWaitReason | null;
  error: ErrorData | null;
};

function outcomeData(outcome: MemberOutcome, dryRun: boolean): OutcomeData {
  return {
    userId: outcome.userId,
    outcome: outcome.outcome,
    licenseId: dryRun ? null : outcome.licenseId,
    endDate: outcome.endDate ? formatDay(outcome.endDate) : null,
    waitReason: outcome.waitReason,
    error: outcome.error ? errorData(outcome.error) : null,
  };
}

const GroupMemberOutcomeRef = builder.objectRef<OutcomeData>('GroupMemberLicense').implement({
  description: "One member's outcome of assignLicenseToGroup.",
  fields: (t) => ({
    user: t.prismaField({
      type: 'User',
      nullable: true,
      description: 'The member.',
      resolve: (query, outcome, _args, ctx) => ctx.prisma.user.findUnique({ ...query, where: { id: outcome.userId } }),
    }),
    outcome: t.field({ type: MemberOutcomeEnum, description: 'What happened (in a dry run: would happen).', resolve: (o) => o.outcome }),
    endDate: t.field({
      type: 'LocalDate',
      nullable: true,
      description: 'ASSIGNED: the end date of the license given (its last usable day).',
      resolve: (o) => (o.endDate ? parseDay(o.endDate) : null),
    }),
    license: t.prismaField({
      type: 'License',
      nullable: true,
      description: 'ASSIGNED: the license given; null in a dry run.',
      resolve: (query, o, _args, ctx) => (o.licenseId ? ctx.prisma.license.findUnique({ ...query, where: { id: o.licenseId } }) : null),
    }),
    waitReason: t.field({ type: LicenseWaitReasonEnum, nullable: true, description: 'WAITING: why.', resolve: (o) => o.waitReason }),
    error: t.field({ type: ErrorInterface, nullable: true, description: 'NOT_ELIGIBLE: why.', resolve: (o) => o.error }),
  }),
});

type GroupAssignment = { dryRun: boolean; ruleId: string | null; outcomes: OutcomeData[] };

const AssignLicenseToGroupPayload = builder.objectRef<GroupAssignment>('AssignLicenseToGroupPayload').implement({
  description: "Each member's outcome, and the standing rule made (with keep).",
  fields: (t) => ({
    dryRun: t.exposeBoolean('dryRun', { description: 'True when nothing was written.' }),
    rule: t.prismaField({
      type: 'GroupLicenseRule',
      nullable: true,
      description: 'The standing rule made with keep; null without keep and in a dry run.',
      resolve: (query, p, _args, ctx) => (p.ruleId ? ctx.prisma.groupLicenseRule.findUnique({ ...query, where: { id: p.ruleId } }) : null),
    }),
    outcomes: t.field({
      type: [GroupMemberOutcomeRef],
      description: 'One outcome per current member of the roles given, by user.',
      resolve: (p) => p.outcomes,
    }),
    assignedCount: t.int({ description: 'How many members got a license.', resolve: (p) => p.outcomes.filter((o) => o.outcome === 'ASSIGNED').length }),
    waitingCount: t.int({ description: 'How many members wait for one.', resolve: (p) => p.outcomes.filter((o) => o.outcome === 'WAITING').length }),
  }),
});

class DryRunRollback extends Error {
  readonly outcomes: OutcomeData[];
  constructor(outcomes: OutcomeData[]) {
    super('dry run');
    this.outcomes = outcomes;
  }
}

const GroupLicenseRuleInput = builder.inputType('GroupLicenseRuleInput', {
  description: 'Names one standing rule.',
  fields: (t) => ({
    rule: t.globalID({ for: GroupLicenseRuleRef, required: true, description: 'The rule.' }),
  }),
});

const GroupLicenseRulePayload = builder.objectRef<{ ruleId: string; ended: boolean }>('GroupLicenseRulePayload').implement({
  description: 'The rule after the change.',
  fields: (t) => ({
    rule: t.prismaField({
      type: 'GroupLicenseRule',
      description: 'The rule.',
      resolve: (query, p, _args, ctx) => ctx.prisma.groupLicenseRule.findUniqueOrThrow({ ...query, where: { id: p.ruleId } }),
    }),
    ended: t.exposeBoolean('ended', { description: 'Whether this request ended it (false: it had ended before).' }),
  }),
});

builder.mutationFields((t) => ({
  assignLicenseToGroup: t.field({
    type: AssignLicenseToGroupPayload,
    description:
      "Gives every current member of a group (students by default) who holds no license of the product one, by the policy; members for whom none is left join the waiting list. With keep, the group keeps the product (a standing rule). With dryRun, shows each member's outcome and end date and writes nothing. For the school's or the organisation's administrators and read-write integrations.",
    authScopes: { authenticated: true },
    errors: { types: licenseErrors },
    args: { input: t.arg({ type: AssignLicenseToGroupInput, required: true, description: 'What to do.' }) },
    resolve: async (_root, { input }, ctx) => {
      const request = {
        groupId: input.group.id,
        productId: input.product.id,
        policy: input.policy,
        endDate: input.endDate ?? null,
        roles: input.roles ?? null,
        keep: input.keep ?? false,
        keepOnLeave: input.keepOnLeave ?? false,
      };
      if (input.dryRun) {
        const actor = actorOf(ctx);
        // Everything runs as for real (waiters, rule), then the transaction is rolled back.
        const outcomes = await inTransaction(ctx.prisma, async (tx) => {
          const result = await assignLicenseToGroup(tx, ctx.clock, actor, request);
          throw new DryRunRollback(result.outcomes.map((o) => outcomeData(o, true)));
        }).catch((error: unknown) => {
          if (error instanceof DryRunRollback) return error.outcomes;
          throw error;
        });
        return { dryRun: true, ruleId: null, outcomes };
      }
      return runIdempotent(
        ctx,
        { key: input.idempotencyKey, operation: 'assignLicenseToGroup', input: { ...input, idempotencyKey: null } },
        async (tx, clock, actor) => {
          const result = await assignLicenseToGroup(tx, clock, actor, request);
          return { dryRun: false, ruleId: result.rule?.id ?? null, outcomes: result.outcomes.map((o) => outcomeData(o, false)) };
        },
      );
    },
  }),
  endGroupLicenseRule: t.field({
    type: GroupLicenseRulePayload,
    description:
      "Ends a group's standing rule: members who join later get nothing by it and its waiters leave the waiting list; licenses it gave stay with their holders. Safe to repeat.",
    authScopes: { authenticated: true },
    errors: { types: licenseErrors },
    args: { input: t.arg({ type: GroupLicenseRuleInput, required: true, description: 'What to do.' }) },
    resolve: (_root, { input }, ctx) =>
      runDomain(ctx, async (tx, clock, actor) => {
        const { rule, ended } = await endGroupLicenseRule(tx, clock, actor, { ruleId: input.rule.id });
        return { ruleId: rule.id, ended };
      }),
  }),
}));
