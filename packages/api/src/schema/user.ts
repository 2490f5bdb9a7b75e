import { Prisma, type User } from '@school-licenses/db';
import { requireOrganisationOf, timeZoneOf, visibleAssignments, visibleGroupMemberships, visibleUsers } from '../domain/actor.ts';
import { createUser, endUser, updateUser, userSearch, type RosterChange } from '../domain/roster.ts';
import { LicenseError } from '../domain/errors.ts';
import { licensesInState } from '../domain/license-state.ts';
import { DEFAULT_TIME_ZONE } from '../domain/days.ts';
import { readTime } from './context.ts';
import { builder } from './builder.ts';
import { RosterChangeEnum, SchoolRoleEnum } from './enums.ts';
import { licenseErrors } from './errors.ts';
import { actorOf, runDomain, runIdempotent } from './run.ts';
import { SchoolRef } from './school.ts';

export const UserRef = builder.prismaNode('User', {
  description: 'A student, teacher or administrator. Users hold licenses through assignments; licenses belong to schools.',
  // The id column as it is, as License's: Pothos' default serializes each user's id through the model's field type.
  id: { resolve: (user) => user.id },
  nullable: true,
  findUnique: (id, ctx) => ({ id, AND: [visibleUsers(actorOf(ctx))] }),
  authScopes: { authenticated: true },
  fields: (t) => ({
    name: t.exposeString('name', { description: "The user's name." }),
    email: t.exposeString('email', { description: "The user's e-mail address, unique in the organisation." }),
    externalId: t.exposeString('externalId', { nullable: true, description: "The user's id in the organisation's student information system." }),
    endedAt: t.expose('endedAt', { type: 'DateTime', nullable: true, description: 'When the user left the organisation; null while they belong to it.' }),
    isOrganisationAdmin: t.exposeBoolean('isOrganisationAdmin', {
      description: 'Administrates every school of the organisation.',
    }),
    memberships: t.relation('memberships', {
      description: 'The schools the user belongs to now, with the role in each.',
      query: { where: { endedAt: null } },
    }),
    groups: t.relation('groupMemberships', {
      description: 'The classes and teaching groups the user is in now, that you may see.',
      query: (_args, ctx) => ({ where: { AND: [{ endedAt: null }, visibleGroupMemberships(actorOf(ctx))] }, orderBy: { groupId: 'asc' } }),
    }),
    licenses: t.relation('assignments', {
      description: 'The licenses the user holds now (active assignments of licenses not expired, whether or not the sweep has run), with their end dates.',
      query: (_args, ctx) => ({
        where: { AND: [{ isActive: true }, visibleAssignments(actorOf(ctx)), { license: licensesInState('STARTED', todayOfViewer(ctx)) }] },
        orderBy: { assignedAt: 'desc' },
      }),
    }),
    assignments: t.relatedConnection('assignments', {
      cursor: 'id',
      description: "The user's assignment history, newest first.",
      query: (_args, ctx) => ({ where: visibleAssignments(actorOf(ctx)), orderBy: [{ assignedAt: 'desc' }, { id: 'desc' }] }),
      totalCount: true,
    }),
  }),
});

/**
 * The columns of its row each field of User reads: a license's holder read with a page of
 * licenses selects only the columns its selection needs (license-pages.ts). Relations load the
 * user's rows by its id. user-columns.test.ts checks that every field of User is here, so a new
 * field cannot silently miss its column.
 */
export const USER_FIELD_COLUMNS: Readonly<Record<string, readonly (keyof User & string)[]>> = {
  id: ['id'],
  name: ['name'],
  email: ['email'],
  externalId: ['externalId'],
  endedAt: ['endedAt'],
  isOrganisationAdmin: ['isOrganisationAdmin'],
  memberships: ['id'],
  groups: ['id'],
  licenses: ['id'],
  assignments: ['id'],
  licenseWaits: ['id'],
};

/** The User columns the fields `fieldNames` read; every column when one is not in USER_FIELD_COLUMNS. */
export function userColumnsOf(fieldNames: Iterable<string>): (keyof User & string)[] {
  const columns = new Set<keyof User & string>(['id']);
  for (const name of fieldNames) {
    if (name === '__typename') continue;
    const read = USER_FIELD_COLUMNS[name];
    if (!read) return Object.values(Prisma.UserScalarFieldEnum);
    for (const column of read) columns.add(column);
  }
  return [...columns];
}

builder.queryFields((t) => ({
  users: t.prismaConnection({
    type: 'User',
    cursor: 'id',
    description: 'The users you can see, by name, optionally only those whose name or e-mail contains `search`.',
    args: {
      search: t.arg.string({ required: false, description: 'Text the name or e-mail contains (any case).' }),
      includeEnded: t.arg.boolean({ required: false, description: 'Also users who left the organisation (default false).' }),
    },
    resolve: (query, _root, args, ctx) => ctx.prisma.user.findMany({ ...query, where: usersWhere(args, ctx), orderBy: [{ name: 'asc' }, { id: 'asc' }] }),
    totalCount: (_connection, args, ctx) => ctx.prisma.user.count({ where: usersWhere(args, ctx) }),
  }),
  userByExternalId: t.prismaField({
    type: 'User',
    nullable: true,
    description: 'A user of your organisation by their id in its student information system; null when none you can see has it.',
    args: { externalId: t.arg.string({ required: true, description: 'The external id.' }) },
    resolve: (query, _root, args, ctx) =>
      ctx.prisma.user.findFirst({ ...query, where: { AND: [{ externalId: args.externalId.trim() }, visibleUsers(actorOf(ctx))] } }),
  }),
}));

