// Live updates over Server-Sent Events (yoga's graphql-sse transport), fed by this instance's
// event relay (events/relay.ts). Each subscription is authorized like the query it mirrors.
import { createGraphQLError, filter, map, pipe, Repeater } from 'graphql-yoga';
import { AuthenticationError, sameActor, userActor } from '../auth/authenticate.ts';
import type { Actor } from '../domain/actor.ts';
import { builder } from './builder.ts';
import type { Context } from './context.ts';
import { NotificationRef } from './notification.ts';
import { actorOf } from './run.ts';
import { availabilityOf, LicenseAvailabilityRef, loadSchoolProduct } from './school-product.ts';

builder.subscriptionType({
  description: 'Live updates, sent as Server-Sent Events (GraphQL over SSE). Every field needs a token, as queries do.',
  authScopes: { authenticated: true },
});

/** A subscription's context lives as long as it; each update is read as a request of its own. */
const freshRead = (ctx: Context): Context => ({ ...ctx });

/** The longest setTimeout delay; a later expiry is checked again then. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * A subscription lives no longer than its credential. When the user token's `exp` passes, the
 * stream ends with a TOKEN_EXPIRED error (checked by a timer, and again before each update), and
 * the client subscribes again with a fresh token. When the API key it was opened with is revoked
 * (on any instance: the revocation's NOTIFY reaches every one), it ends with CREDENTIAL_REVOKED.
 * When its user leaves the organisation or a school (roster.ts NOTIFYs user_changed, which
 * reaches every instance), it reads the user's actor again, once per notification, not per
 * update: a user who left ends it with UNAUTHENTICATED, a user who may no longer see what it
 * sends (`stillAllowed`, asked with the actor as read) with FORBIDDEN. No update is sent while
 * such a read is under way.
 */
function whileCredentialHolds<T>(ctx: Context, source: AsyncIterable<T>, stillAllowed?: (ctx: Context) => Promise<boolean>): AsyncIterable<T> {
  const actor = ctx.actor;
  const expiresAt = actor?.kind === 'user' ? actor.expiresAt : undefined;
  const userId = actor?.kind === 'user' ? actor.userId : undefined;
  const credentialId = actor?.kind === 'integration' || actor?.kind === 'supplier' ? actor.credentialId : undefined;
  if (!userId && !credentialId) return source;
  return new Repeater<T>(async (push, stop) => {
    let ended = false;
    const finish = (error: unknown) => {
      ended = true;
      stop(error);
    };
    // By the clock (which tests move), and by the time that has really passed since it started.
    const deadline = expiresAt ? performance.now() + (expiresAt.getTime() - ctx.clock.now().getTime()) : Number.POSITIVE_INFINITY;
    const expired = () => !!expiresAt && (ctx.clock.now().getTime() >= expiresAt.getTime() || performance.now() >= deadline);
    const end = () =>
      finish(
        createGraphQLError('The token has expired: subscribe again with a fresh token.', {
          extensions: { code: 'TOKEN_EXPIRED', expiredAt: expiresAt?.toISOString() },
        }),
      );
    const revoked = () => finish(createGraphQLError('The API key has been revoked.', { extensions: { code: 'CREDENTIAL_REVOKED' } }));
    let timer: NodeJS.Timeout | undefined;
    const check = () => {
      if (expired()) return end();
      if (expiresAt) timer = setTimeout(check, Math.min(MAX_TIMER_MS, Math.max(1, deadline - performance.now())));
    };
    check();
    const revocations = credentialId ? ctx.events.subscribe('credentialRevoked', credentialId)[Symbol.asyncIterator]() : undefined;
    if (revocations && credentialId) {
      void revocations.next().then((next) => next.done || revoked());
      // A revocation committed after this request was authenticated but before the line above
      // was told to no one: read it once.
      const credential = await ctx.prisma.apiCredential.findUnique({ where: { id: credentialId }, select: { revokedAt: true } });
      if (!credential || credential.revokedAt) revoked();
    }
    // The user's actor read again after each change to it, one read after another; updates wait for the last.
    let rereads: Promise<void> = Promise.resolve();
    const reread = async () => {
      if (ended || !userId || ctx.actor?.kind !== 'user') return;
      let fresh: Actor;
      try {
        fresh = await userActor(ctx.sql, userId);
      } catch (error) {
        if (!(error instanceof AuthenticationError)) throw error;
        return finish(createGraphQLError(error.message, { extensions: { code: 'UNAUTHENTICATED' } }));
      }
      if (sameActor(fresh, ctx.actor)) return;
      ctx.actor = expiresAt && fresh.kind === 'user' ? { ...fresh, expiresAt } : fresh;
      if (stillAllowed && !(await stillAllowed(freshRead(ctx)))) {
        finish(createGraphQLError('The user may no longer see what this subscription sends.', { extensions: { code: 'FORBIDDEN' } }));
      }
    };
    const changes = userId ? ctx.events.subscribe('userChanged', userId)[Symbol.asyncIterator]() : undefined;
    const rereadAfterChange = () => {
      rereads = rereads.then(reread).catch(finish);
    };
    if (changes) {
      void (async () => {
        while (!(await changes.next()).done) rereadAfterChange();
      })();
      // A change committed after this request read the actor but before the line above was told
      // to no one: read it once.
      rereadAfterChange();
    }
    const iterator = source[Symbol.asyncIterator]();
    const stopped = stop.then(() => ({ done: true as const, value: undefined }));
    try {
      for (;;) {
        const next = await Promise.race([iterator.next(), stopped]);
        if (next.done) break;
        await rereads;
        if (ended) break;
        if (expired()) return end();
        await push(next.value);
      }
      stop();
    } catch (error) {
      stop(error);
    } finally {
      clearTimeout(timer);
      await revocations?.return?.();
      await changes?.return?.();
      await iterator.return?.();
    }
  });
}

