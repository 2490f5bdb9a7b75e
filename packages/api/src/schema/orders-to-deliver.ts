// What a supplier has to do: the orders of its products still awaiting delivery, oldest first.
import type { Prisma } from '@school-licenses/db';
import { visibleOrders } from '../domain/actor.ts';
import { builder } from './builder.ts';
import { DeliveryModeEnum } from './enums.ts';
import { actorOf } from './run.ts';

builder.queryField('ordersToDeliver', (t) =>
  t.prismaConnection({
    type: 'Order',
    cursor: 'id',
    description:
      'Orders of your products awaiting delivery, oldest first (supplier API keys). Deliver DELAYED ones with deliverOrder; send an activation link for ACTIVATION_EMAIL ones. New ones also arrive as order.placed webhooks.',
    authScopes: { supplier: true },
    args: {
      product: t.arg.globalID({ required: false, description: 'Only orders of this product.' }),
      deliveryMode: t.arg({ type: DeliveryModeEnum, required: false, description: 'Only orders delivered this way.' }),
      placedBefore: t.arg({ type: 'DateTime', required: false, description: 'Only orders placed before this moment (e.g. the overdue ones).' }),
    },
    resolve: (query, _root, args, ctx) =>
      ctx.prisma.order.findMany({ ...query, where: ordersToDeliverWhere(args, ctx), orderBy: [{ placedAt: 'asc' }, { id: 'asc' }] }),
    totalCount: (_connection, args, ctx) => ctx.prisma.order.count({ where: ordersToDeliverWhere(args, ctx) }),
  }),
);

function ordersToDeliverWhere(
  args: { product?: { id: string } | null; deliveryMode?: Prisma.OrderWhereInput['deliveryMode'] | null; placedBefore?: Date | null },
  ctx: Parameters<typeof actorOf>[0],
): Prisma.OrderWhereInput {
  return {
    AND: [
      visibleOrders(actorOf(ctx)),
      { status: 'AWAITING_DELIVERY' },
      args.product ? { productId: args.product.id } : {},
      args.deliveryMode ? { deliveryMode: args.deliveryMode } : {},
      args.placedBefore ? { placedAt: { lt: args.placedBefore } } : {},
    ],
  };
}
