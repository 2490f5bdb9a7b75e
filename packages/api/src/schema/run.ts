// The one path from a resolver into the domain: a transaction, the clock, the actor, and the
// idempotency key when the mutation takes one.
//
// A mutation's answer is read in its own transaction, which commits once the answer is complete
// (useAnswerInTransaction). Read after the commit, the answer needed another connection, and on a
// busy pool that wait could fail after the change was made: the client was told of a failure
// that had succeeded. Now the answer's fields cannot fail for want of a connection, and an answer
// that fails all the same rolls its change back, so a client is told success exactly when it
// succeeded. (Exact for one mutation field per operation, as every client here sends.)
import type { Prisma, PrismaClient } from '@school-licenses/db';
import { getOperationAST, type ExecutionResult } from 'graphql';
import { createGraphQLError, type Plugin } from 'graphql-yoga';
import type { Clock } from '../clock.ts';
import type { Actor, Tx } from '../domain/actor.ts';
import { idempotent } from '../domain/idempotency.ts';
import type { Reads } from '../domain/sql.ts';
import { inTransaction } from '../domain/transaction.ts';
import type { Context } from './context.ts';

export function actorOf(ctx: Context): Actor {
  // Unreachable behind the `authenticated` scope every root field has.
  if (!ctx.actor) throw new Error('no actor behind an authenticated scope');
  return ctx.actor;
}

/** The mutation operations in flight: the pool's client, and the transaction whose answer is being read. */
const mutations = new WeakMap<Context, { pool: PrismaClient; open?: (commit: boolean) => Promise<void> }>();

/** Thrown into a transaction whose answer failed, to roll it back. */
const rollBack = Symbol('roll back');

export function runDomain<T>(ctx: Context, work: (tx: Tx, clock: Clock, actor: Actor) => Promise<T>): Promise<T> {
  const actor = actorOf(ctx);
  // Past its time budget, a request (30 aliased mutations, say) starts nothing more.
  if (ctx.deadline !== undefined && performance.now() > ctx.deadline) {
    return Promise.reject(
      createGraphQLError('The request ran out of its time budget: send less in one request.', {
        extensions: { code: 'TIME_BUDGET_EXCEEDED', http: { status: 503, headers: { 'retry-after': '1' } } },
      }),
    );
  }
  const mutation = mutations.get(ctx);
  if (!mutation) return inTransaction(ctx.prisma, (tx) => work(tx, ctx.clock, actor));
  return finishAnswer(ctx, true).then(
    () =>
      new Promise<T>((resolve, reject) => {
        let answering = false;
        let finish!: (commit: boolean) => void;
        const finished = new Promise<boolean>((done) => (finish = done));
        const transaction = inTransaction(mutation.pool, async (tx) => {
          const result = await work(tx, ctx.clock, actor);
          // The answer's fields read through the transaction (builder.ts: `client`).
          ctx.prisma = tx as unknown as PrismaClient;
          answering = true;
          resolve(result);
          if (!(await finished)) throw rollBack;
          return result;
        });
        // A refusal or a failure of the work itself; after resolve() this changes nothing.
        transaction.catch(reject);
        mutation.open = async (commit) => {
          finish(commit);
          try {
            await transaction;
          } catch (error) {
            // Before the answer, the failure was the answer (a typed error, or the field's error).
            if (error !== rollBack && answering) throw error;
          } finally {
            ctx.prisma = mutation.pool;
          }
        };
      }),
  );
}

/**
 * The client Pothos reads through (builder.ts). It keeps one per context, so a mutation's is a
 * stand-in that follows ctx.prisma: the transaction while its answer is read, the pool otherwise.
 */
export function clientOf(ctx: Context): PrismaClient {
  if (!mutations.has(ctx)) return ctx.prisma;
  return new Proxy(ctx.prisma, {
    get: (_target, key) => Reflect.get(ctx.prisma, key),
    has: (_target, key) => Reflect.has(ctx.prisma, key),
  });
}

/**
 * Where a resolver's raw reads run: on the driver (ctx.sql) in a query; in a mutation, through
 * ctx.prisma, so its answer reads its own transaction.
 */
export function readsOf(ctx: Context): Reads {
  return mutations.has(ctx) ? ctx.prisma : ctx.sql;
}

/** Commits (or rolls back) the transaction whose answer was being read, if any. */
async function finishAnswer(ctx: Context, commit: boolean): Promise<void> {
  const mutation = mutations.get(ctx);
  const open = mutation?.open;
  if (!open) return;
  mutation.open = undefined;
  await open(commit);
}

/**
 * Mutations: each one's transaction commits after its answer is complete, and only when the answer
 * has no error; a commit that fails turns the answer into that error.
 */
export function useAnswerInTransaction(onCommitFailed: (error: unknown) => ExecutionResult): Plugin {
  return {
    onExecute: ({ args }) => {
      if (getOperationAST(args.document, args.operationName)?.operation !== 'mutation') return;
      const ctx = args.contextValue as unknown as Context;
      mutations.set(ctx, { pool: ctx.prisma });
      return {
        onExecuteDone: async ({ result, setResult }) => {
          const single = result as ExecutionResult;
          const complete = !single.errors?.length && single.data != null;
          try {
            await finishAnswer(ctx, complete);
            // Rolled back: what the answer shows was not kept.
            if (!complete && single.data != null) setResult({ ...single, data: null });
          } catch (error) {
            setResult(onCommitFailed(error));
          }
        },
      };
    },
  };
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
