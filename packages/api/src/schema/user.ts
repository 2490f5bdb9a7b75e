import { timeZoneOf, visibleAssignments, visibleUsers } from '../domain/actor.ts';
import { licensesInState } from '../domain/license-state.ts';
import { DEFAULT_TIME_ZONE } from '../domain/days.ts';
import { readTime } from './context.ts';
import { builder } from './builder.ts';
import { actorOf } from './run.ts';

export const UserRef = builder.prismaNode('User', {
  description: 'A student, teacher or administrator. Users hold licenses through assignments; licenses belong to schools.',
  id: { field: 'id' },
  nullable: true,
  findUnique: (id, ctx) => ({ id, AND: [visibleUsers(actorOf(ctx))] }),
  authScopes: { authenticated: true },
  fields: (t) => ({
    name: t.exposeString('name', { description: "The user's name." }),
    email: t.exposeString('email', { description: "The user's e-mail address." }),
    isOrganisationAdmin: t.exposeBoolean('isOrganisationAdmin', {
      description: 'Administrates every school of the organisation.',
    }),
    memberships: t.relation('memberships', { description: 'The schools the user belongs to, with the role in each.' }),
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
 * Today for the users the viewer sees: all in the viewer's organisation (suppliers see no users;
 * they get the default zone, which then filters nothing they can see).
 */
function todayOfViewer(ctx: Parameters<typeof actorOf>[0]): Date {
  return readTime(ctx, timeZoneOf(actorOf(ctx)) ?? DEFAULT_TIME_ZONE).today;
}
