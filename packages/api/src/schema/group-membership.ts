import { endGroupMembership, setGroupMembership, type RosterChange } from '../domain/roster.ts';
import { builder } from './builder.ts';
import { GroupRoleEnum, RosterChangeEnum } from './enums.ts';
import { licenseErrors } from './errors.ts';
import { GroupRef } from './group.ts';
import { runDomain } from './run.ts';
import { UserRef } from './user.ts';

builder.prismaObject('GroupMembership', {
  description: "A user's membership of a group, with their role there. Current while endedAt is null.",
  fields: (t) => ({
    role: t.expose('role', { type: GroupRoleEnum, description: 'The role in the group.' }),
    user: t.relation('user', { description: 'The member.' }),
    group: t.relation('group', { description: 'The group.' }),
    startedAt: t.expose('startedAt', { type: 'DateTime', description: 'When the membership (last) started.' }),
    endedAt: t.expose('endedAt', { type: 'DateTime', nullable: true, description: 'When the user left the group; null while a member.' }),
  }),
});

const GroupMembershipPayload = builder.objectRef<{ groupId: string; userId: string; change: RosterChange }>('GroupMembershipPayload').implement({
  description: 'The group membership after the change.',
  fields: (t) => ({
    membership: t.prismaField({
      type: 'GroupMembership',
      description: 'The membership.',
      resolve: (query, { groupId, userId }, _args, ctx) =>
        ctx.prisma.groupMembership.findUniqueOrThrow({ ...query, where: { groupId_userId: { groupId, userId } } }),
    }),
    change: t.field({ type: RosterChangeEnum, description: 'What the write did.', resolve: (payload) => payload.change }),
  }),
});

const SetGroupMembershipInput = builder.inputType('SetGroupMembershipInput', {
  description: "Put a current member of the group's school into the group with a role.",
  fields: (t) => ({
    group: t.globalID({ for: GroupRef, required: true, description: 'The group.' }),
    user: t.globalID({ for: UserRef, required: true, description: "A current member of the group's school." }),
    role: t.field({ type: GroupRoleEnum, required: true, description: 'The role in the group.' }),
  }),
});

const GroupMembershipInput = builder.inputType('GroupMembershipInput', {
  description: "Names one user's membership of a group.",
  fields: (t) => ({
    group: t.globalID({ for: GroupRef, required: true, description: 'The group.' }),
    user: t.globalID({ for: UserRef, required: true, description: 'The member.' }),
  }),
});

builder.mutationFields((t) => ({
  setGroupMembership: t.field({
    type: GroupMembershipPayload,
    description:
      "Puts a user in a group, back in it, or changes their role there (the school's or the organisation's administrators, read-write integrations). The user must be a current member of the group's school (USER_NOT_IN_SCHOOL). Safe to repeat.",
    authScopes: { authenticated: true },
    errors: { types: licenseErrors },
    args: { input: t.arg({ type: SetGroupMembershipInput, required: true, description: 'What to do.' }) },
    resolve: (_root, { input }, ctx) =>
      runDomain(ctx, async (tx, clock, actor) => {
        const { record, change } = await setGroupMembership(tx, clock.now(), actor, { groupId: input.group.id, userId: input.user.id, role: input.role });
        return { groupId: record.groupId, userId: record.userId, change };
      }),
  }),
  endGroupMembership: t.field({
    type: GroupMembershipPayload,
    description: "Takes a user out of a group (the school's or the organisation's administrators, read-write integrations). Safe to repeat.",
    authScopes: { authenticated: true },
    errors: { types: licenseErrors },
    args: { input: t.arg({ type: GroupMembershipInput, required: true, description: 'What to do.' }) },
    resolve: (_root, { input }, ctx) =>
      runDomain(ctx, async (tx, clock, actor) => {
        const { record, change } = await endGroupMembership(tx, clock.now(), actor, { groupId: input.group.id, userId: input.user.id });
        return { groupId: record.groupId, userId: record.userId, change };
      }),
  }),
}));
