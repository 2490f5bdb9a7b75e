import { visibleAssignments, visibleAuditEvents, visibleLicenses } from '../domain/actor.ts';
import { assignLicense, assignLicenses, removeMyLicense, revokeLicense, type BulkAssignOutcome } from '../domain/assignments.ts';
import { formatDay, parseDay, type LocalTime } from '../domain/days.ts';
import { daysLeft, effectiveStartedAt, holderIdToday, isReusable, licenseState, shownEndDate } from '../domain/license-state.ts';
import type { PageLicense } from '../domain/license-pages.ts';
import { inTransaction } from '../domain/transaction.ts';
import { rememberWrittenAssignment, rememberWrittenLicense, writtenAssignment, writtenLicense } from '../data/written-licenses.ts';
import type { License } from '@school-licenses/db';
import { builder } from './builder.ts';
import type { Context } from './context.ts';
import { LicenseStateEnum } from './enums.ts';
import { holderLoader, holderOf } from './holders.ts';
import { errorData, ErrorInterface, licenseErrors, type ErrorData } from './errors.ts';
import { ProductRef } from './product.ts';
import { actorOf, runIdempotent } from './run.ts';
import { SchoolRef } from './school.ts';
import { schoolTime, withSchoolTime } from './school-time.ts';
import { UserRef } from './user.ts';

/**
 * What a page of licenses worked out for a license as it read it (license-pages.ts): its fields
 * read these instead of working them out again. Undefined for a license loaded any other way.
 */
type Shown = Partial<Pick<PageLicense, 'state' | 'shownEndDate' | 'holder'>>;

/**
 * The columns every License is read with (its `select` below). A list whose selection under its
 * licenses is these alone has no field that Pothos plans along the list's path (school-product.ts).
 */
export const LICENSE_TYPE_SELECT = { id: true, schoolId: true, startedAt: true, autoStartOn: true, endDate: true, assignedUserId: true } as const;

export const LicenseRef = builder.prismaNode('License', {
  description:
    "One seat of a product, owned by a school. New until assigned (or until its auto-start day, 4 months after delivery, when it starts by itself); then started, usable through its end date (a day in the organisation's time zone); expired from the next day. A started license assigned to nobody is reusable.",
  // The id column as it is: Pothos' default serializer looks up the model's primary key for each license.
  id: { resolve: (license) => license.id },
  // The columns its state and holder follow from, always; the others only when a field asks for
  // them: a page of the admin view reads a thousand licenses. The fields below read these without
  // a select of their own, which Pothos would check on every license.
  select: LICENSE_TYPE_SELECT,
  nullable: true,
  findUnique: (id, ctx) => ({ id, AND: [visibleLicenses(actorOf(ctx))] }),
  authScopes: { authenticated: true },
  fields: (t) => ({
    school: t.relation('school', { description: 'The school that owns the license.' }),
    product: t.relation('product', { description: 'The product the license is for.' }),
    order: t.relation('order', { description: 'The order that delivered it.' }),
    state: t.field({
      type: LicenseStateEnum,
      description: 'The state right now, whether or not the sweep has run.',
      resolve: (license, _args, ctx) => (license as Shown).state ?? withSchoolTime(ctx, license.schoolId, (time) => licenseState(license, time.today)),
    }),
    deliveredAt: t.expose('deliveredAt', { type: 'DateTime', description: 'When the license was delivered to the school.' }),
    autoStartOn: t.expose('autoStartOn', {
      type: 'LocalDate',
      description: "The delivery day + 4 months: a license not started before this day starts by itself at its 00:00 in the organisation's time zone.",
    }),
    startedAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: "When it started (at auto-start, 00:00 of the auto-start day in the organisation's time zone); null while new.",
      resolve: (license, _args, ctx) => withSchoolTime(ctx, license.schoolId, (time) => effectiveStartedAt(license, time)),
    }),
    endDate: t.field({
      type: 'LocalDate',
      nullable: true,
      description:
        "The last day it is usable, in the organisation's time zone: the start day + the product's validity in months. Expired from 00:00 the next day. Null while new.",
      resolve: (license, _args, ctx) => {
        const { state, shownEndDate: shown } = license as Shown;
        if (state) return shown ?? null;
        return withSchoolTime(ctx, license.schoolId, (time) => shownEndDate(license, licenseState(license, time.today)));
      },
    }),
    daysLeft: t.int({
      nullable: true,
      description: 'How many days it is still usable, today included (end date − today + 1); 0 once expired; null while new.',
      resolve: (license, _args, ctx) => withSchoolTime(ctx, license.schoolId, (time) => daysLeft(license, time.today)),
    }),
    reusable: t.boolean({
      description: 'Started, not expired and assigned to nobody: an admin can reuse it.',
      resolve: (license, _args, ctx) => {
        const { state } = license as Shown;
        if (state) return isReusable(license, state);
        return withSchoolTime(ctx, license.schoolId, (time) => isReusable(license, licenseState(license, time.today)));
      },
    }),
    holder: t.field({
      type: UserRef,
      nullable: true,
      description:
        'Who holds the license now; null when nobody does (also once it has expired, whether or not the sweep has run) or when the holder is not yours to see.',
      // Seeing a license is not seeing its holder: a supplier, or a student who once held it, does not.
      // A page of licenses reads its holders as it reads the page, with the columns this field's
      // selection needs; the holders of every other license in the response come from one statement (holders.ts).
      resolve: (license, _args, ctx) => {
        const { holder: read } = license as Shown;
        if (read !== undefined) return read;
        if (!license.assignedUserId) return null;
        const time = schoolTime(ctx, license.schoolId);
        const holder = ({ today }: LocalTime) => {
          const holderId = holderIdToday(license, licenseState(license, today));
          return holderId === null ? null : holderOf(ctx, holderId);
        };
        return time instanceof Promise ? time.then(holder) : holder(time);
      },
    }),
    assignments: t.relatedConnection('assignments', {
      cursor: 'id',
      description: 'Who held the license and when: its assignment history, newest first.',
      query: (_args, ctx) => ({ where: visibleAssignments(actorOf(ctx)), orderBy: [{ assignedAt: 'desc' }, { id: 'desc' }] }),
      totalCount: true,
    }),
    auditEvents: t.relatedConnection('auditEvents', {
      cursor: 'id',
      description: 'Every recorded change of the license, newest first (administrators only).',
      query: (_args, ctx) => ({ where: visibleAuditEvents(actorOf(ctx)), orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] }),
      totalCount: true,
    }),
  }),
});

