import type { PrismaClient } from '@school-licenses/db';
import type { Clock } from '../clock.ts';
import type { ActorCheck } from '../auth/authenticate.ts';
import type { Actor } from '../domain/actor.ts';
import { localTime, type LocalTime } from '../domain/days.ts';
import type { SqlRead } from '../domain/sql.ts';
import type { EventHub } from '../events/relay.ts';
import type { WebhookSettings } from '../events/webhooks.ts';

/** What every resolver gets: the database, the clock and who is asking. */
export interface Context {
  prisma: PrismaClient;
  /** The pool's raw reads on the driver itself (Database.sql); resolvers read through readsOf(ctx). */
  sql: SqlRead;
  clock: Clock;
  /** This instance's committed events and notifications, for subscriptions. */
  events: EventHub;
  /** Whether webhook URLs on private addresses are accepted. */
  webhooks: Pick<WebhookSettings, 'allowPrivate'>;
  actor: Actor | null;
  /** A remembered user actor still to be confirmed in this request (auth/confirmed-actor.ts); unset once read. */
  actorCheck?: ActorCheck | undefined;
  /** Hours an idempotency key is remembered. */
  idempotencyTtlHours: number;
  /** The largest file importRoster reads. */
  maxImportFileBytes: number;
  /** The request's id, as in the `x-request-id` response header and the logs. */
  requestId?: string;
  /** performance.now() past which the request starts no more changes (its time budget). */
  deadline?: number;
}

const readMoments = new WeakMap<Context, Date>();

/**
 * The moment a request's answer is read at: one for every field of it, so a page filtered on
 * STARTED licenses cannot show one as EXPIRED, and 1,000 licenses do not ask the clock 2,000
 * times. Taken when the first field asks, so a mutation's payload is read after its change.
 */
export function readMoment(ctx: Context): Date {
  let moment = readMoments.get(ctx);
  if (!moment) readMoments.set(ctx, (moment = ctx.clock.now()));
  return moment;
}

const readTimes = new WeakMap<Context, Map<string, LocalTime>>();

/** The request's moment (readMoment) in a time zone, with the day it is there: once per zone and request. */
export function readTime(ctx: Context, timeZone: string): LocalTime {
  let times = readTimes.get(ctx);
  if (!times) readTimes.set(ctx, (times = new Map()));
  let time = times.get(timeZone);
  if (!time) times.set(timeZone, (time = localTime(readMoment(ctx), timeZone)));
  return time;
}
