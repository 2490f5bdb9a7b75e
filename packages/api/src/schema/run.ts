// The one path from a resolver into the domain: a transaction, the clock, the actor, and the
// idempotency key when the mutation takes one.
import type { Prisma } from '@school-licenses/db';
import type { Clock } from '../clock.ts';
import type { Actor, Tx } from '../domain/actor.ts';
import { idempotent } from '../domain/idempotency.ts';
import { inTransaction } from '../domain/transaction.ts';
import type { Context } from './context.ts';

export function actorOf(ctx: Context): Actor {
  // Unreachable behind the `authenticated` scope every root field has.
  if (!ctx.actor) throw new Error('no actor behind an authenticated scope');
  return ctx.actor;
}

export function runDomain<T>(ctx: Context, work: (tx: Tx, clock: Clock, actor: Actor) => Promise<T>): Promise<T> {
  const actor = actorOf(ctx);
  return inTransaction(ctx.prisma, (tx) => work(tx, ctx.clock, actor));
}

export function runIdempotent<T extends Prisma.InputJsonValue>(
  ctx: Context,
  request: { key: string | null | undefined; operation: string; input: unknown },
  work: (tx: Tx, clock: Clock, actor: Actor) => Promise<T>,
): Promise<T> {
  return runDomain(ctx, (tx, clock, actor) =>
    idempotent(tx, clock.now(), actor, { ...request, ttlHours: ctx.idempotencyTtlHours }, () => work(tx, clock, actor)),
  );
}
