// Builds the GraphQL server. Reads no environment: server.ts does, and tests call yoga.fetch().
import { useEngine } from '@envelop/core';
import { normalizedExecutor } from '@graphql-tools/executor';
import { usePersistedOperations } from '@graphql-yoga/plugin-persisted-operations';
import type { PrismaClient } from '@school-licenses/db';
import type { GraphQLError } from 'graphql';
import { createGraphQLError, createYoga, type GraphiQLOptions, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import {
  AuthenticationError,
  AuthenticationUnavailableError,
  createAuthenticator,
  readActor,
  type AuthConfig,
  type Authenticate,
  type Authentication,
} from './auth/authenticate.ts';
import { useConfirmedActor } from './auth/confirmed-actor.ts';
import type { Clock } from './clock.ts';
import { canManageOrganisation, type Actor } from './domain/actor.ts';
import {
  DEFAULT_LIMITS,
  maskUnexpectedError,
  RateLimiter,
  requestIdOf,
  requestLogger,
  useBodyLimit,
  useAddressRateLimit,
  clientAddress,
  useCostRateLimit,
  useOperationLimits,
  useValidationCache,
  useRequestId,
  parseCache,
  useDocumentLimits,
  type ApiLimits,
  type RateLimit,
  type RateLimitOptions,
  type UploadAdmission,
} from './limits.ts';
import type { Metrics } from './metrics.ts';
import type { RateLimitStore } from './rate-limit-store.ts';
import { useRequestLog, type RequestLogEntry } from './request-log.ts';
import { requestPath } from './request-path.ts';
import { useInvalidInputField } from './input-errors.ts';
import { DEFAULT_IDEMPOTENCY_TTL_HOURS } from './domain/idempotency.ts';
import { createEventHub, type EventHub } from './events/relay.ts';
import type { WebhookSettings } from './events/webhooks.ts';
import { renderLocalGraphiQL, useGraphiQLAssets } from './graphiql.ts';
import type { SqlRead } from './domain/sql.ts';
import type { Context } from './schema/context.ts';
import { useAnswerInTransaction } from './schema/run.ts';
import { schema } from './schema/index.ts';

export interface ApiOptions {
  prisma: PrismaClient;
  /** The hot reads outside transactions, on the driver itself: Database.sql. Unset: through Prisma's $queryRaw. */
  sql?: SqlRead;
  clock: Clock;
  /** The events this instance's subscriptions receive (events/relay.ts); none: no subscription ever fires. */
  events?: EventHub;
  /** Webhook URLs on private and loopback addresses are refused unless allowed (default: refused). */
  webhooks?: Pick<WebhookSettings, 'allowPrivate'>;
  auth: AuthConfig;
  /** GraphiQL at /graphql for browsers; false turns it off (production). */
  graphiql?: false | GraphiQLOptions;
  idempotencyTtlHours?: number;
  /**
   * Persisted operations only: a manifest of hash → document (the SDK's persisted-documents.json).
   * Requests then send `extensions.persistedQuery.sha256Hash` of one of its documents; any other
   * document is refused. Unset: every valid document is accepted.
   */
  persistedOperations?: Readonly<Record<string, string>>;
  /** Body size, aliases, batching, rate limit, introspection (see limits.ts); defaults: DEFAULT_LIMITS. */
  limits?: Partial<ApiLimits>;
  /** Where the rate limits count: shared by every instance (rate-limit-store.ts); default: in this process. */
  rateLimitStore?: Pick<RateLimitStore, 'limiter'>;
  /** How many queries wait for a pool connection (Database.waiting): /ready fails once some have waited READY_SATURATION_MS. */
  poolWaiting?: () => number;
  /** Told of every request when its response is ready (the JSON log's line per request; request-log.ts). */
  requestLog?: (entry: RequestLogEntry) => void;
  /** Prometheus metrics, served at /metrics (metrics.ts). */
  metrics?: Metrics;
  /** OpenTelemetry spans for GraphQL operations and resolvers (tracing.ts). */
  tracing?: Plugin;
  /** Where the server logs; the cause of each masked error comes with its request id (default: console). */
  log?: Pick<Console, 'debug' | 'info' | 'warn' | 'error'>;
}

export type Api = YogaServerInstance<Record<string, never>, Context>;

/** How long queries must have been waiting for a pool connection before /ready fails. */
export const READY_SATURATION_MS = 500;

export function createApi(options: ApiOptions): Api {
  const sql: SqlRead = options.sql ?? ((query) => options.prisma.$queryRaw(query));
  const authenticate = createAuthenticator(options.auth, sql, options.clock);
  const limits: ApiLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const limiter = (name: string, limit: RateLimitOptions | undefined): RateLimit | null =>
    !limit ? null : options.rateLimitStore ? options.rateLimitStore.limiter(name, limit) : new RateLimiter(limit);
  const rateLimiter = limiter('credential', limits.rateLimit);
  const addressLimiter = limiter('address', limits.addressRateLimit);
  const log = options.log ?? console;
  let saturatedSince: number | null = null;
  const events = options.events ?? createEventHub();
  // A refused credential: 401, or 429 once its address's bucket is empty (it pays a token, as a
  // request without a credential does); 503 when the identity provider cannot be reached.
  const credentialRefusal = async (error: unknown, serverContext: unknown): Promise<GraphQLError> => {
    if (error instanceof AuthenticationError) {
      const refused = await addressLimiter?.charge(clientAddress(serverContext), 1, 'address');
      return refused ?? createGraphQLError(error.message, { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });
    }
    if (error instanceof AuthenticationUnavailableError) {
      return createGraphQLError(`${error.message} Try again in 1 s.`, {
        extensions: { code: 'SERVICE_UNAVAILABLE', retryAfterSeconds: 1, http: { status: 503, headers: { 'retry-after': '1' } } },
      });
    }
    throw error;
  };
  // The requests authenticated before their body was read (large uploads): the context takes it from here.
  const authenticated = new WeakMap<Request, Authentication>();
  const admitUpload = uploadAdmission(authenticate, sql, authenticated, credentialRefusal);
  return createYoga<Record<string, never>, Context>({
    schema,
    graphqlEndpoint: '/graphql',
    landingPage: false,
    graphiql: options.graphiql === false ? false : { title: 'School licenses API', ...options.graphiql },
    renderGraphiQL: renderLocalGraphiQL,
    // useBodyLimit refuses a body by its Content-Length before it is read, and a body without one.
    // Yoga's own limit would pipe every body through a stream to count it again: 0.3 ms and
    // 20 kB of garbage per request (BENCHMARKS.md).
    maxRequestBodySize: false,
    batching: limits.maxBatch > 0 ? { limit: limits.maxBatch } : false,
    parserAndValidationCache: parseCache(limits.parseCacheBytes),
    maskedErrors: { maskError: maskUnexpectedError, isDev: false },
    logging: requestLogger(log),
    plugins: [
      // First, so the plugins that wrap execution (useConfirmedActor) wrap this executor. Yoga 5
      // brings @graphql-tools/executor 2; its 4.x releases skip argument coercion for fields that
      // take no arguments and share it across a list's items: about 10% less CPU per admin view
      // (BENCHMARKS.md, sixteenth session).
      useEngine({ execute: normalizedExecutor, subscribe: normalizedExecutor }),
      ...(options.requestLog || options.metrics ? [useRequestLog(requestDone(options))] : []),
      ...(options.metrics?.plugins ?? []),
      ...(options.tracing ? [options.tracing] : []),
      useRequestId(log),
      ...(addressLimiter ? [useAddressRateLimit(addressLimiter, log)] : []),
      ...(options.persistedOperations ? [usePersistedOnly(options.persistedOperations)] : []),
      useBodyLimit(limits.maxBodyBytes, limits.maxUploadBytes, log, admitUpload),
      ...useDocumentLimits(limits),
      useOperationLimits(),
      useInvalidInputField(),
      ...(rateLimiter ? [useCostRateLimit(rateLimiter)] : []),
      useConfirmedActor(sql),
      useAnswerInTransaction((error) => ({ data: null, errors: [maskUnexpectedError(error, 'Unexpected error.') as GraphQLError] })),
      useGraphiQLAssets(),
      useReadiness(async () => {
        if (options.poolWaiting?.()) {
          // Saturated for a while: a balancer should send new requests elsewhere until the queue
          // is gone. A momentary queue is not: every instance busy at once would all be taken out,
          // and the balancer would answer 503 itself. The queue shows the database answers.
          saturatedSince ??= Date.now();
          return Date.now() - saturatedSince < READY_SATURATION_MS;
        }
        saturatedSince = null;
        await options.prisma.$queryRaw`SELECT 1`;
        return true;
      }),
      // Last: it keeps a document's errors as the plugins above left them.
      useValidationCache(),
    ],
    context: async ({ request, ...serverContext }) => {
      try {
        // A large upload's credential was checked before its body was read (admitUpload); any other
        // request's is checked here, once its body is parsed.
        const { actor, check } = authenticated.get(request) ?? (await authenticate(request.headers.get('authorization')));
        return {
          prisma: options.prisma,
          sql,
          clock: options.clock,
          events,
          webhooks: options.webhooks ?? { allowPrivate: false },
          actor,
          ...(check ? { actorCheck: check } : {}),
          idempotencyTtlHours: options.idempotencyTtlHours ?? DEFAULT_IDEMPOTENCY_TTL_HOURS,
          maxImportFileBytes: limits.maxImportFileBytes,
          requestId: requestIdOf(request),
          ...(limits.timeBudgetMs ? { deadline: performance.now() + limits.timeBudgetMs } : {}),
        };
      } catch (error) {
        throw await credentialRefusal(error, serverContext);
      }
    },
  });
}

/** Who may send a multipart request above MAX_BODY_BYTES: who may import a roster into some organisation (importRoster). */
function mayImportRoster(actor: Actor | null): boolean {
  return (actor?.kind === 'user' || actor?.kind === 'integration') && canManageOrganisation(actor, actor.organisationId);
}

/**
 * Before a multipart body above MAX_BODY_BYTES is read (useBodyLimit): its credential is
 * authenticated, and its actor read now if it was remembered (the check a mutation makes before
 * it starts, made earlier: a revoked key or a user who left is refused before the body, not
 * after). Only an organisation administrator or a read-write API key may send one; anyone else
 * gets MAX_BODY_BYTES. A failed credential pays its address's bucket here, before the body. The
 * authentication is passed on to the context, which does not authenticate again.
 */
function uploadAdmission(
  authenticate: Authenticate,
  sql: SqlRead,
  authenticated: WeakMap<Request, Authentication>,
  refusal: (error: unknown, serverContext: unknown) => Promise<GraphQLError>,
): UploadAdmission {
  return async (request, serverContext) => {
    const authorization = request.headers.get('authorization');
    if (!authorization) return false;
    let authentication: Authentication;
    try {
      authentication = await authenticate(authorization);
      const { actor, check } = authentication;
      if (check && actor) {
        let fresh: Actor;
        try {
          fresh = await readActor(sql, check);
        } catch (error) {
          if (error instanceof AuthenticationError) check.remember(null);
          throw error;
        }
        check.remember(fresh);
        // The token's expiry is kept, as useConfirmedActor keeps it.
        authentication = { actor: actor.kind === 'user' && actor.expiresAt && fresh.kind === 'user' ? { ...fresh, expiresAt: actor.expiresAt } : fresh };
      }
    } catch (error) {
      return refusal(error, serverContext);
    }
    if (!mayImportRoster(authentication.actor)) return false;
    authenticated.set(request, authentication);
    return true;
  };
}

function requestDone({ requestLog, metrics }: ApiOptions): (entry: RequestLogEntry) => void {
  return (entry) => {
    requestLog?.(entry);
    metrics?.observe(entry);
  };
}

/**
 * /ready: 200 when `check` says so, else 503 (with the error's message when it threw). Yoga's
 * useReadinessCheck parsed every request's URL and tested a URLPattern against it to find that the
 * request was not for /ready; this compares the path's text, and any other request passes at once.
 */
function useReadiness(check: () => Promise<boolean>): Plugin {
  return {
    onRequest({ request, endResponse, fetchAPI }) {
      if (requestPath(request.url) !== '/ready') return;
      return check().then(
        (ready) => endResponse(new fetchAPI.Response(null, { status: ready ? 200 : 503 })),
        (error: unknown) =>
          endResponse(
            error instanceof Error
              ? new fetchAPI.Response(error.message, { status: 503, headers: { 'content-type': 'text/plain; charset=utf-8' } })
              : new fetchAPI.Response(null, { status: 503 }),
          ),
      );
    },
  };
}

/** Accepts only the documents of the manifest, by hash; a request with a document of its own is refused. */
function usePersistedOnly(manifest: Readonly<Record<string, string>>) {
  return usePersistedOperations({
    allowArbitraryOperations: false,
    getPersistedOperation: (hash) => (Object.hasOwn(manifest, hash) ? manifest[hash]! : null),
  });
}
