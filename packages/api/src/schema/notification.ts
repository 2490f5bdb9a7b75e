import { visibleNotifications } from '../domain/actor.ts';
import { markNotificationsRead } from '../domain/notifications.ts';
import { builder } from './builder.ts';
import { NotificationKindEnum } from './enums.ts';
import { licenseErrors } from './errors.ts';
import { actorOf, runDomain } from './run.ts';

export const NotificationRef = builder.prismaNode('Notification', {
  description: "A message to a user, e.g. that a delayed delivery's licenses can now be assigned.",
  id: { field: 'id' },
  nullable: true,
  findUnique: (id, ctx) => ({ id, AND: [visibleNotifications(actorOf(ctx))] }),
  authScopes: { authenticated: true },
  fields: (t) => ({
    kind: t.expose('kind', { type: NotificationKindEnum, description: 'What it is about.' }),
    message: t.exposeString('message', { description: 'The message.' }),
    order: t.relation('order', { nullable: true, description: 'The order it concerns.' }),
    school: t.globalID({ nullable: true, description: 'The school it concerns.', resolve: (n) => (n.schoolId ? { type: 'School', id: n.schoolId } : null) }),
    product: t.globalID({
      nullable: true,
      description: 'The product it concerns.',
      resolve: (n) => (n.productId ? { type: 'Product', id: n.productId } : null),
    }),
    dueAt: t.expose('dueAt', { type: 'DateTime', nullable: true, description: 'The day licenses start by themselves or expire, for those notices.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it was sent.' }),
    readAt: t.expose('readAt', { type: 'DateTime', nullable: true, description: 'When it was marked read; null while unread.' }),
  }),
});

const MarkNotificationsReadInput = builder.inputType('MarkNotificationsReadInput', {
  description: 'Which notifications to mark read.',
  fields: (t) => ({
    notifications: t.globalIDList({
      for: NotificationRef,
      required: false,
      description: 'These notifications; all unread ones when left out.',
    }),
  }),
});

const MarkNotificationsReadPayload = builder.objectRef<{ markedCount: number }>('MarkNotificationsReadPayload').implement({
  description: 'How many notifications were marked read.',
  fields: (t) => ({
    markedCount: t.exposeInt('markedCount', { description: 'How many unread notifications are now read.' }),
  }),
});

builder.mutationField('markNotificationsRead', (t) =>
  t.field({
    type: MarkNotificationsReadPayload,
    description: "Marks the viewer's notifications read (signed-in users; API keys get FORBIDDEN).",
    authScopes: { authenticated: true },
    errors: { types: licenseErrors },
    args: { input: t.arg({ type: MarkNotificationsReadInput, required: false, description: 'What to do.' }) },
    resolve: async (_root, { input }, ctx) => ({
      markedCount: await runDomain(ctx, (tx, clock, actor) =>
        markNotificationsRead(tx, clock, actor, { notificationIds: input?.notifications?.map((n) => n.id) ?? null }),
      ),
    }),
  }),
);

export function notificationsOf(ctx: Parameters<typeof actorOf>[0]) {
  return visibleNotifications(actorOf(ctx));
}
