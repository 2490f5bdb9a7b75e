// The change feed: every committed change that matters, in commit order, for integrations that
// catch up after being offline. Same events as subscriptions and webhooks (docs/EVENTS.md).
import type { Event, Prisma } from '@school-licenses/db';
import { resolveCursorConnection, type ResolveCursorConnectionArgs } from '@pothos/plugin-relay';
import { createGraphQLError } from 'graphql-yoga';
import { visibleEvents } from '../domain/actor.ts';
import { EVENT_KINDS, enumNameOfKind, type EventKind } from '../events/kinds.ts';
import { cursorOutlivedRetention } from '../events/retention.ts';
import { builder } from './builder.ts';
import { actorOf } from './run.ts';

const KIND_DESCRIPTIONS: Record<EventKind, string> = {
  'license.assigned': 'A license was assigned to a user.',
  'license.revoked': "An administrator revoked a user's license.",
  'license.removed_by_self': 'A teacher gave back their own license.',
  'license.expired': 'An assigned license reached its end date and its assignment ended.',
  'license.auto_started': 'A new license started by itself, 4 months after delivery.',
  'license.moved':
    "An unassigned license moved to another school of the organisation, keeping its dates: one event on each school's side (`data.before.schoolId` → `data.after.schoolId`).",
  'order.placed': 'A school placed an order.',
  'order.delivered': "An order's licenses were delivered.",
  'order.redeemed': "An activation link was redeemed, delivering its order's licenses.",
  'pool.exhausted': 'The last assignable license of a product in a school was taken.',
  'organisation.updated': "The organisation's settings changed (e.g. its graduateLicensePolicy).",
  'school.created': 'A school was added to the organisation.',
  'school.updated': "A school's name, school unit code or external id changed.",
  'school.ended': 'A school was closed: its memberships and groups ended.',
  'user.created': 'A user was added to the organisation.',
  'user.updated': "A user's name, e-mail or external id changed.",
  'user.ended': 'A user left the organisation.',
  'school_membership.started': 'A user joined a school, or came back to it.',
  'school_membership.updated': "A user's role at a school changed.",
  'school_membership.ended': 'A user left a school; their licenses there were revoked (license.revoked).',
  'group.created': 'A class or teaching group was created.',
  'group.updated': 'A class or teaching group changed.',
  'group.ended': 'A class or teaching group ended, and its memberships with it.',
  'group_membership.started': 'A user joined a class or teaching group.',
  'group_membership.updated': "A user's role in a group changed.",
  'group_membership.ended': 'A user left a class or teaching group.',
  'group_license_rule.created': 'A group got a standing rule: its members keep a license of the product.',
  'group_license_rule.ended': "A group's standing rule ended; the licenses it gave stay.",
  'waiting_list.joined': 'A group member could not get a license and joined the waiting list.',
  'waiting_list.served': 'A license became free and went to the first in the waiting list (with license.assigned).',
  'waiting_list.cancelled': 'A waiter left the waiting list: they left the group or school, got a license another way, or the rule ended.',
};

export const EventKindEnum = builder.enumType('EventKind', {
  description: 'What an event tells. In webhooks and `Event.type` it is written in lower case with a dot, e.g. `license.assigned`.',
  values: Object.fromEntries(EVENT_KINDS.map((kind) => [enumNameOfKind(kind), { value: kind, description: KIND_DESCRIPTIONS[kind] }])) as {
    [Name in string]: { value: EventKind; description: string };
  },
});

