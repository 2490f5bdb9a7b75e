import type { PrismaClient } from '@school-licenses/db';
import type { Clock } from '../clock.ts';
import type { Actor } from '../domain/actor.ts';

/** What every resolver gets: the database, the clock and who is asking. */
export interface Context {
  prisma: PrismaClient;
  clock: Clock;
  actor: Actor | null;
  /** Hours an idempotency key is remembered. */
  idempotencyTtlHours: number;
  /** The request's id, as in the `x-request-id` response header and the logs. */
  requestId?: string;
}
