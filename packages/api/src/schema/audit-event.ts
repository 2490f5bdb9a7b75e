import type { Prisma } from '@school-licenses/db';
import { visibleAuditEvents } from '../domain/actor.ts';
import { builder } from './builder.ts';
import { AuditActionEnum } from './enums.ts';
import { actorOf } from './run.ts';

builder.prismaNode('AuditEvent', {
  description: 'A recorded change: who did what, to which license or order, and when.',
  id: { field: 'id' },
  nullable: true,
  findUnique: (id, ctx) => ({ id, AND: [visibleAuditEvents(actorOf(ctx))] }),
  authScopes: { authenticated: true },
  fields: (t) => ({
    action: t.expose('action', { type: AuditActionEnum, description: 'What was done.' }),
    actor: t.exposeString('actorLabel', { description: 'Who did it: a user\'s name, an API key\'s name, or "system".' }),
    actorUser: t.globalID({
      nullable: true,
      description: 'The user who did it, when a user did.',
      resolve: (event) => (event.actorUserId ? { type: 'User', id: event.actorUserId } : null),
    }),
    license: t.relation('license', { nullable: true, description: 'The license changed, if any.' }),
    user: t.globalID({
      nullable: true,
      description: 'The user the change concerned (e.g. who got or lost the license).',
      resolve: (event) => (event.userId ? { type: 'User', id: event.userId } : null),
    }),
    order: t.globalID({
      nullable: true,
      description: 'The order the change concerned.',
      resolve: (event) => (event.orderId ? { type: 'Order', id: event.orderId } : null),
    }),
    before: t.field({ type: 'JSON', nullable: true, description: 'The state before.', resolve: (e) => e.before }),
    after: t.field({ type: 'JSON', nullable: true, description: 'The state after.', resolve: (e) => e.after }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it happened.' }),
  }),
});

builder.queryField('auditEvents', (t) =>
  t.prismaConnection({
    type: 'AuditEvent',
    cursor: 'id',
    description: 'Recorded changes you may see (administrators and integrations), newest first, optionally of one school, license or user.',
    args: {
      school: t.arg.globalID({ required: false, description: 'Only changes in this school.' }),
      license: t.arg.globalID({ required: false, description: 'Only changes of this license.' }),
      user: t.arg.globalID({ required: false, description: 'Only changes concerning this user.' }),
    },
    resolve: (query, _root, args, ctx) =>
      ctx.prisma.auditEvent.findMany({ ...query, where: auditFilter(args, actorOf(ctx)), orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] }),
    totalCount: (_connection, args, ctx) => ctx.prisma.auditEvent.count({ where: auditFilter(args, actorOf(ctx)) }),
  }),
);

function auditFilter(
  args: { school?: { id: string } | null; license?: { id: string } | null; user?: { id: string } | null },
  actor: Parameters<typeof visibleAuditEvents>[0],
): Prisma.AuditEventWhereInput {
  return {
    AND: [
      visibleAuditEvents(actor),
      args.school ? { schoolId: args.school.id } : {},
      args.license ? { licenseId: args.license.id } : {},
      args.user ? { userId: args.user.id } : {},
    ],
  };
}
