// Webhook endpoints of organisations and suppliers, their delivery log, and replay (events/webhooks.ts).
import { WebhookDeliveryStatus, type WebhookEndpoint } from '@school-licenses/db';
import { createWebhookEndpoint, deleteWebhookEndpoint, ownedEndpoints, replayWebhookDelivery } from '../events/webhooks.ts';
import type { EventKind } from '../events/kinds.ts';
import { builder } from './builder.ts';
import { licenseErrors } from './errors.ts';
import { EventKindEnum } from './event.ts';
import { actorOf, runDomain } from './run.ts';

const WebhookDeliveryStatusEnum = builder.enumType(WebhookDeliveryStatus, {
  name: 'WebhookDeliveryStatus',
  description: 'PENDING: not delivered yet (see nextAttemptAt); DELIVERED: the endpoint answered 2xx; FAILED: given up after the last retry.',
});

export const WebhookEndpointRef = builder.prismaNode('WebhookEndpoint', {
  description: 'A URL your events are POSTed to, signed by the Standard Webhooks scheme.',
  id: { field: 'id' },
  nullable: true,
  findUnique: (id, ctx) => ({ id, AND: [ownedEndpoints(actorOf(ctx))] }),
  authScopes: { authenticated: true },
  fields: (t) => ({
    url: t.exposeString('url', { description: 'Where events are POSTed.' }),
    kinds: t.field({
      type: [EventKindEnum],
      description: 'The kinds it receives; empty: every kind you may see.',
      resolve: (endpoint) => endpoint.kinds as EventKind[],
    }),
    enabled: t.boolean({
      description: 'False once switched off: after sustained failure, or when the API key that registered it was revoked (disabledReason says which).',
      resolve: (endpoint) => endpoint.disabledAt === null,
    }),
    disabledAt: t.expose('disabledAt', { type: 'DateTime', nullable: true, description: 'When it was switched off.' }),
    disabledReason: t.exposeString('disabledReason', { nullable: true, description: 'Why it was switched off.' }),
    failuresInRow: t.exposeInt('failuresInRow', { description: 'Failed attempts since the last success.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it was registered.' }),
    deliveries: t.relatedConnection('deliveries', {
      cursor: 'id',
      description: 'The delivery log, newest first.',
      query: () => ({ orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] }),
      totalCount: true,
    }),
  }),
});

const WebhookDeliveryRef = builder.prismaNode('WebhookDelivery', {
  description: 'One event sent to one endpoint: its attempts, its last answer and its next retry.',
  id: { field: 'id' },
  nullable: true,
  findUnique: (id, ctx) => ({ id, endpoint: ownedEndpoints(actorOf(ctx)) }),
  authScopes: { authenticated: true },
  fields: (t) => ({
    event: t.relation('event', { description: 'The event sent; its id is the `webhook-id` header.' }),
    status: t.expose('status', { type: WebhookDeliveryStatusEnum, description: 'Where the delivery stands.' }),
    attempts: t.exposeInt('attempts', { description: 'How many times it was sent.' }),
    nextAttemptAt: t.expose('nextAttemptAt', { type: 'DateTime', nullable: true, description: 'When it is sent next, while PENDING.' }),
    lastAttemptAt: t.expose('lastAttemptAt', { type: 'DateTime', nullable: true, description: 'When it was last sent.' }),
    lastStatusCode: t.exposeInt('lastStatusCode', { nullable: true, description: "The endpoint's last HTTP status, if it answered." }),
    lastError: t.exposeString('lastError', { nullable: true, description: 'Why the last attempt failed.' }),
    deliveredAt: t.expose('deliveredAt', { type: 'DateTime', nullable: true, description: 'When the endpoint accepted it.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When the event was published.' }),
  }),
});

builder.queryField('webhookEndpoints', (t) =>
  t.prismaConnection({
    type: 'WebhookEndpoint',
    cursor: 'id',
    description: "Your organisation's (administrators, read-write integrations) or supplier's webhook endpoints.",
    resolve: (query, _root, _args, ctx) => ctx.prisma.webhookEndpoint.findMany({ ...query, where: ownedEndpoints(actorOf(ctx)), orderBy: { id: 'asc' } }),
    totalCount: (_connection, _args, ctx) => ctx.prisma.webhookEndpoint.count({ where: ownedEndpoints(actorOf(ctx)) }),
  }),
);

