// Retention of the change feed: events older than the retention period whose every webhook
// delivery was delivered are pruned (a sweep step), oldest first and without leaving a gap below
// an event kept, and a reader whose cursor is older than what was pruned from its feed is told to
// resync instead of silently missing events.
import type { PrismaClient } from '@school-licenses/db';
import type { Clock } from '../clock.ts';
import type { Actor, Tx } from '../domain/actor.ts';
import { inTransaction } from '../domain/transaction.ts';
import { SUPPLIER_EVENT_KINDS } from './kinds.ts';

/** How long the feed keeps events, unless EVENT_RETENTION_DAYS says otherwise. */
export const DEFAULT_EVENT_RETENTION_DAYS = 30;
const BATCH = 1_000;

/** Whose feed an event is in: its organisation's, and its supplier's for suppliers' kinds (SUPPLIER_EVENT_KINDS). */
const organisationScope = (organisationId: string) => `organisation:${organisationId}`;
const supplierScope = (supplierId: string) => `supplier:${supplierId}`;

/** One pruning at a time (a transaction-scoped advisory lock): "retain" in ASCII. */
const RETENTION_LOCK = 0x72657461696en;

/**
 * Deletes the events older than `retentionDays` that no webhook endpoint still waits for (every
 * delivery of them DELIVERED), with their delivery log, and raises each feed's horizon to the
 * highest position pruned from it. Each feed (an organisation's; a supplier's order events) is
 * pruned from its oldest event on and never past one it keeps: an event an endpoint waits for
 * keeps the later events of its feeds, and the first event not older than the cutoff keeps every
 * later one (an event recorded with an older moment can be numbered after it). So no kept event
 * is ever below its feed's horizon, and every cursor the feed hands out can be followed. The
 * newest event always stays: the relay numbers after it. Returns how many events it pruned. On
 * several instances at once, one prunes and the others skip (0).
 */
export async function pruneEvents(prisma: PrismaClient, clock: Clock, options: { retentionDays: number }): Promise<number> {
  const cutoff = new Date(clock.now().getTime() - options.retentionDays * 86_400_000);
  const held = new Set<string>();
  let pruned = 0;
  let after = 0n;
  for (;;) {
    const batch = await inTransaction(prisma, (tx) => pruneBatch(tx, cutoff, clock.now(), held, after));
    if (!batch) return pruned;
    pruned += batch.pruned;
    after = batch.through;
    if (batch.read < BATCH) return pruned;
  }
}

/**
 * Reads the next events in feed order, up to the first one that is not older than the cutoff (or
 * the newest), and deletes each that no endpoint waits for unless an event kept before it is in
 * one of its feeds (`held`, carried from batch to batch). Null when another instance is pruning.
 */
async function pruneBatch(
  tx: Tx,
  cutoff: Date,
  now: Date,
  held: Set<string>,
  after: bigint,
): Promise<{ pruned: number; read: number; through: bigint } | null> {
  const [lock] = await tx.$queryRaw<{ locked: boolean }[]>`SELECT pg_try_advisory_xact_lock(${RETENTION_LOCK}) AS locked`;
  if (!lock?.locked) return null;
  const events = await tx.$queryRaw<{ id: string; position: bigint; organisationId: string; supplierId: string | null; awaited: boolean }[]>`
    SELECT e.id, e.position, e."organisationId"::text AS "organisationId",
      CASE WHEN e.kind = ANY(${[...SUPPLIER_EVENT_KINDS]}::text[]) THEN e."supplierId"::text END AS "supplierId",
      EXISTS (SELECT 1 FROM "WebhookDelivery" d WHERE d."eventId" = e.id AND d.status <> 'DELIVERED') AS awaited
    FROM "Event" e
    WHERE e.position > ${after}
      AND e.position < LEAST((SELECT max(position) FROM "Event"), (SELECT min(position) FROM "Event" WHERE "createdAt" >= ${cutoff}))
    ORDER BY e.position LIMIT ${BATCH}`;
  if (events.length === 0) return null;
  const doomed: typeof events = [];
  for (const event of events) {
    const feeds = [organisationScope(event.organisationId), ...(event.supplierId ? [supplierScope(event.supplierId)] : [])];
    if (!event.awaited && !feeds.some((feed) => held.has(feed))) doomed.push(event);
    else for (const feed of feeds) held.add(feed);
  }
  const result = { pruned: doomed.length, read: events.length, through: BigInt(events.at(-1)!.position) };
  if (doomed.length === 0) return result;
  // Deliveries reference events (ON DELETE RESTRICT): they go first, in their own statement.
  const ids = doomed.map((event) => event.id);
  await tx.webhookDelivery.deleteMany({ where: { eventId: { in: ids } } });
  await tx.event.deleteMany({ where: { id: { in: ids } } });
  const horizons = new Map<string, bigint>();
  const raise = (scope: string, position: bigint) => horizons.set(scope, (horizons.get(scope) ?? 0n) > position ? horizons.get(scope)! : position);
  for (const event of doomed) {
    raise(organisationScope(event.organisationId), BigInt(event.position));
    if (event.supplierId) raise(supplierScope(event.supplierId), BigInt(event.position));
  }
  await tx.$executeRaw`
    INSERT INTO "EventFeedHorizon" (scope, "prunedThrough", "updatedAt")
    SELECT h.scope, h.position, ${now} FROM unnest(${[...horizons.keys()]}::text[], ${[...horizons.values()].map(String)}::text[]::bigint[]) AS h(scope, position)
    ON CONFLICT (scope) DO UPDATE SET "prunedThrough" = GREATEST("EventFeedHorizon"."prunedThrough", EXCLUDED."prunedThrough"), "updatedAt" = EXCLUDED."updatedAt"`;
  return result;
}

/**
 * True when events after `position` were pruned from the actor's feed: its cursor is older than
 * the feed's retention, and the client must resync (read the current state, then follow the feed
 * from its end). Never true of a cursor the feed hands out now: nothing it keeps is below its horizon.
 */
export async function cursorOutlivedRetention(prisma: PrismaClient | Tx, actor: Actor, position: bigint): Promise<boolean> {
  const scope = actor.kind === 'supplier' ? supplierScope(actor.supplierId) : 'organisationId' in actor ? organisationScope(actor.organisationId) : null;
  if (!scope) return false;
  const horizon = await prisma.eventFeedHorizon.findUnique({ where: { scope }, select: { prunedThrough: true } });
  return !!horizon && position < horizon.prunedThrough;
}
