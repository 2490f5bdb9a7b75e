import { visibleGroupMemberships, visibleGroups } from '../domain/actor.ts';
import { createGroup, endGroup, updateGroup, type RosterChange } from '../domain/roster.ts';
import { builder } from './builder.ts';
import { GroupKindEnum, GroupRoleEnum, RosterChangeEnum } from './enums.ts';
import { licenseErrors } from './errors.ts';
import { actorOf, runDomain, runIdempotent } from './run.ts';
import { SchoolRef } from './school.ts';

export const GroupRef = builder.prismaNode('Group', {
  description: 'A class or teaching group of one school, with its students and teachers.',
  id: { field: 'id' },
  nullable: true,
  findUnique: (id, ctx) => ({ id, AND: [visibleGroups(actorOf(ctx))] }),
  authScopes: { authenticated: true },
  fields: (t) => ({
    name: t.exposeString('name', { description: "The group's name, e.g. 7A or Matematik 7 ht." }),
    kind: t.expose('kind', { type: GroupKindEnum, description: 'A class, a teaching group, a mentor group, or another group.' }),
    schoolYear: t.exposeInt('schoolYear', { nullable: true, description: 'The grade (årskurs) of its students; null for mixed groups.' }),
    externalId: t.exposeString('externalId', { nullable: true, description: "The group's id in the organisation's student information system." }),
    school: t.relation('school', { description: 'The school the group belongs to.' }),
    startedAt: t.expose('startedAt', { type: 'DateTime', description: 'When the group (last) started.' }),
    endedAt: t.expose('endedAt', { type: 'DateTime', nullable: true, description: 'When the group ended; null while current.' }),
    members: t.relatedConnection('memberships', {
      cursor: 'groupId_userId',
      description:
        "The group's students and teachers you may see (administrators and integrations of the school, the group's teachers): current members, and with includeEnded past ones.",
      args: {
        role: t.arg({ type: GroupRoleEnum, required: false, description: 'Only members with this role.' }),
        includeEnded: t.arg.boolean({ required: false, description: 'Also members who have left the group (default false).' }),
      },
      query: (args, ctx) => ({
        where: {
          AND: [args.role ? { role: args.role } : {}, args.includeEnded ? {} : { endedAt: null }, visibleGroupMemberships(actorOf(ctx))],
        },
        orderBy: [{ role: 'desc' }, { userId: 'asc' }],
      }),
      totalCount: true,
    }),
  }),
});

const GroupPayload = builder.objectRef<{ groupId: string; change: RosterChange }>('GroupPayload').implement({
  description: 'The group after the change.',
  fields: (t) => ({
    group: t.prismaField({
      type: 'Group',
      description: 'The group.',
      resolve: (query, { groupId }, _args, ctx) => ctx.prisma.group.findUniqueOrThrow({ ...query, where: { id: groupId } }),
    }),
    change: t.field({ type: RosterChangeEnum, description: 'What the write did.', resolve: (payload) => payload.change }),
  }),
});

const CreateGroupInput = builder.inputType('CreateGroupInput', {
  description: 'A new class or teaching group of a school.',
  fields: (t) => ({
    school: t.globalID({ for: SchoolRef, required: true, description: 'The school.' }),
    name: t.string({ required: true, description: "The group's name." }),
    kind: t.field({ type: GroupKindEnum, required: true, description: 'What the group is.' }),
    schoolYear: t.int({ required: false, description: 'The grade (årskurs) of its students, 0 to 13.' }),
    externalId: t.string({ required: false, description: "The group's id in your student information system, unique in the organisation." }),
    idempotencyKey: t.string({ required: false, description: 'Retries with the same key return the first group.' }),
  }),
});

const UpdateGroupInput = builder.inputType('UpdateGroupInput', {
  description: 'Change a group. Fields left out stay; null clears the school year or the external id.',
  fields: (t) => ({
    group: t.globalID({ for: GroupRef, required: true, description: 'The group.' }),
    name: t.string({ required: false, description: 'The new name.' }),
    kind: t.field({ type: GroupKindEnum, required: false, description: 'The new kind.' }),
    schoolYear: t.int({ required: false, description: 'The new grade, or null to clear it.' }),
    externalId: t.string({ required: false, description: 'The new external id, or null to clear it.' }),
  }),
});

const GroupInput = builder.inputType('GroupInput', {
  description: 'Names one group.',
  fields: (t) => ({ group: t.globalID({ for: GroupRef, required: true, description: 'The group.' }) }),
});

builder.mutationFields((t) => ({
  createGroup: t.field({
    type: GroupPayload,
    description: "Creates a class or teaching group (the school's or the organisation's administrators, read-write integrations).",
    authScopes: { authenticated: true },
    errors: { types: licenseErrors },
    args: { input: t.arg({ type: CreateGroupInput, required: true, description: 'What to do.' }) },
    resolve: (_root, { input }, ctx) =>
      runIdempotent(ctx, { key: input.idempotencyKey, operation: 'createGroup', input: { ...input, idempotencyKey: null } }, async (tx, clock, actor) => {
        const group = await createGroup(tx, clock.now(), actor, {
          schoolId: input.school.id,
          name: input.name,
          kind: input.kind,
          schoolYear: input.schoolYear,
          externalId: input.externalId,
        });
        return { groupId: group.id, change: 'created' as const };
      }),
  }),
  updateGroup: t.field({
    type: GroupPayload,
    description: "Renames a group or changes its kind, grade or external id (the school's or the organisation's administrators, read-write integrations).",
    authScopes: { authenticated: true },
    errors: { types: licenseErrors },
    args: { input: t.arg({ type: UpdateGroupInput, required: true, description: 'What to do.' }) },
    resolve: (_root, { input }, ctx) =>
      runDomain(ctx, async (tx, clock, actor) => {
        const { record, change } = await updateGroup(tx, clock.now(), actor, {
          groupId: input.group.id,
          name: input.name ?? undefined,
          kind: input.kind ?? undefined,
          schoolYear: input.schoolYear,
          externalId: input.externalId,
        });
        return { groupId: record.id, change };
      }),
  }),
  endGroup: t.field({
    type: GroupPayload,
    description: "Ends a group and every membership of it, e.g. at the end of the school year. The members' licenses stay. Safe to repeat.",
    authScopes: { authenticated: true },
    errors: { types: licenseErrors },
    args: { input: t.arg({ type: GroupInput, required: true, description: 'What to do.' }) },
    resolve: (_root, { input }, ctx) =>
      runDomain(ctx, async (tx, clock, actor) => {
        const { record, change } = await endGroup(tx, clock.now(), actor, { groupId: input.group.id });
        return { groupId: record.id, change };
      }),
  }),
}));
