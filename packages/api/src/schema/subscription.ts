// Live updates over Server-Sent Events (yoga's graphql-sse transport), fed by this instance's
// event relay (events/relay.ts). Each subscription is authorized like the query it mirrors.
import { createGraphQLError, filter, map, pipe } from 'graphql-yoga';
import { builder } from './builder.ts';
import type { Context } from './context.ts';
import { NotificationRef } from './notification.ts';
import { actorOf } from './run.ts';
import { availabilityOf, LicenseAvailabilityRef, loadSchoolProduct } from './school-product.ts';

builder.subscriptionType({
  description: 'Live updates, sent as Server-Sent Events (GraphQL over SSE). Every field needs a token, as queries do.',
  authScopes: { authenticated: true },
});

/** A subscription's context lives as long as it; each update is read as a request of its own. */
const freshRead = (ctx: Context): Context => ({ ...ctx });

builder.subscriptionField('availabilityChanged', (t) =>
  t.field({
    type: LicenseAvailabilityRef,
    description:
      "A school's availability of a product, sent again after every committed change to it (an assignment, a revocation, a delivery...). Only for those who may read the school's licenses.",
    args: {
      school: t.arg.globalID({ required: true, description: 'The school.' }),
      product: t.arg.globalID({ required: true, description: 'The product.' }),
    },
    subscribe: async (_root, args, ctx) => {
      const schoolProduct = await loadSchoolProduct(ctx, `${args.school.id}:${args.product.id}`);
      if (!schoolProduct) throw createGraphQLError('No such school or product.', { extensions: { code: 'NOT_FOUND' } });
      return pipe(
        ctx.events.subscribe('event'),
        filter((event) => event.schoolId === schoolProduct.school.id && event.productId === schoolProduct.product.id),
        map(() => availabilityOf(freshRead(ctx), schoolProduct)),
      );
    },
    resolve: (availability) => availability,
  }),
);

builder.subscriptionField('notificationAdded', (t) =>
  t.field({
    type: NotificationRef,
    description: "The viewer's notifications, each as soon as it is committed.",
    authScopes: { user: true },
    subscribe: (_root, _args, ctx) => {
      const actor = actorOf(ctx);
      const userId = actor.kind === 'user' ? actor.userId : '';
      return pipe(
        ctx.events.subscribe('notification', userId),
        map((id) => ctx.prisma.notification.findFirst({ where: { id, userId } })),
        filter((notification) => notification !== null),
      );
    },
    resolve: (notification) => notification!,
  }),
);