const CreateWebhookEndpointInput = builder.inputType('CreateWebhookEndpointInput', {
  description: 'A URL to POST events to.',
  fields: (t) => ({
    url: t.string({ required: true, description: 'An https (or http) URL on a public address.' }),
    kinds: t.field({ type: [EventKindEnum], required: false, description: 'Only these kinds; all you may see when left out.' }),
  }),
});

const CreateWebhookEndpointPayload = builder.objectRef<{ endpoint: WebhookEndpoint }>('CreateWebhookEndpointPayload').implement({
  description: 'The endpoint and its signing secret.',
  fields: (t) => ({
    endpoint: t.field({ type: WebhookEndpointRef, nullable: false, description: 'The endpoint.', resolve: (p) => p.endpoint }),
    secret: t.string({
      description: 'The signing secret (whsec_...), shown only now: verify each delivery with it (Standard Webhooks).',
      resolve: (p) => p.endpoint.secret,
    }),
  }),
});

const WebhookEndpointInput = builder.inputType('WebhookEndpointInput', {
  description: 'One of your webhook endpoints.',
  fields: (t) => ({ endpoint: t.globalID({ for: WebhookEndpointRef, required: true, description: 'The endpoint.' }) }),
});

const DeleteWebhookEndpointPayload = builder.objectRef<{ id: string }>('DeleteWebhookEndpointPayload').implement({
  description: 'The endpoint was deleted with its delivery log.',
  fields: (t) => ({
    deletedEndpointId: t.globalID({ description: 'The deleted endpoint.', resolve: (p) => ({ type: 'WebhookEndpoint', id: p.id }) }),
  }),
});

const ReplayWebhookDeliveryInput = builder.inputType('ReplayWebhookDeliveryInput', {
  description: 'A delivery to send again.',
  fields: (t) => ({ delivery: t.globalID({ for: WebhookDeliveryRef, required: true, description: 'The delivery.' }) }),
});

const ReplayWebhookDeliveryPayload = builder.objectRef<{ deliveryId: string }>('ReplayWebhookDeliveryPayload').implement({
  description: 'The delivery, due again now.',
  fields: (t) => ({
    delivery: t.prismaField({
      type: 'WebhookDelivery',
      description: 'The delivery.',
      resolve: (query, { deliveryId }, _args, ctx) => ctx.prisma.webhookDelivery.findUniqueOrThrow({ ...query, where: { id: deliveryId } }),
    }),
  }),
});

builder.mutationFields((t) => ({
  createWebhookEndpoint: t.field({
    type: CreateWebhookEndpointPayload,
    description: 'Registers a webhook endpoint (organisation administrators, read-write integrations, suppliers).',
    errors: { types: licenseErrors },
    args: { input: t.arg({ type: CreateWebhookEndpointInput, required: true, description: 'What to do.' }) },
    resolve: async (_root, { input }, ctx) => ({
      endpoint: await runDomain(ctx, (tx, clock, actor) => createWebhookEndpoint(tx, clock, actor, { url: input.url, kinds: input.kinds ?? [] }, ctx.webhooks)),
    }),
  }),
  deleteWebhookEndpoint: t.field({
    type: DeleteWebhookEndpointPayload,
    description: 'Deletes one of your webhook endpoints and its delivery log.',
    errors: { types: licenseErrors },
    args: { input: t.arg({ type: WebhookEndpointInput, required: true, description: 'What to do.' }) },
    resolve: async (_root, { input }, ctx) => ({
      id: await runDomain(ctx, (tx, clock, actor) => deleteWebhookEndpoint(tx, clock, actor, { endpointId: input.endpoint.id })),
    }),
  }),
  replayWebhookDelivery: t.field({
    type: ReplayWebhookDeliveryPayload,
    description: 'Sends a delivery again now, whatever its status; on a switched-off endpoint this switches it back on.',
    errors: { types: licenseErrors },
    args: { input: t.arg({ type: ReplayWebhookDeliveryInput, required: true, description: 'What to do.' }) },
    resolve: async (_root, { input }, ctx) => ({
      deliveryId: (await runDomain(ctx, (tx, clock, actor) => replayWebhookDelivery(tx, clock, actor, { deliveryId: input.delivery.id }))).id,
    }),
  }),
}));
