// Rate limits shared by every instance of the API: with N instances behind a balancer, a credential
// or an address gets the limit once, not N times. rate-limiter-flexible keeps the counters in
// PostgreSQL (always there when instances share a database) or in Redis (REDIS_URL); the embedded
// database is one process's, so PGlite keeps the in-process token bucket of limits.ts.
import type { GraphQLError } from 'graphql';
import { Redis } from 'ioredis';
import pg from 'pg';
import { RateLimiterMemory, RateLimiterPostgres, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { rateLimitRefusal, type RateLimit, type RateLimitOptions } from './limits.ts';

/** Where the counters live; `limiter` makes one named limit (its keys never meet another's). */
export interface RateLimitStore {
  description: string;
  limiter(name: string, options: RateLimitOptions): RateLimit;
  close(): Promise<void>;
}

// The in-process bucket holds `burst` and refills `perMinute`; the shared counters are a window of
// `burst` points that opens again every burst/perMinute minutes: the same sustained rate and at
// most `burst` at once (two windows' worth across a window's edge).
function windowOf({ perMinute, burst }: RateLimitOptions): { points: number; duration: number } {
  return { points: burst, duration: Math.max(1, Math.ceil((burst * 60) / perMinute)) };
}

/** A limit on a rate-limiter-flexible limiter; when the store fails, an in-process one decides (insuranceLimiter). */
class SharedRateLimit implements RateLimit {
  readonly #limiter: RateLimiterAbstract;
  readonly #points: number;
  constructor(limiter: RateLimiterAbstract, points: number) {
    this.#limiter = limiter;
    this.#points = points;
  }

  async charge(key: string, cost: number, who: string): Promise<GraphQLError | undefined> {
    try {
      // An operation dearer than the whole window can still run once the window is fresh.
      await this.#limiter.consume(key, Math.min(Math.max(1, cost), this.#points));
      return undefined;
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      return rateLimitRefusal(Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)), who);
    }
  }
}

const SCHEMA = 'rate_limits';

/**
 * Counters in PostgreSQL, on a small pool of their own (so a full request pool never stops a
 * refusal), in the schema `rate_limits`, outside the Prisma schema and its migrations: one
 * row per key and limit, created here at start.
 */
export async function openPostgresRateLimitStore(url: string, { maxConnections = 4 } = {}): Promise<RateLimitStore> {
  const pool = new pg.Pool({ connectionString: url, max: maxConnections, connectionTimeoutMillis: 1_000, statement_timeout: 1_000 });
  pool.on('error', () => {});
  const names = ['credential', 'address'];
  // Instances start at once: one creates the tables at a time (CREATE … IF NOT EXISTS is not safe in parallel).
  const client = await pool.connect().catch(async (error: unknown) => {
    await pool.end();
    throw error;
  });
  try {
    await client.query('BEGIN');
    await client.query(`SELECT pg_advisory_xact_lock(hashtext('school-licenses:rate_limits'))`);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${SCHEMA}`);
    for (const name of names) {
      await client.query(`CREATE TABLE IF NOT EXISTS ${SCHEMA}.${name} (key varchar(255) PRIMARY KEY, points integer NOT NULL DEFAULT 0, expire bigint)`);
    }
    await client.query('COMMIT');
    client.release();
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    client.release();
    await pool.end();
    throw error;
  }
  return {
    description: 'PostgreSQL (schema rate_limits)',
    limiter(name, options) {
      if (!names.includes(name)) throw new Error(`rate limit ${name}: no table (one of ${names.join(', ')})`);
      const window = windowOf(options);
      const limiter = new RateLimiterPostgres({
        storeClient: pool,
        storeType: 'pool',
        schemaName: SCHEMA,
        tableName: name,
        tableCreated: true,
        keyPrefix: name,
        ...window,
        insuranceLimiter: new RateLimiterMemory({ keyPrefix: name, ...window }),
      });
      return new SharedRateLimit(limiter, window.points);
    },
    close: () => pool.end(),
  };
}

/** Counters in Redis (REDIS_URL); while Redis is unreachable each instance counts for itself. */
export async function openRedisRateLimitStore(url: string, { prefix = 'school-licenses:rate' } = {}): Promise<RateLimitStore> {
  const redis = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: true, connectTimeout: 2_000 });
  redis.on('error', () => {});
  // Not there yet: the instance counts for itself and ioredis keeps trying to connect.
  await redis.connect().catch(() => {});
  return {
    description: `Redis at ${new URL(url).host}`,
    limiter(name, options) {
      const window = windowOf(options);
      const limiter = new RateLimiterRedis({
        storeClient: redis,
        rejectIfRedisNotReady: true,
        keyPrefix: `${prefix}:${name}`,
        ...window,
        insuranceLimiter: new RateLimiterMemory({ keyPrefix: name, ...window }),
      });
      return new SharedRateLimit(limiter, window.points);
    },
    close: async () => void (await redis.quit().catch(() => redis.disconnect())),
  };
}