const AssignLicenseInput = builder.inputType('AssignLicenseInput', {
  description: 'Give one user a license: a new one, or a reusable started one with a chosen end date.',
  fields: (t) => ({
    school: t.globalID({ for: SchoolRef, required: true, description: 'The school whose license is given.' }),
    product: t.globalID({ for: ProductRef, required: true, description: 'The product.' }),
    user: t.globalID({ for: UserRef, required: true, description: 'A student or teacher of the school.' }),
    reuseStarted: t.boolean({
      required: true,
      description: 'true: reuse a started license from the pool, keeping its end date. false: start a new license now.',
    }),
    endDate: t.field({
      type: 'LocalDate',
      required: false,
      description:
        'With reuseStarted: the end date (a day, YYYY-MM-DD) chosen from the pool. May be left out only when the pool has exactly one end date. With reuseStarted false: INVALID_INPUT.',
    }),
    idempotencyKey: t.string({
      required: false,
      description: 'Retries with the same key return the first result and assign nothing more.',
    }),
  }),
});

interface AssignedIds {
  assignmentId: string;
  licenseId: string;
}

const AssignLicensePayload = builder.objectRef<AssignedIds>('AssignLicensePayload').implement({
  description: 'The license was assigned.',
  fields: (t) => ({
    assignment: t.prismaField({
      type: 'Assignment',
      description: 'The new assignment.',
      resolve: (query, ids, _args, ctx) =>
        writtenAssignment(ctx, ids.assignmentId, query) ?? ctx.prisma.assignment.findUniqueOrThrow({ ...query, where: { id: ids.assignmentId } }),
    }),
    license: t.prismaField({
      type: 'License',
      description: 'The license, with its end date.',
      resolve: (query, ids, _args, ctx) =>
        writtenLicense(ctx, ids.licenseId, query) ?? ctx.prisma.license.findUniqueOrThrow({ ...query, where: { id: ids.licenseId } }),
    }),
  }),
});

