import { visibleLicenses, visibleOrders, visibleUsers } from '../domain/actor.ts';
import { createActivationLink, deliverOrder, placeOrder, redeemActivationLink } from '../domain/orders.ts';
import { builder } from './builder.ts';
import { DeliveryModeEnum, OrderStatusEnum } from './enums.ts';
import { licenseErrors } from './errors.ts';
import { ProductRef } from './product.ts';
import { actorOf, runDomain, runIdempotent } from './run.ts';
import { SchoolRef } from './school.ts';
import { UserRef } from './user.ts';
import { GroupRef } from './group.ts';
import { RenewalOfInput } from './renewal.ts';

export const OrderRef = builder.prismaNode('Order', {
  description: "A school's purchase of licenses of one product, and its delivery.",
  id: { field: 'id' },
  nullable: true,
  findUnique: (id, ctx) => ({ id, AND: [visibleOrders(actorOf(ctx))] }),
  authScopes: { authenticated: true },
  fields: (t) => ({
    school: t.relation('school', { description: 'The school that ordered.' }),
    product: t.relation('product', { description: 'The product ordered.' }),
    quantity: t.exposeInt('quantity', { description: 'How many licenses were ordered.' }),
    deliveryMode: t.expose('deliveryMode', { type: DeliveryModeEnum, description: 'How the licenses are delivered.' }),
    status: t.expose('status', { type: OrderStatusEnum, description: 'Whether the licenses have arrived.' }),
    placedAt: t.expose('placedAt', { type: 'DateTime', description: 'When the order was placed.' }),
    deliveredAt: t.expose('deliveredAt', { type: 'DateTime', nullable: true, description: 'When the licenses arrived.' }),
    preAssignedUsers: t.field({
      type: [UserRef],
      description: 'Users the licenses were assigned to at purchase (direct delivery only).',
      select: (_args, ctx, nested) => ({ preAssignments: { where: { user: visibleUsers(actorOf(ctx)) }, select: { user: nested() } } }),
      resolve: (order) => order.preAssignments.map((p) => p.user),
    }),
    licenses: t.relatedConnection('licenses', {
      cursor: 'id',
      description: 'The licenses the order delivered that are yours to see.',
      // A student reaching the order through their own license sees only that license.
      query: (_args, ctx) => ({ where: visibleLicenses(actorOf(ctx)), orderBy: { id: 'asc' } }),
      totalCount: true,
    }),
  }),
});

const OrderPayload = builder.objectRef<{ orderId: string }>('OrderPayload').implement({
  description: 'The order after the change.',
  fields: (t) => ({
    order: t.prismaField({
      type: 'Order',
      description: 'The order.',
      resolve: (query, { orderId }, _args, ctx) => ctx.prisma.order.findUniqueOrThrow({ ...query, where: { id: orderId } }),
    }),
  }),
});

const PlaceOrderInput = builder.inputType('PlaceOrderInput', {
  description: 'Buy licenses of a product for a school.',
  fields: (t) => ({
    school: t.globalID({ for: SchoolRef, required: true, description: 'The school buying.' }),
    product: t.globalID({ for: ProductRef, required: true, description: 'The product.' }),
    quantity: t.int({ required: true, description: 'How many licenses, 1 to 10,000.' }),
    preAssignTo: t.globalIDList({
      for: UserRef,
      required: false,
      description:
        "Students or teachers to give one of the order's own licenses each on delivery. Direct delivery only; each user once (DUPLICATE_USER otherwise), all or nothing.",
    }),
    reserveFor: t.globalIDList({
      for: UserRef,
      required: false,
      description:
        "Delayed or activation-link delivery: students or teachers, in order, to get one of the order's licenses the moment they arrive (direct delivery: preAssignTo). Each once, at most the quantity.",
    }),
    reserveForGroup: t.globalID({
      for: GroupRef,
      required: false,
      description: "Delayed or activation-link delivery: a group of the school whose student members at delivery get the order's licenses (after reserveFor).",
    }),
    renewalOf: t.field({ type: RenewalOfInput, required: false, description: 'The licenses this order renews (shown on the order and in its events).' }),
    idempotencyKey: t.string({ required: false, description: 'Retries with the same key return the first order.' }),
  }),
});

const OrderInput = builder.inputType('OrderInput', {
  description: 'Names one order.',
  fields: (t) => ({
    order: t.globalID({ for: OrderRef, required: true, description: 'The order.' }),
    idempotencyKey: t.string({ required: false, description: 'Retries with the same key return the first result.' }),
  }),
});

const CreateActivationLinkInput = builder.inputType('CreateActivationLinkInput', {
  description: 'Create the link an activation e-mail carries.',
  fields: (t) => ({
    order: t.globalID({ for: OrderRef, required: true, description: 'An order with ACTIVATION_EMAIL delivery, awaiting delivery.' }),
    validForDays: t.int({ required: false, description: 'How long the link works, 1 to 365 days (default 30).' }),
  }),
});