builder.subscriptionField('availabilityChanged', (t) =>
  t.field({
    type: LicenseAvailabilityRef,
    description:
      "A school's availability of a product, sent again after every committed change to it (an assignment, a revocation, a delivery...). Only for those who may read the school's licenses.",
    args: {
      school: t.arg.globalID({ required: true, description: 'The school.' }),
      product: t.arg.globalID({ required: true, description: 'The product.' }),
    },
    subscribe: async (_root, args, ctx) => {
      const schoolProduct = await loadSchoolProduct(ctx, `${args.school.id}:${args.product.id}`);
      if (!schoolProduct) throw createGraphQLError('No such school or product.', { extensions: { code: 'NOT_FOUND' } });
      return whileCredentialHolds(
        ctx,
        pipe(
          ctx.events.subscribe('event'),
          filter((event) => event.schoolId === schoolProduct.school.id && event.productId === schoolProduct.product.id),
          map(() => availabilityOf(freshRead(ctx), schoolProduct)),
        ),
        // A user whose role changed: may they still read the school's licenses?
        async (fresh) => (await loadSchoolProduct(fresh, `${args.school.id}:${args.product.id}`)) !== null,
      );
    },
    resolve: (availability) => availability,
  }),
);

builder.subscriptionField('notificationAdded', (t) =>
  t.field({
    type: NotificationRef,
    description: "The viewer's notifications, each as soon as it is committed.",
    authScopes: { user: true },
    subscribe: (_root, _args, ctx) => {
      const actor = actorOf(ctx);
      const userId = actor.kind === 'user' ? actor.userId : '';
      return whileCredentialHolds(
        ctx,
        pipe(
          ctx.events.subscribe('notification', userId),
          map((id) => ctx.prisma.notification.findFirst({ where: { id, userId } })),
          filter((notification) => notification !== null),
        ),
      );
    },
    resolve: (notification) => notification!,
  }),
);
