// A user token's or API key's actor as its last request read it, confirmed during the request
// instead of read before it (BENCHMARKS.md, "Thirteenth session: fewer round trips"): a query's
// folded reads select the credential's row in their own statement (the check's rowSql), so a
// query such as availability or an LMS's entitlement check is one statement; any query whose
// reads did not confirm it reads the row after its execution, before its answer is sent. An
// answer computed with an actor that changed is thrown away: the query runs again with the actor
// read (queries change nothing), or the request is refused when the user is gone or has left, or
// the key was revoked. Mutations and subscriptions read the row before they start, as before.
import { getOperationAST, type ExecutionResult } from 'graphql';
import { createGraphQLError, type Plugin } from 'graphql-yoga';
import type { Reads, Viewer } from '../domain/sql.ts';
import type { Context } from '../schema/context.ts';
import type { Actor } from '../domain/actor.ts';
import { AuthenticationError, readActor, sameActor, settleActor, type ActorCheck } from './authenticate.ts';

/** 401, as a refused credential is answered when the context is built (yoga.ts). */
function refusal(message: string): ExecutionResult {
  return { errors: [createGraphQLError(message, { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } })] };
}

/** The actor read now; null with the refusal when the user is gone or has left, or the key was revoked. */
async function readNow(reads: Reads, check: ActorCheck): Promise<{ actor: Actor } | { refused: string }> {
  try {
    const actor = await readActor(reads, check);
    check.remember(actor);
    return { actor };
  } catch (error) {
    if (error instanceof AuthenticationError) {
      check.remember(null);
      return { refused: error.message };
    }
    throw error;
  }
}

/** The remembered actor of a request, from its check: the expiry of the token kept. */
const withExpiry = (ctx: Context, actor: Actor): Actor =>
  ctx.actor?.kind === 'user' && ctx.actor.expiresAt && actor.kind === 'user' ? { ...actor, expiresAt: ctx.actor.expiresAt } : actor;

export function useConfirmedActor(reads: Reads): Plugin {
  const before = async (ctx: Context, stop: (result: ExecutionResult) => void) => {
    const check = ctx.actorCheck!;
    ctx.actorCheck = undefined;
    const read = await readNow(reads, check);
    if ('refused' in read) stop(refusal(read.refused));
    else ctx.actor = withExpiry(ctx, read.actor);
  };
  return {
    onSubscribe: async ({ args, setResultAndStopExecution }) => {
      const ctx = args.contextValue as unknown as Context;
      if (ctx.actorCheck) await before(ctx, setResultAndStopExecution as (result: ExecutionResult) => void);
    },
    // Not async: a query's check wraps its execution, and only a change waits here (a promise per request otherwise).
    onExecute: ({ args, executeFn, setExecuteFn, setResultAndStopExecution }) => {
      const ctx = args.contextValue as unknown as Context;
      const check = ctx.actorCheck;
      if (!check) return;
      // A change is made by the actor as it is now.
      if (getOperationAST(args.document, args.operationName)?.operation !== 'query') return before(ctx, setResultAndStopExecution);
      setExecuteFn(async (executeArgs) => {
        const result = await executeFn(executeArgs);
        if (check.state === 'confirmed') return result;
        if (check.state === 'unconfirmed') {
          const read = await readNow(reads, check);
          if ('refused' in read) return refusal(read.refused);
          if (ctx.actor && sameActor(ctx.actor, read.actor)) return result;
          check.fresh = read.actor;
        } else if (!check.fresh) {
          check.remember(null);
          return refusal(check.refusal ?? 'The token names no known user.');
        } else {
          check.remember(check.fresh);
        }
        // Run again, with the actor as read, in a context of its own (no loader keeps the first run's reads).
        const fresh: Context = { ...ctx, actor: withExpiry(ctx, check.fresh!), actorCheck: undefined };
        return executeFn({ ...executeArgs, contextValue: fresh });
      });
    },
  };
}

const VIEWER = 'viewer.';

/**
 * The request's remembered actor when a read can confirm it in its own statement (readRowsAs): a
 * query's user or key actor not read yet in this request.
 */
export function viewerToConfirm(ctx: Context): Viewer | undefined {
  const check = ctx.actorCheck;
  const remembered = ctx.actor;
  if (check?.state !== 'unconfirmed' || !remembered) return undefined;
  return { rowSql: check.rowSql(VIEWER), seen: (row) => settleActor(check, row, remembered, VIEWER) };
}
