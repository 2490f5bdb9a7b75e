// Builds the GraphQL server. Reads no environment: server.ts does, and tests call yoga.fetch().
import type { PrismaClient } from '@school-licenses/db';
import { createGraphQLError, createYoga, useReadinessCheck, type GraphiQLOptions, type YogaServerInstance } from 'graphql-yoga';
import { AuthenticationError, createAuthenticator, type AuthConfig } from './auth/authenticate.ts';
import type { Clock } from './clock.ts';
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
}

export type Api = YogaServerInstance<Record<string, never>, Context>;

export function createApi(options: ApiOptions): Api {
  const authenticate = createAuthenticator(options.auth, options.prisma, options.clock);
  return createYoga<Record<string, never>, Context>({
    schema,
    graphqlEndpoint: '/graphql',
    landingPage: false,
    graphiql: options.graphiql === false ? false : { title: 'School licenses API', ...options.graphiql },
    renderGraphiQL: renderLocalGraphiQL,
    plugins: [
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
        return {
          prisma: options.prisma,
          clock: options.clock,
          actor,
          idempotencyTtlHours: options.idempotencyTtlHours ?? DEFAULT_IDEMPOTENCY_TTL_HOURS,
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