builder.mutationField('assignLicense', (t) =>
  t.field({
    type: AssignLicensePayload,
    description: 'Assigns a license of a product to a student or teacher (school or organisation administrators, read-write integrations).',
    authScopes: { authenticated: true },
    errors: { types: licenseErrors },
    args: { input: t.arg({ type: AssignLicenseInput, required: true, description: 'What to do.' }) },
    resolve: (_root, { input }, ctx) =>
      runIdempotent(ctx, { key: input.idempotencyKey, operation: 'assignLicense', input: { ...input, idempotencyKey: null } }, async (tx, clock, actor) => {
        const { assignment, license, user, userVisible } = await assignLicense(tx, clock, actor, {
          schoolId: input.school.id,
          productId: input.product.id,
          userId: input.user.id,
          reuseStarted: input.reuseStarted,
          endDate: input.endDate ?? null,
        });
        // Nothing after the write changes them: the payload shows them as written (written-licenses.ts).
        rememberWrittenAssignment(ctx, assignment, license, user);
        holderLoader(ctx).prime(user.id, userVisible ? user : null);
        return { assignmentId: assignment.id, licenseId: license.id };
      }),
  }),
);

const AssignLicensesInput = builder.inputType('AssignLicensesInput', {
  description: 'Give many users a license of the same product at once.',
  fields: (t) => ({
    school: t.globalID({ for: SchoolRef, required: true, description: 'The school whose licenses are given.' }),
    product: t.globalID({ for: ProductRef, required: true, description: 'The product.' }),
    users: t.globalIDList({
      for: UserRef,
      required: true,
      description: 'Students or teachers of the school, 1 to 100; one outcome per user given (a repeated user gets DUPLICATE_USER).',
    }),
    reuseStarted: t.boolean({ required: true, description: 'Reuse started licenses (true) or start new ones (false).' }),
    endDate: t.field({
      type: 'LocalDate',
      required: false,
      description: 'With reuseStarted: the end date (a day) chosen from the pool. With reuseStarted false: INVALID_INPUT.',
    }),
    dryRun: t.boolean({
      required: false,
      defaultValue: false,
      description: 'Show each outcome and the resulting end dates without assigning anything.',
    }),
    idempotencyKey: t.string({ required: false, description: 'Retries with the same key return the first result.' }),
  }),
});

/** One user's outcome, as JSON so an idempotent replay can return it as it was. */
type UserOutcome = {
  userId: string;
  licenseId: string | null;
  endDate: string | null;
  error: ErrorData | null;
};

const AssignLicensesOutcome = builder.objectRef<UserOutcome>('AssignLicensesOutcome').implement({
  description: "One user's outcome of assignLicenses.",
  fields: (t) => ({
    user: t.prismaField({
      type: 'User',
      nullable: true,
      description: 'The user.',
      resolve: (query, outcome, _args, ctx) => ctx.prisma.user.findUnique({ ...query, where: { id: outcome.userId } }),
    }),
    assigned: t.boolean({
      description: 'Whether the user got (in a dry run: would get) a license.',
      resolve: (outcome) => outcome.error === null,
    }),
    endDate: t.field({
      type: 'LocalDate',
      nullable: true,
      description: "The end date of the user's license (its last usable day).",
      resolve: (outcome) => (outcome.endDate ? parseDay(outcome.endDate) : null),
    }),
    license: t.prismaField({
      type: 'License',
      nullable: true,
      description: 'The license given; null in a dry run or on error.',
      resolve: (query, outcome, _args, ctx) => (outcome.licenseId ? ctx.prisma.license.findUnique({ ...query, where: { id: outcome.licenseId } }) : null),
    }),
    error: t.field({
      type: ErrorInterface,
      nullable: true,
      description: 'Why this user got no license.',
      resolve: (outcome) => outcome.error,
    }),
  }),
});

const AssignLicensesPayload = builder.objectRef<{ dryRun: boolean; outcomes: UserOutcome[] }>('AssignLicensesPayload').implement({
  description: 'The outcome for each user.',
  fields: (t) => ({
    dryRun: t.exposeBoolean('dryRun', { description: 'True when nothing was written.' }),
    outcomes: t.field({ type: [AssignLicensesOutcome], description: 'One outcome per user, in input order.', resolve: (p) => p.outcomes }),
    assignedCount: t.int({ description: 'How many users got a license.', resolve: (p) => p.outcomes.filter((o) => !o.error).length }),
  }),
});

class DryRunRollback extends Error {
  readonly outcomes: BulkAssignOutcome[];
  constructor(outcomes: BulkAssignOutcome[]) {
    super('dry run');
    this.outcomes = outcomes;
  }
}

function toUserOutcome(outcome: BulkAssignOutcome, dryRun: boolean): UserOutcome {
  if (!outcome.ok) {
    return { userId: outcome.userId, licenseId: null, endDate: null, error: errorData(outcome.error) };
  }
  return {
    userId: outcome.userId,
    licenseId: dryRun ? null : outcome.result.license.id,
    endDate: formatDay(outcome.result.license.endDate),
    error: null,
  };
}

