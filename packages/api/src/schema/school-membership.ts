import { endSchoolMembership, setSchoolMembership, type RosterChange } from '../domain/roster.ts';
import { builder } from './builder.ts';
import { RosterChangeEnum, SchoolRoleEnum } from './enums.ts';
import { licenseErrors } from './errors.ts';
import { runDomain } from './run.ts';
import { SchoolRef } from './school.ts';
import { UserRef } from './user.ts';

builder.prismaObject('SchoolMembership', {
  description: "A user's membership of a school, with their role there. Current while endedAt is null.",
  fields: (t) => ({
    role: t.expose('role', { type: SchoolRoleEnum, description: 'The role in this school.' }),
    user: t.relation('user', { description: 'The member.' }),
    school: t.relation('school', { description: 'The school.' }),
    startedAt: t.expose('startedAt', { type: 'DateTime', description: 'When the membership (last) started.' }),
    endedAt: t.expose('endedAt', { type: 'DateTime', nullable: true, description: 'When the user left the school; null while a member.' }),
  }),
});

const SchoolMembershipPayload = builder.objectRef<{ userId: string; schoolId: string; change: RosterChange }>('SchoolMembershipPayload').implement({
  description: 'The membership after the change.',
  fields: (t) => ({
    membership: t.prismaField({
      type: 'SchoolMembership',
      description: 'The membership.',
      resolve: (query, { userId, schoolId }, _args, ctx) =>
        ctx.prisma.schoolMembership.findUniqueOrThrow({ ...query, where: { userId_schoolId: { userId, schoolId } } }),
    }),
    change: t.field({ type: RosterChangeEnum, description: 'What the write did.', resolve: (payload) => payload.change }),
  }),
});

const SetSchoolMembershipInput = builder.inputType('SetSchoolMembershipInput', {
  description: 'Make a user of your organisation a member of a school with a role.',
  fields: (t) => ({
    school: t.globalID({ for: SchoolRef, required: true, description: 'The school.' }),
    user: t.globalID({ for: UserRef, required: true, description: 'The user, of the same organisation.' }),
    role: t.field({ type: SchoolRoleEnum, required: true, description: 'The role in the school.' }),
  }),
});

const SchoolMembershipInput = builder.inputType('SchoolMembershipInput', {
  description: "Names one user's membership of a school.",
  fields: (t) => ({
    school: t.globalID({ for: SchoolRef, required: true, description: 'The school.' }),
    user: t.globalID({ for: UserRef, required: true, description: 'The member.' }),
  }),
});

builder.mutationFields((t) => ({
  setSchoolMembership: t.field({
    type: SchoolMembershipPayload,
    description:
      "Enrols a user in a school, enrols them again after they left, or changes their role (the school's or the organisation's administrators, read-write integrations). Safe to repeat. A holder of licenses who becomes SCHOOL_ADMIN gives them back (LEFT_SCHOOL).",
    authScopes: { authenticated: true },
    errors: { types: licenseErrors },
    args: { input: t.arg({ type: SetSchoolMembershipInput, required: true, description: 'What to do.' }) },
    resolve: (_root, { input }, ctx) =>
      runDomain(ctx, async (tx, clock, actor) => {
        const { record, change } = await setSchoolMembership(tx, clock.now(), actor, { schoolId: input.school.id, userId: input.user.id, role: input.role });
        return { userId: record.userId, schoolId: record.schoolId, change };
      }),
  }),
  endSchoolMembership: t.field({
    type: SchoolMembershipPayload,
    description:
      "The user leaves the school (the school's or the organisation's administrators, read-write integrations): their groups there end and their licenses there are revoked (LEFT_SCHOOL); started licenses keep their end dates and become reusable. Safe to repeat.",
    authScopes: { authenticated: true },
    errors: { types: licenseErrors },
    args: { input: t.arg({ type: SchoolMembershipInput, required: true, description: 'What to do.' }) },
    resolve: (_root, { input }, ctx) =>
      runDomain(ctx, async (tx, clock, actor) => {
        const { record, change } = await endSchoolMembership(tx, clock.now(), actor, { schoolId: input.school.id, userId: input.user.id });
        return { userId: record.userId, schoolId: record.schoolId, change };
      }),
  }),
}));
