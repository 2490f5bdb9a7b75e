// A real API over a real database for tests: in-memory PGlite, or a fresh PostgreSQL database
// when DATABASE_URL is set. Requests go through yoga.fetch (no port) unless a test listens.
import { openTestDatabase, openTestDatabaseFrom, type TestDatabase, type TestTemplate } from '@school-licenses/db/testing';
import { signUserToken, type AuthConfig } from '../auth/authenticate.ts';
import { ManualClock } from '../clock.ts';
import { ensureDemoData, type DemoData } from '../seed/demo.ts';
import { createApi, type Api, type ApiOptions } from '../yoga.ts';

export type { DemoData };

export const TEST_AUTH: AuthConfig = { jwtSecret: 'test-secret-that-is-long-enough-0123456789' };
/** Tests start at a fixed moment, so dates in assertions are exact. */
export const TEST_START = '2026-09-01T08:00:00.000Z';

export interface GraphQLResponse<Data = any> {
  status: number;
  data?: Data;
  errors?: { message: string; extensions?: { code?: string } }[];
}

export interface TestApi {
  db: TestDatabase;
  clock: ManualClock;
  api: Api;
  /** Sends one operation with `Authorization: Bearer <token>` (no header for null). */
  request<Data = any>(token: string | null, query: string, variables?: Record<string, unknown>): Promise<GraphQLResponse<Data>>;
  close(): Promise<void>;
}

export type TestApiOptions = Partial<Pick<ApiOptions, 'idempotencyTtlHours'>> & { onQuery?: (sql: string) => void };

/**
 * The demo story (see seed/demo.ts), seeded at the test clock's start: the template each test
 * run builds once and every test file copies (see the globalSetup, testing/global-setup.ts).
 */
export const standardScenario: TestTemplate<DemoData> = {
  name: 'standard',
  build: (db) => ensureDemoData(db.prisma, new ManualClock(TEST_START), TEST_AUTH),
};

/** The `standard` scenario: the API over a fresh copy of the demo story, and how to act in it. */
export async function startStandardScenario(options: TestApiOptions = {}): Promise<{ test: TestApi; demo: DemoData }> {
  const { db, data } = await openTestDatabaseFrom(standardScenario, { onQuery: options.onQuery });
  return { test: apiOver(db, options), demo: data };
}

/** The API over a fresh, migrated and empty database: for tests that write their own scenario. */
export async function startTestApi(options: TestApiOptions = {}): Promise<TestApi> {
  return apiOver(await openTestDatabase({ onQuery: options.onQuery }), options);
}

function apiOver(db: TestDatabase, options: TestApiOptions): TestApi {
  const clock = new ManualClock(TEST_START);
  const api = createApi({ prisma: db.prisma, clock, auth: TEST_AUTH, graphiql: false, ...options });
  return {
    db,
    clock,
    api,
    async request(token, query, variables) {
      const response = await api.fetch('http://api.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ query, variables }),
      });
      return { status: response.status, ...((await response.json()) as object) };
    },
    close: () => db.close(),
  };
}

/** The ids of the products a school holds licenses of. */
export async function productIdsHeldBy(test: TestApi, schoolId: string): Promise<string[]> {
  const products = await test.db.prisma.product.findMany({ where: { licenses: { some: { schoolId } } }, select: { id: true } });
  return products.map((product) => product.id);
}

/** A fresh user token for a user, by e-mail, signed at the test clock's now. */
export async function tokenFor(test: TestApi, email: string): Promise<string> {
  const user = await test.db.prisma.user.findFirstOrThrow({ where: { email } });
  return signUserToken(TEST_AUTH, user.id, { now: test.clock.now() });
}

/** Unwraps data, failing loudly with the errors when there are any. */
export function dataOf<Data>(response: GraphQLResponse<Data>): Data {
  if (response.errors?.length || !response.data) {
    throw new Error(`GraphQL errors: ${JSON.stringify(response.errors)}`);
  }
  return response.data;
}
