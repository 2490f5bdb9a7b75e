// Rate limits shared by instances: three API instances on one PostgreSQL database, each with its own
// connection to the store (as separate processes have), give a credential and an address the limit
// once, not three times. The counters in PostgreSQL, and in Redis (REDIS_URL, default the local one).
// PostgreSQL only: PGlite is one process's and keeps the in-process bucket.
import { randomUUID } from 'node:crypto';
import { openTestDatabase, type TestDatabase } from '@school-licenses/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.ts';
import { readConfig } from '../config.ts';
import { openPostgresRateLimitStore, openRedisRateLimitStore, type RateLimitStore } from '../rate-limit-store.ts';
import { TEST_AUTH, TEST_START } from '../testing/harness.ts';
import { listen, postGraphQL, type Listening } from '../testing/http.ts';
import { licensePool, tokenOf } from '../testing/scenarios.ts';
import { createApi } from '../yoga.ts';

const postgres = process.env.DATABASE_URL;
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

describe.skipIf(!postgres)('rate limits shared by three instances', () => {
  let db: TestDatabase;
  const clock = new ManualClock(TEST_START);
  let admin: string;
  const opened: { stores: RateLimitStore[]; servers: Listening[] }[] = [];

  beforeAll(async () => {
    db = await openTestDatabase();
    const pool = await licensePool(db.prisma, clock, { licenses: 1, students: 1 });
    admin = await tokenOf(TEST_AUTH, clock, pool.adminId);
  });
  afterAll(async () => {
    for (const { stores, servers } of opened) {
      await Promise.all(servers.map((server) => server.close()));
      await Promise.all(stores.map((store) => store.close()));
    }
    await db?.close();
  });

  const threeInstances = async (openStore: () => Promise<RateLimitStore>) => {
    const stores = [await openStore(), await openStore(), await openStore()];
    const servers = await Promise.all(
      stores.map((rateLimitStore) =>
        listen(
          createApi({
            prisma: db.prisma,
            clock,
            auth: TEST_AUTH,
            rateLimitStore,
            log: { ...console, info: () => {} }, // each refusal is a line: quiet here
            limits: { rateLimit: { perMinute: 1, burst: 5 }, addressRateLimit: { perMinute: 1, burst: 4 } },
          }),
        ),
      ),
    );
    opened.push({ stores, servers });
    return servers;
  };

  // A prefix of this run's own: Redis outlives the test database.
  const prefix = `test-${randomUUID()}`;
  const cases: [string, () => Promise<RateLimitStore>][] = [
    ['PostgreSQL', () => openPostgresRateLimitStore(db.url!)],
    ['Redis', () => openRedisRateLimitStore(redisUrl, { prefix })],
  ];
  for (const [store, openStore] of cases) {
    it(`${store}: a credential gets its burst once across the instances, an address too`, async () => {
      const servers = await threeInstances(openStore);
      // 15 requests, round robin: 5 pass whatever instance they reach, 10 are refused.
      const statuses: number[] = [];
      for (let i = 0; i < 15; i++) statuses.push((await postGraphQL(servers[i % 3]!.url, admin, `{ viewer { kind } }`)).status);
      expect(statuses.filter((s) => s === 200)).toHaveLength(5);
      expect(statuses.slice(5)).toEqual(Array(10).fill(429));
      const refused = await postGraphQL(servers[1]!.url, admin, `{ viewer { kind } }`);
      expect(refused.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);

      const anonymous: number[] = [];
      for (let i = 0; i < 9; i++) anonymous.push((await postGraphQL(servers[i % 3]!.url, null, `{ __typename }`)).status);
      expect(anonymous).toEqual([200, 200, 200, 200, 429, 429, 429, 429, 429]);
    });
  }

  it('the store follows the configuration: Redis when REDIS_URL is set, else PostgreSQL, else (PGlite) this process', () => {
    expect(readConfig({ DATABASE_URL: postgres }, { demo: false }).rateLimitStore).toBe('postgres');
    expect(readConfig({ DATABASE_URL: postgres, REDIS_URL: redisUrl }, { demo: false }).rateLimitStore).toBe('redis');
    expect(readConfig({}, { demo: false }).rateLimitStore).toBe('memory');
    expect(() => readConfig({ RATE_LIMIT_STORE: 'redis' }, { demo: false })).toThrow(/needs REDIS_URL/);
  });
});
