import { visibleAssignments, visibleUsers } from '../domain/actor.ts';
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
      description: 'The licenses the user holds now (active assignments), with their end dates.',
      query: (_args, ctx) => ({
        where: { AND: [{ isActive: true }, visibleAssignments(actorOf(ctx))] },
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
