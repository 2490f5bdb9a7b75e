import type { Prisma } from '@school-licenses/db';
import { visibleAuditEvents, visibleOrders, visibleUsers } from '../domain/actor.ts';
import { builder } from './builder.ts';
import { AuditActionEnum } from './enums.ts';
import { actorOf } from './run.ts';

builder.prismaNode('AuditEvent', {
  description:
    'A recorded change: who did what, to which license, user or order, and when. What time did (auto-starts at 00:00 of the auto-start day, expiries at 00:00 after the end date) is recorded by "system" at that moment.',
  id: { field: 'id' },
  nullable: true,
  findUnique: (id, ctx) => ({ id, AND: [visibleAuditEvents(actorOf(ctx))] }),
  authScopes: { authenticated: true },
  fields: (t) => ({
    action: t.expose('action', { type: AuditActionEnum, description: 'What was done.' }),
    actor: t.exposeString('actorLabel', { description: 'Who did it: a user\'s name, an API key\'s name, or "system".' }),
    // Users and orders as objects, like the license; null when there is none or it is not yours to see.
    actorUser: t.prismaField({
      type: 'User',
      nullable: true,
      description: 'The user who did it, when a user did (null for an API key or the system).',
      resolve: (query, event, _args, ctx) =>
        event.actorUserId ? ctx.prisma.user.findFirst({ ...query, where: { AND: [{ id: event.actorUserId }, visibleUsers(actorOf(ctx))] } }) : null,
    }),
    license: t.relation('license', { nullable: true, description: 'The license changed, if any.' }),
    user: t.prismaField({
      type: 'User',
      nullable: true,
      description: 'The user the change concerned (e.g. who got or lost the license).',
      resolve: (query, event, _args, ctx) =>
        event.userId ? ctx.prisma.user.findFirst({ ...query, where: { AND: [{ id: event.userId }, visibleUsers(actorOf(ctx))] } }) : null,
    }),
    order: t.prismaField({
      type: 'Order',
      nullable: true,
      description: 'The order the change concerned.',
      resolve: (query, event, _args, ctx) =>
        event.orderId ? ctx.prisma.order.findFirst({ ...query, where: { AND: [{ id: event.orderId }, visibleOrders(actorOf(ctx))] } }) : null,
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
