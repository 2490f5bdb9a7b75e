// Gives committed events their place in the feed, then tells every API instance.
//
// A bigserial is not commit order: a transaction can take id 7, another id 8 and commit first, and
// a reader that saw 8 would skip 7 for ever. So events are written without a position, and the
// relay numbers them after they committed, one relay at a time (an advisory lock), each run after
// the last: a position is only ever given above every position already visible. See docs/EVENTS.md.
import type { Database, Event, PrismaClient } from '@school-licenses/db';
import { createPubSub } from 'graphql-yoga';
import type { Clock } from '../clock.ts';
import type { Tx } from '../domain/actor.ts';
import { inTransaction } from '../domain/transaction.ts';
import { SUPPLIER_EVENT_KINDS } from './kinds.ts';
import { notifyPoolExhausted } from './notices.ts';

/** NOTIFY channels: written by triggers (migration events_outbox_webhooks) and by the relay. */
export const CHANNELS = {
  /** Events committed without a position yet. */
  pending: 'event_pending',
  /** Events got positions up to the payload. */
  published: 'event_published',
  /** A notification committed: payload `<userId>:<notificationId>`. */
  notification: 'notification_created',
  /** An API key was revoked: payload its credential id (domain/api-credentials.ts). */
  credentialRevoked: 'credential_revoked',
  /**
   * A user left the organisation or a school (domain/roster.ts, notifyUsersChanged): payload their
   * id. Their subscriptions read their actor again and end when it no longer holds.
   */
  userChanged: 'user_changed',
} as const;

/** Any number fits in a bigint lock key; this one is "events" in ASCII. */
const RELAY_LOCK = 0x6576656e7473n;
const BATCH = 1_000;

/** What every subscription of this instance listens to. */
export type EventHub = ReturnType<typeof createEventHub>;

export function createEventHub() {
  return createPubSub<{
    event: [Event];
    notification: [userId: string, notificationId: string];
    credentialRevoked: [credentialId: string, revoked: true];
    userChanged: [userId: string, changed: true];
  }>();
}

/**
 * Tells every instance, when the transaction commits, that these users' access changed (they
 * left the organisation, or a school; users or memberships): their open subscriptions read their
 * actor again. One statement whatever the number; PostgreSQL folds repeats of a user within a transaction.
 */
export async function notifyUsersChanged(tx: Tx, users: ({ id: string } | { userId: string })[]): Promise<void> {
  if (users.length === 0) return;
  const userIds = users.map((user) => ('userId' in user ? user.userId : user.id));
  await tx.$executeRaw`SELECT pg_notify(${CHANNELS.userChanged}, id) FROM unnest(${[...new Set(userIds)]}::text[]) AS id`;
}

/**
 * Numbers up to BATCH committed events in the order they were written, creates their webhook
 * deliveries and notifications, and NOTIFYs the last position. Returns how many it numbered (0
 * also when another relay is numbering at this moment).
 */
export async function publishPendingEvents(prisma: PrismaClient, clock: Clock): Promise<number> {
  return inTransaction(prisma, async (tx) => {
    // Another instance numbering now will number these too: every instance is told of every
    // commit and runs again after it. So none waits for the lock holding a connection.
    const [lock] = await tx.$queryRaw<{ locked: boolean }[]>`SELECT pg_try_advisory_xact_lock(${RELAY_LOCK}) AS locked`;
    if (!lock?.locked) return 0;
    const numbered = await tx.$queryRaw<{ position: bigint }[]>`
      WITH top AS (SELECT COALESCE(MAX(position), 0) AS last FROM "Event"),
      pending AS (
        SELECT id, row_number() OVER (ORDER BY "insertOrder") AS n FROM "Event"
        WHERE position IS NULL ORDER BY "insertOrder" LIMIT ${BATCH}
      )
      UPDATE "Event" e SET position = top.last + pending.n FROM top, pending
      WHERE e.id = pending.id
      RETURNING e.position`;
    if (numbered.length === 0) return 0;
    const positions = numbered.map((row) => BigInt(row.position));
    // biome-ignore lint/complexity/useMathMinMax: positions are bigints, which Math.min does not take.
    const from = positions.reduce((a, b) => (a < b ? a : b));
    // biome-ignore lint/complexity/useMathMinMax: likewise.
    const to = positions.reduce((a, b) => (a > b ? a : b));
    await createDeliveries(tx, from, to, clock.now());
    await notifyPoolExhausted(tx, from, to, clock.now());
    await tx.$executeRaw`SELECT pg_notify(${CHANNELS.published}, ${to.toString()})`;
    return numbered.length;
  });
}

