// Retention of the change feed: events older than the retention period whose every webhook
// delivery was delivered are pruned (a sweep step), and a reader whose cursor is older than what
// was pruned from its feed is told to resync instead of silently missing events.
import type { PrismaClient } from '@school-licenses/db';
import type { Clock } from '../clock.ts';
import type { Actor, Tx } from '../domain/actor.ts';
import { inTransaction } from '../domain/transaction.ts';

/** How long the feed keeps events, unless EVENT_RETENTION_DAYS says otherwise. */
export const DEFAULT_EVENT_RETENTION_DAYS = 30;
const BATCH = 1_000;

/** Whose feed an event is in: its organisation's, and its supplier's for suppliers' kinds. */
const organisationScope = (organisationId: string) => `organisation:${organisationId}`;
const supplierScope = (supplierId: string) => `supplier:${supplierId}`;

/**
 * Deletes the events older than `retentionDays` that no webhook endpoint still waits for (every
 * delivery of them DELIVERED), with their delivery log, and raises each feed's horizon to the
 * highest position pruned from it. The newest event always stays: the relay numbers after it.
 * Returns how many events it pruned. Safe on several instances at once (SKIP LOCKED).
 */
export async function pruneEvents(prisma: PrismaClient, clock: Clock, options: { retentionDays: number }): Promise<number> {
  const cutoff = new Date(clock.now().getTime() - options.retentionDays * 86_400_000);
  let pruned = 0;
  for (;;) {
    const count = await inTransaction(prisma, (tx) => pruneBatch(tx, cutoff, clock.now()));
    pruned += count;
    if (count < BATCH) return pruned;
  }
}

async function pruneBatch(tx: Tx, cutoff: Date, now: Date): Promise<number> {
  // Deliveries reference events (ON DELETE RESTRICT): they go first, in their own statement.
  const doomed = await tx.$queryRaw<{ id: string; position: bigint; organisationId: string; supplierId: string | null }[]>`
    SELECT e.id, e.position, e."organisationId"::text AS "organisationId", e."supplierId"::text AS "supplierId" FROM "Event" e
    WHERE e.position IS NOT NULL AND e."createdAt" < ${cutoff}
      AND e.position < (SELECT max(position) FROM "Event")
      AND NOT EXISTS (SELECT 1 FROM "WebhookDelivery" d WHERE d."eventId" = e.id AND d.status <> 'DELIVERED')
    ORDER BY e.position LIMIT ${BATCH}
    FOR UPDATE OF e SKIP LOCKED`;
  if (doomed.length === 0) return 0;
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
  return doomed.length;
}

/**
 * True when events after `position` may have been pruned from the actor's feed: its cursor is
 * older than the feed's retention, and the client must resync (read the current state, then
 * follow the feed from the start of what is kept).
 */
export async function cursorOutlivedRetention(prisma: PrismaClient | Tx, actor: Actor, position: bigint): Promise<boolean> {
  const scope = actor.kind === 'supplier' ? supplierScope(actor.supplierId) : 'organisationId' in actor ? organisationScope(actor.organisationId) : null;
  if (!scope) return false;
  const horizon = await prisma.eventFeedHorizon.findUnique({ where: { scope }, select: { prunedThrough: true } });
  return !!horizon && position < horizon.prunedThrough;
}
