import type { Actor } from '../domain/actor.ts';
import { builder } from './builder.ts';
import { notificationsOf } from './notification.ts';
import { OrganisationRef } from './organisation.ts';
import { actorOf } from './run.ts';

const ViewerKindEnum = builder.enumType('ViewerKind', {
  description: 'What kind of caller you are.',
  values: {
    USER: { description: 'A person signed in with a user token.' },
    INTEGRATION: { description: "An integration with an organisation's API key." },
    SUPPLIER: { description: "A supplier's integration." },
  } as const,
});

const ViewerRef = builder.objectRef<Actor>('Viewer').implement({
  description: 'Who you are, as the API sees you.',
  fields: (t) => ({
    kind: t.field({
      type: ViewerKindEnum,
      description: 'What kind of caller you are.',
      resolve: (actor) => (actor.kind === 'user' ? 'USER' : actor.kind === 'supplier' ? 'SUPPLIER' : 'INTEGRATION'),
    }),
    name: t.exposeString('label', { description: "Your name, or the API key's name." }),
    user: t.prismaField({
      type: 'User',
      nullable: true,
      description: 'You, when you are a user: with your schools, roles and licenses.',
      resolve: (query, actor, _args, ctx) => (actor.kind === 'user' ? ctx.prisma.user.findUnique({ ...query, where: { id: actor.userId } }) : null),
    }),
    organisation: t.prismaField({
      type: 'Organisation',
      nullable: true,
      description: 'Your organisation; null for suppliers.',
      resolve: (query, actor, _args, ctx) =>
        actor.kind === 'user' || actor.kind === 'integration' ? ctx.prisma.organisation.findUnique({ ...query, where: { id: actor.organisationId } }) : null,
    }),
    notifications: t.prismaConnection({
      type: 'Notification',
      cursor: 'id',
      description: 'Your notifications, newest first.',
      args: { unreadOnly: t.arg.boolean({ required: false, description: 'Only unread ones.' }) },
      resolve: (query, _actor, args, ctx) =>
        ctx.prisma.notification.findMany({
          ...query,
          where: { AND: [notificationsOf(ctx), args.unreadOnly ? { readAt: null } : {}] },
          orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        }),
      totalCount: (_actor, args, ctx) => ctx.prisma.notification.count({ where: { AND: [notificationsOf(ctx), args.unreadOnly ? { readAt: null } : {}] } }),
    }),
    unreadNotificationCount: t.int({
      description: 'How many of your notifications are unread.',
      resolve: (_actor, _args, ctx) => ctx.prisma.notification.count({ where: { AND: [notificationsOf(ctx), { readAt: null }] } }),
    }),
  }),
});

builder.queryField('viewer', (t) =>
  t.field({
    type: ViewerRef,
    description: 'Who you are: your user, schools, roles, licenses and notifications.',
    resolve: (_root, _args, ctx) => actorOf(ctx),
  }),
);

export { OrganisationRef };