export const EventRef = builder.prismaNode('Event', {
  description: 'A committed change, as the feed, subscriptions and webhooks tell it. Its `id` is the `webhook-id` of its webhook deliveries.',
  id: { field: 'id' },
  nullable: true,
  findUnique: (id, ctx) => ({ id, AND: [{ position: { not: null } }, visibleEvents(actorOf(ctx))] }),
  authScopes: { authenticated: true },
  fields: (t) => ({
    kind: t.field({ type: EventKindEnum, description: 'What happened.', resolve: (event) => event.kind as EventKind }),
    type: t.exposeString('kind', { description: 'The kind as webhooks write it, e.g. `license.assigned`.' }),
    school: t.globalID({ nullable: true, description: 'The school.', resolve: (e) => (e.schoolId ? { type: 'School', id: e.schoolId } : null) }),
    product: t.globalID({ nullable: true, description: 'The product.', resolve: (e) => (e.productId ? { type: 'Product', id: e.productId } : null) }),
    license: t.globalID({ nullable: true, description: 'The license, if one.', resolve: (e) => (e.licenseId ? { type: 'License', id: e.licenseId } : null) }),
    user: t.globalID({ nullable: true, description: 'The user concerned, if one.', resolve: (e) => (e.userId ? { type: 'User', id: e.userId } : null) }),
    order: t.globalID({ nullable: true, description: 'The order, if one.', resolve: (e) => (e.orderId ? { type: 'Order', id: e.orderId } : null) }),
    actor: t.exposeString('actorLabel', { description: 'Who did it: a user\'s name, an API key\'s name, or "system".' }),
    data: t.field({ type: 'JSON', description: 'The state before and after, as the audit log keeps it.', resolve: (e) => e.data }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it happened.' }),
  }),
});

/** The feed's cursor: base64 of the position, the same on every instance and after restarts. */
export const eventCursor = (event: Pick<Event, 'position'>) => btoa(`event:${event.position}`);

function positionOfCursor(cursor: string | null | undefined): bigint | undefined {
  if (cursor == null) return undefined;
  const match = /^event:(\d{1,19})$/.exec(safeAtob(cursor));
  if (!match) throw createGraphQLError('Not a cursor of the event feed.', { extensions: { code: 'INVALID_INPUT', field: 'after' } });
  return BigInt(match[1]!);
}

function safeAtob(text: string): string {
  try {
    return atob(text);
  } catch {
    return '';
  }
}

builder.queryField('events', (t) =>
  t.connection({
    type: EventRef,
    description:
      'The change feed: committed changes you may see, oldest first, in commit order. Keep the last `endCursor` and pass it as `after` to catch up; cursors stay valid across restarts and instances. ' +
      'The feed keeps events for EVENT_RETENTION_DAYS (30 by default): a cursor older than that fails with the code CURSOR_EXPIRED, and the client must resync.',
    args: {
      kinds: t.arg({ type: [EventKindEnum], required: false, description: 'Only these kinds.' }),
      school: t.arg.globalID({ required: false, description: 'Only events of this school.' }),
      product: t.arg.globalID({ required: false, description: 'Only events of this product.' }),
      since: t.arg({ type: 'DateTime', required: false, description: 'Only events that happened at or after this moment.' }),
    },
    resolve: (_root, args, ctx) =>
      resolveCursorConnection({ args, toCursor: eventCursor }, async ({ before, after, limit, inverted }: ResolveCursorConnectionArgs) => {
        const from = positionOfCursor(after);
        if (from !== undefined && (await cursorOutlivedRetention(ctx.prisma, actorOf(ctx), from))) {
          throw createGraphQLError(
            'The cursor is older than the feed keeps events (EVENT_RETENTION_DAYS): events after it are gone. Resync: read the current state, then follow the feed from its end (page to its last endCursor without handling those events).',
            { extensions: { code: 'CURSOR_EXPIRED', field: 'after' } },
          );
        }
        const where: Prisma.EventWhereInput = {
          AND: [
            visibleEvents(actorOf(ctx)),
            { position: { not: null, gt: from, lt: positionOfCursor(before) } },
            args.kinds ? { kind: { in: args.kinds } } : {},
            args.school ? { schoolId: args.school.id } : {},
            args.product ? { productId: args.product.id } : {},
            args.since ? { createdAt: { gte: args.since } } : {},
          ],
        };
        return ctx.prisma.event.findMany({ where, orderBy: { position: inverted ? 'desc' : 'asc' }, take: limit });
      }),
  }),
);
