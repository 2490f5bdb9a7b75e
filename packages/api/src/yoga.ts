// Builds the GraphQL server. Reads no environment: server.ts does, and tests call yoga.fetch().
import { usePersistedOperations } from '@graphql-yoga/plugin-persisted-operations';
import type { PrismaClient } from '@school-licenses/db';
import { createGraphQLError, createYoga, useReadinessCheck, type GraphiQLOptions, type YogaServerInstance } from 'graphql-yoga';
import { AuthenticationError, createAuthenticator, type AuthConfig } from './auth/authenticate.ts';
import type { Clock } from './clock.ts';
import {
  DEFAULT_LIMITS,
  maskUnexpectedError,
  RateLimiter,
  requestIdOf,
  requestLogger,
  useBodyLimit,
  usePageSizeLimit,
  useRequestId,
  useValidationRules,
  type ApiLimits,
} from './limits.ts';
import { useInvalidInputField } from './input-errors.ts';
import { DEFAULT_IDEMPOTENCY_TTL_HOURS } from './domain/idempotency.ts';
import { renderLocalGraphiQL, useGraphiQLAssets } from './graphiql.ts';
import type { Context } from './schema/context.ts';
import { schema } from './schema/index.ts';

export interface ApiOptions {
  prisma: PrismaClient;
  clock: Clock;
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
  /** Where the server logs; the cause of each masked error comes with its request id (default: console). */
  log?: Pick<Console, 'debug' | 'info' | 'warn' | 'error'>;
}

export type Api = YogaServerInstance<Record<string, never>, Context>;

export function createApi(options: ApiOptions): Api {
  const authenticate = createAuthenticator(options.auth, options.prisma, options.clock);
  const limits: ApiLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const rateLimiter = limits.rateLimit ? new RateLimiter(limits.rateLimit) : null;
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
    maskedErrors: { maskError: maskUnexpectedError, isDev: false },
    logging: requestLogger(options.log),
    plugins: [
      useRequestId(options.log),
      ...(options.persistedOperations ? [usePersistedOnly(options.persistedOperations)] : []),
      useBodyLimit(limits.maxBodyBytes),
      useValidationRules(limits),
      usePageSizeLimit(),
      useInvalidInputField(),
      useGraphiQLAssets(),
      useReadinessCheck({
        endpoint: '/ready',
        check: async () => {
          await options.prisma.$queryRaw`SELECT 1`;
        },
      }),
    ],
    context: async ({ request }) => {
      try {
        const actor = await authenticate(request.headers.get('authorization'));
        rateLimiter?.check(actor);
        return {
          prisma: options.prisma,
          clock: options.clock,
          actor,
          idempotencyTtlHours: options.idempotencyTtlHours ?? DEFAULT_IDEMPOTENCY_TTL_HOURS,
          requestId: requestIdOf(request),
        };
      } catch (error) {
        if (error instanceof AuthenticationError) {
          throw createGraphQLError(error.message, { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });
        }
        throw error;
      }
    },
  });
}

/** Accepts only the documents of the manifest, by hash; a request with a document of its own is refused. */
function usePersistedOnly(manifest: Readonly<Record<string, string>>) {
  return usePersistedOperations({
    allowArbitraryOperations: false,
    getPersistedOperation: (hash) => (Object.hasOwn(manifest, hash) ? manifest[hash]! : null),
  });
}