const ActivationLinkPayload = builder.objectRef<{ token: string; expiresAt: Date; orderId: string }>('ActivationLinkPayload').implement({
  description: 'A new activation link. The token is shown only now: put it in the activation e-mail.',
  fields: (t) => ({
    token: t.exposeString('token', { description: 'The single-use token to pass to redeemActivationLink.' }),
    expiresAt: t.expose('expiresAt', { type: 'DateTime', description: 'When the link stops working.' }),
    order: t.prismaField({
      type: 'Order',
      description: 'The order it delivers.',
      resolve: (query, { orderId }, _args, ctx) => ctx.prisma.order.findUniqueOrThrow({ ...query, where: { id: orderId } }),
    }),
  }),
});

const RedeemActivationLinkInput = builder.inputType('RedeemActivationLinkInput', {
  description: 'Follow an activation link.',
  fields: (t) => ({
    token: t.string({ required: true, description: 'The token from the activation e-mail.' }),
    idempotencyKey: t.string({
      required: false,
      description: 'Retries with the same key return the first result (the delivered order) instead of ACTIVATION_LINK_ALREADY_REDEEMED.',
    }),
  }),
});

builder.mutationFields((t) => ({
  placeOrder: t.field({
    type: OrderPayload,
    description:
      "Buys licenses (school or organisation administrators, read-write integration keys). Direct delivery creates them at once and applies pre-assignments to the order's own licenses; delayed delivery refuses pre-assignments and waits for the supplier.",
    authScopes: { authenticated: true },
    errors: { types: licenseErrors },
    args: { input: t.arg({ type: PlaceOrderInput, required: true, description: 'What to do.' }) },
    resolve: (_root, { input }, ctx) =>
      runIdempotent(ctx, { key: input.idempotencyKey, operation: 'placeOrder', input: { ...input, idempotencyKey: null } }, async (tx, clock, actor) => {
        const order = await placeOrder(tx, clock, actor, {
          schoolId: input.school.id,
          productId: input.product.id,
          quantity: input.quantity,
          preAssignUserIds: input.preAssignTo?.map((user) => user.id) ?? null,
          reserveForUserIds: input.reserveFor?.map((user) => user.id) ?? null,
          reserveForGroupId: input.reserveForGroup?.id ?? null,
          renewalOf: input.renewalOf ? { endDate: input.renewalOf.endDate, groupId: input.renewalOf.group?.id ?? null } : null,
        });
        return { orderId: order.id };
      }),
  }),
  deliverOrder: t.field({
    type: OrderPayload,
    description:
      'The supplier delivers a delayed order: its licenses are created, and every administrator of the school and its organisation is notified (supplier API keys).',
    authScopes: { authenticated: true },
    errors: { types: licenseErrors },
    args: { input: t.arg({ type: OrderInput, required: true, description: 'What to do.' }) },
    resolve: (_root, { input }, ctx) =>
      runIdempotent(ctx, { key: input.idempotencyKey, operation: 'deliverOrder', input: { order: input.order.id } }, async (tx, clock, actor) => {
        const order = await deliverOrder(tx, clock, actor, { orderId: input.order.id });
        return { orderId: order.id };
      }),
  }),
  createActivationLink: t.field({
    type: ActivationLinkPayload,
    description: 'The supplier creates a single-use, expiring activation link for an order (supplier API keys).',
    authScopes: { authenticated: true },
    errors: { types: licenseErrors },
    args: { input: t.arg({ type: CreateActivationLinkInput, required: true, description: 'What to do.' }) },
    resolve: (_root, { input }, ctx) =>
      runDomain(ctx, (tx, clock, actor) => createActivationLink(tx, clock, actor, { orderId: input.order.id, validForDays: input.validForDays ?? null })),
  }),
  redeemActivationLink: t.field({
    type: OrderPayload,
    description:
      "Redeems an activation link: the order's licenses arrive in the school (school or organisation administrators, read-write integration keys). Works once.",
    authScopes: { authenticated: true },
    errors: { types: licenseErrors },
    args: { input: t.arg({ type: RedeemActivationLinkInput, required: true, description: 'What to do.' }) },
    resolve: async (_root, { input }, ctx) => {
      // Only the token's hash goes into the idempotency record (see idempotency.ts).
      return runIdempotent(ctx, { key: input.idempotencyKey, operation: 'redeemActivationLink', input: { token: input.token } }, async (tx, clock, actor) => ({
        orderId: (await redeemActivationLink(tx, clock, actor, { token: input.token })).id,
      }));
    },
  }),
}));