function usersWhere(args: { search?: string | null; includeEnded?: boolean | null }, ctx: Parameters<typeof actorOf>[0]) {
  return { AND: [userSearch(actorOf(ctx), args.search ?? ''), args.includeEnded ? {} : { endedAt: null }] };
}

const UserPayload = builder.objectRef<{ userId: string; change: RosterChange }>('UserPayload').implement({
  description: 'The user after the change.',
  fields: (t) => ({
    user: t.prismaField({
      type: 'User',
      description: 'The user.',
      resolve: (query, { userId }, _args, ctx) => ctx.prisma.user.findUniqueOrThrow({ ...query, where: { id: userId } }),
    }),
    change: t.field({ type: RosterChangeEnum, description: 'What the write did.', resolve: (payload) => payload.change }),
  }),
});

const CreateUserInput = builder.inputType('CreateUserInput', {
  description:
    'A new user of your organisation. School administrators must enrol them into their school (school and role); organisation administrators may leave both out.',
  fields: (t) => ({
    name: t.string({ required: true, description: "The user's name." }),
    email: t.string({ required: true, description: 'The e-mail address, unique in the organisation (kept in lower case).' }),
    externalId: t.string({ required: false, description: "The user's id in your student information system, unique in the organisation." }),
    school: t.globalID({ for: SchoolRef, required: false, description: 'A school to enrol the user in at once.' }),
    role: t.field({ type: SchoolRoleEnum, required: false, description: 'The role in that school (default STUDENT).' }),
    idempotencyKey: t.string({ required: false, description: 'Retries with the same key return the first user.' }),
  }),
});

const UpdateUserInput = builder.inputType('UpdateUserInput', {
  description: "Change a user's name, e-mail or external id. Fields left out stay; null clears the external id.",
  fields: (t) => ({
    user: t.globalID({ for: UserRef, required: true, description: 'The user.' }),
    name: t.string({ required: false, description: 'The new name.' }),
    email: t.string({ required: false, description: 'The new e-mail address.' }),
    externalId: t.string({ required: false, description: 'The new external id, or null to clear it.' }),
  }),
});

const UserInput = builder.inputType('UserInput', {
  description: 'Names one user.',
  fields: (t) => ({ user: t.globalID({ for: UserRef, required: true, description: 'The user.' }) }),
});

builder.mutationFields((t) => ({
  createUser: t.field({
    type: UserPayload,
    description: 'Creates a user of your organisation, optionally enrolled in a school (administrators, read-write integrations).',
    authScopes: { authenticated: true },
    errors: { types: licenseErrors },
    args: { input: t.arg({ type: CreateUserInput, required: true, description: 'What to do.' }) },
    resolve: (_root, { input }, ctx) =>
      runIdempotent(ctx, { key: input.idempotencyKey, operation: 'createUser', input: { ...input, idempotencyKey: null } }, async (tx, clock, actor) => {
        if (input.role && !input.school) throw new LicenseError('INVALID_INPUT', 'role', 'A role is a role in a school: give the school too.');
        const user = await createUser(tx, clock.now(), actor, {
          name: input.name,
          email: input.email,
          externalId: input.externalId,
          organisationId: requireOrganisationOf(actor),
          school: input.school ? { schoolId: input.school.id, role: input.role ?? 'STUDENT' } : null,
        });
        return { userId: user.id, change: 'created' as const };
      }),
  }),
  updateUser: t.field({
    type: UserPayload,
    description: "Changes a user's name, e-mail or external id (the organisation's administrators, or the administrators of a school the user is in).",
    authScopes: { authenticated: true },
    errors: { types: licenseErrors },
    args: { input: t.arg({ type: UpdateUserInput, required: true, description: 'What to do.' }) },
    resolve: (_root, { input }, ctx) =>
      runDomain(ctx, async (tx, clock, actor) => {
        const { record, change } = await updateUser(tx, clock.now(), actor, {
          userId: input.user.id,
          name: input.name ?? undefined,
          email: input.email ?? undefined,
          externalId: input.externalId,
        });
        return { userId: record.id, change };
      }),
  }),
  endUser: t.field({
    type: UserPayload,
    description:
      'The user leaves the organisation (organisation administrators, read-write integrations): every membership ends, their licenses are revoked (LEFT_SCHOOL), and they can no longer sign in.',
    authScopes: { authenticated: true },
    errors: { types: licenseErrors },
    args: { input: t.arg({ type: UserInput, required: true, description: 'What to do.' }) },
    resolve: (_root, { input }, ctx) =>
      runDomain(ctx, async (tx, clock, actor) => {
        const { record, change } = await endUser(tx, clock.now(), actor, { userId: input.user.id });
        return { userId: record.id, change };
      }),
  }),
}));

/**
 * Today for the users the viewer sees: all in the viewer's organisation (suppliers see no users;
 * they get the default zone, which then filters nothing they can see).
 */
function todayOfViewer(ctx: Parameters<typeof actorOf>[0]): Date {
  return readTime(ctx, timeZoneOf(actorOf(ctx)) ?? DEFAULT_TIME_ZONE).today;
}