/** One delivery per event and enabled endpoint that wants it, due now. */
async function createDeliveries(tx: Tx, from: bigint, to: bigint, now: Date): Promise<void> {
  await tx.$executeRaw`
    INSERT INTO "WebhookDelivery" (id, "endpointId", "eventId", "nextAttemptAt", "createdAt")
    SELECT gen_random_uuid(), w.id, e.id, ${now}, ${now}
    FROM "Event" e JOIN "WebhookEndpoint" w
      ON w."disabledAt" IS NULL
      AND (w."organisationId" = e."organisationId"
        OR (w."supplierId" = e."supplierId" AND e.kind = ANY(${[...SUPPLIER_EVENT_KINDS]}::text[])))
      AND (cardinality(w.kinds) = 0 OR e.kind = ANY(w.kinds))
    WHERE e.position BETWEEN ${from} AND ${to}
    ORDER BY e.position
    ON CONFLICT DO NOTHING`;
}

export interface EventRelayOptions {
  database: Pick<Database, 'listen'>;
  prisma: PrismaClient;
  clock: Clock;
  hub: EventHub;
  /** Also look without being told this often, for notifications lost with a connection. */
  pollMs?: number;
  onError?: (error: unknown) => void;
  /** Told after events were published to this instance's subscribers (the webhook worker). */
  onPublished?: () => void;
}

/**
 * Runs in every API instance: numbers committed events when told of them (or by the poll), and
 * hands every newly numbered event to this instance's subscriptions, in order.
 */
export class EventRelay {
  private readonly stops: (() => Promise<void>)[] = [];
  private timer: NodeJS.Timeout | undefined;
  private lastSeen = 0n;
  private readonly publishing = serially(
    () => this.publishAll(),
    (error) => this.options.onError?.(error),
  );
  private readonly reading = serially(
    () => this.readNew(),
    (error) => this.options.onError?.(error),
  );

  private readonly options: EventRelayOptions;

  constructor(options: EventRelayOptions) {
    this.options = options;
  }

  async start(): Promise<void> {
    const { database, prisma, hub } = this.options;
    const last = await prisma.event.aggregate({ _max: { position: true } });
    this.lastSeen = last._max.position ?? 0n;
    this.stops.push(await database.listen(CHANNELS.pending, () => this.publishing()));
    this.stops.push(await database.listen(CHANNELS.published, () => this.reading()));
    this.stops.push(
      await database.listen(CHANNELS.notification, (payload) => {
        const [userId, notificationId] = payload.split(':');
        if (userId && notificationId) hub.publish('notification', userId, notificationId);
      }),
    );
    this.stops.push(await database.listen(CHANNELS.credentialRevoked, (credentialId) => hub.publish('credentialRevoked', credentialId, true)));
    this.stops.push(await database.listen(CHANNELS.userChanged, (userId) => hub.publish('userChanged', userId, true)));
    this.timer = setInterval(() => {
      this.publishing();
      this.reading();
    }, this.options.pollMs ?? 1_000);
    this.timer.unref();
    this.publishing();
  }

  /** Numbers what is pending now; resolves when done (tests and the benchmark wait on it). */
  flush(): Promise<void> {
    return this.publishing().then(() => this.reading());
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    for (const stop of this.stops.splice(0)) await stop();
  }

  private async publishAll(): Promise<void> {
    while ((await publishPendingEvents(this.options.prisma, this.options.clock)) === BATCH);
  }

  private async readNew(): Promise<void> {
    for (;;) {
      const events = await this.options.prisma.event.findMany({
        where: { position: { gt: this.lastSeen } },
        orderBy: { position: 'asc' },
        take: BATCH,
      });
      for (const event of events) this.options.hub.publish('event', event);
      if (events.length) {
        this.lastSeen = events.at(-1)!.position!;
        this.options.onPublished?.();
      }
      if (events.length < BATCH) return;
    }
  }
}

/**
 * Runs `work` one at a time: a call while it runs asks for one more run after it, and every
 * caller's promise resolves after a run that started after the call.
 */
function serially(work: () => Promise<void>, onError: (error: unknown) => void = () => {}): () => Promise<void> {
  let running: Promise<void> | null = null;
  let next: Promise<void> | null = null;
  const run = (): Promise<void> => {
    running = work()
      .catch(onError)
      .finally(() => (running = null));
    return running;
  };
  return () => {
    if (!running) return run();
    next ??= running.then(() => {
      next = null;
      return run();
    });
    return next;
  };
}
