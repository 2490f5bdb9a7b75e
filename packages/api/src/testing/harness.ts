// A real API over a real database for tests: in-memory PGlite, or a fresh PostgreSQL database
// when DATABASE_URL is set. Requests go through yoga.fetch (no port) unless a test listens.
import { openTestDatabase, openTestDatabaseFrom, type TestDatabase, type TestTemplate } from '@school-licenses/db/testing';
import { signUserToken, type AuthConfig } from '../auth/authenticate.ts';
import { ManualClock } from '../clock.ts';
import { createEventHub, EventRelay, type EventHub } from '../events/relay.ts';
import { ensureDemoData, type DemoData } from '../seed/demo.ts';
import { createApi, type Api, type ApiOptions } from '../yoga.ts';
import { IMPORT_ROSTER } from './operations.ts';

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
  /** The events this API's subscriptions receive. */
  events: EventHub;
  /** With `events: true`, the relay that feeds this API's subscriptions, as server.ts runs it. */
  relay: EventRelay | undefined;
  /** Sends one operation with `Authorization: Bearer <token>` (no header for null). */
  request<Data = any>(token: string | null, query: string, variables?: Record<string, unknown>): Promise<GraphQLResponse<Data>>;
  close(): Promise<void>;
}

export type TestApiOptions = Partial<Pick<ApiOptions, 'idempotencyTtlHours' | 'webhooks'>> & {
  onQuery?: (sql: string) => void;
  /** Run the event relay that feeds subscriptions and webhooks, as server.ts does. */
  events?: boolean;
};

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
  return { test: await apiOver(db, options), demo: data };
}

/** The API over a fresh, migrated and empty database: for tests that write their own scenario. */
export async function startTestApi(options: TestApiOptions = {}): Promise<TestApi> {
  return apiOver(await openTestDatabase({ onQuery: options.onQuery }), options);
}

async function apiOver(db: TestDatabase, options: TestApiOptions): Promise<TestApi> {
  const { events: withEvents, onQuery: _onQuery, ...apiOptions } = options;
  const clock = new ManualClock(TEST_START);
  const events = createEventHub();
  const relay = withEvents ? new EventRelay({ database: db, prisma: db.prisma, clock, hub: events }) : undefined;
  await relay?.start();
  const api = createApi({ prisma: db.prisma, sql: db.sql, clock, auth: TEST_AUTH, graphiql: false, events, ...apiOptions });
  return {
    db,
    clock,
    api,
    events,
    relay,
    async request(token, query, variables) {
      const response = await api.fetch('http://api.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ query, variables }),
      });
      return { status: response.status, ...((await response.json()) as object) };
    },
    async close() {
      await relay?.stop();
      await db.close();
    },
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

/** importRoster with files: a multipart request (the GraphQL multipart request spec), as examples/lms-sync.mjs sends it. */
export async function uploadRoster(api: Pick<Api, 'fetch'>, credential: string, input: Record<string, unknown>, files: File[]): Promise<GraphQLResponse> {
  const form = new FormData();
  form.set('operations', JSON.stringify({ query: IMPORT_ROSTER, variables: { input: { ...input, files: files.map(() => null) } } }));
  form.set('map', JSON.stringify(Object.fromEntries(files.map((_, i) => [String(i), [`variables.input.files.${i}`]]))));
  for (const [i, file] of files.entries()) form.set(String(i), file, file.name);
  const response = await api.fetch('http://api.test/graphql', { method: 'POST', headers: { authorization: `Bearer ${credential}` }, body: form });
  return { status: response.status, ...((await response.json()) as object) };
}