builder.mutationField('assignLicenses', (t) =>
  t.field({
    type: AssignLicensesPayload,
    description:
      'Assigns licenses to many users at once, with an outcome per user given (a user given twice gets DUPLICATE_USER the second time); or, with dryRun, shows what would happen. For school or organisation administrators and read-write integration keys.',
    authScopes: { authenticated: true },
    errors: { types: licenseErrors },
    args: { input: t.arg({ type: AssignLicensesInput, required: true, description: 'What to do.' }) },
    resolve: async (_root, { input }, ctx) => {
      const request = {
        schoolId: input.school.id,
        productId: input.product.id,
        userIds: input.users.map((user) => user.id),
        reuseStarted: input.reuseStarted,
        endDate: input.endDate ?? null,
      };
      if (input.dryRun) {
        const actor = actorOf(ctx);
        // Everything runs as for real, then the transaction is rolled back.
        const outcomes = await inTransaction(ctx.prisma, async (tx) => {
          throw new DryRunRollback(await assignLicenses(tx, ctx.clock, actor, request));
        }).catch((error: unknown) => {
          if (error instanceof DryRunRollback) return error.outcomes;
          throw error;
        });
        return { dryRun: true, outcomes: outcomes.map((o) => toUserOutcome(o, true)) };
      }
      const outcomes = await runIdempotent(
        ctx,
        { key: input.idempotencyKey, operation: 'assignLicenses', input: { ...input, idempotencyKey: null } },
        async (tx, clock, actor) => (await assignLicenses(tx, clock, actor, request)).map((o) => toUserOutcome(o, false)),
      );
      return { dryRun: false, outcomes };
    },
  }),
);

const LicenseInput = builder.inputType('LicenseInput', {
  description: 'Names one license.',
  fields: (t) => ({
    license: t.globalID({ for: LicenseRef, required: true, description: 'The license.' }),
    idempotencyKey: t.string({
      required: false,
      description: 'Retries with the same key return the first result: a retried revoke never takes back a license that was given to someone else in between.',
    }),
  }),
});

/** The license as the mutation left it, for its payload (written-licenses.ts); its id. */
function rememberWritten(ctx: Context, license: License): string {
  rememberWrittenLicense(ctx, license);
  return license.id;
}

const LicensePayload = builder.objectRef<{ licenseId: string }>('LicensePayload').implement({
  description: 'The license after the change.',
  fields: (t) => ({
    license: t.prismaField({
      type: 'License',
      description: 'The license, now reusable if it has time left.',
      resolve: (query, { licenseId }, _args, ctx) =>
        writtenLicense(ctx, licenseId, query) ?? ctx.prisma.license.findUniqueOrThrow({ ...query, where: { id: licenseId } }),
    }),
  }),
});

builder.mutationFields((t) => ({
  revokeLicense: t.field({
    type: LicensePayload,
    description:
      'Takes a license back from its holder (school or organisation administrators, read-write integration keys). A started license keeps its end date and becomes reusable. A license past its end date has no holder any more: LICENSE_NOT_ASSIGNED.',
    authScopes: { authenticated: true },
    errors: { types: licenseErrors },
    args: { input: t.arg({ type: LicenseInput, required: true, description: 'What to do.' }) },
    resolve: async (_root, { input }, ctx) => {
      return runIdempotent(ctx, { key: input.idempotencyKey, operation: 'revokeLicense', input: { license: input.license.id } }, async (tx, clock, actor) => ({
        licenseId: rememberWritten(ctx, await revokeLicense(tx, clock, actor, { licenseId: input.license.id })),
      }));
    },
  }),
  removeMyLicense: t.field({
    type: LicensePayload,
    description: 'A teacher gives back their own license, which becomes reusable by the school (signed-in teachers; students and API keys get FORBIDDEN).',
    authScopes: { authenticated: true },
    errors: { types: licenseErrors },
    args: { input: t.arg({ type: LicenseInput, required: true, description: 'What to do.' }) },
    resolve: async (_root, { input }, ctx) => {
      return runIdempotent(
        ctx,
        { key: input.idempotencyKey, operation: 'removeMyLicense', input: { license: input.license.id } },
        async (tx, clock, actor) => ({ licenseId: rememberWritten(ctx, await removeMyLicense(tx, clock, actor, { licenseId: input.license.id })) }),
      );
    },
  }),
}));
