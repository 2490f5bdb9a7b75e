// The one way to open the database: embedded PGlite by default, PostgreSQL when given a URL.
// Same schema, same migrations, same generated client on both.
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import type { SqlDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import pg from 'pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { PrismaClient } from './generated/prisma/client.ts';
import { applyPendingMigrations, readMigrations, type Migration, type MigrationConnection, type MigrationReport } from './migrations/migrations.ts';

export type DatabaseKind = 'pglite' | 'postgres';

/** The embedded database's default home, git-ignored, at the top of the checkout. */
export const defaultDataDir = fileURLToPath(new URL('../../../.data/pglite', import.meta.url));

export interface DatabaseOptions {
  /** A `postgres://` URL: use that PostgreSQL server. Without it, the embedded PGlite. */
  url?: string | undefined;
  /** PGlite's directory; `memory://` keeps it in memory. Ignored for PostgreSQL. */
  dataDir?: string | undefined;
  /** PostgreSQL pool size per process. */
  maxConnections?: number | undefined;
  /** Called with every SQL statement the Prisma client sends (statement counting, logs). */
  onQuery?: ((sql: string) => void) | undefined;
  /**
   * PostgreSQL only: name Prisma's statements, so the server parses and plans each SQL text once
   * per connection (default). false: unnamed statements, parsed and planned at every query, for a
   * connection pooler in transaction mode that does not track prepared statements (PgBouncer
   * before 1.21, or with `max_prepared_statements = 0`).
   */
  preparedStatements?: boolean | undefined;
  /** Size of Prisma's query plan cache; unset: Prisma's default, 0: off (benchmarks compare both). */
  queryPlanCacheMaxSize?: number | undefined;
  /**
   * PostgreSQL only: when the server cannot be reached, try again this many times, waiting
   * `initialDelayMs` and doubling up to `maxDelayMs` in between (for a database that starts a
   * moment after the API). Without it, the first failure is final.
   */
  connectRetry?: ConnectRetryOptions | undefined;
}

export interface ConnectRetryOptions {
  attempts: number;
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** Told about each failed attempt before the wait. */
  onRetry?: (info: { attempt: number; attempts: number; delayMs: number; error: Error }) => void;
}

export interface MigrateOptions {
  onProgress?: (message: string) => void;
  migrations?: Migration[];
}

export interface Database {
  kind: DatabaseKind;
  /** Where the data lives, without credentials, for logs. */
  description: string;
  prisma: PrismaClient;
  /** Applies pending migrations (by default the committed ones) in one transaction. */
  migrate(options?: MigrateOptions): Promise<MigrationReport>;
  close(): Promise<void>;
}

/** A configuration or connection problem, with a message fit for a single line on a terminal. */
export class DatabaseConfigError extends Error {
  override name = 'DatabaseConfigError';
}

export async function openDatabase(options: DatabaseOptions = {}): Promise<Database> {
  const database = options.url ? await openPostgres(options.url, options) : await openPglite(options);
  // Prisma loads its query compiler (WebAssembly) at the first query unless it is connected first,
  // and every request that comes in meanwhile waits for it: about 100 ms (BENCHMARKS.md, Warm-up).
  try {
    await database.prisma.$connect();
  } catch (error) {
    await database.close().catch(() => {});
    throw error;
  }
  return database;
}

function parsePostgresUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new DatabaseConfigError('DATABASE_URL is not a valid URL (expected postgres://user@host:port/database)');
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new DatabaseConfigError(`DATABASE_URL must start with postgres:// or postgresql://, not ${parsed.protocol}//`);
  }
  return parsed;
}

async function openPostgres(url: string, options: DatabaseOptions): Promise<Database> {
  const parsed = parsePostgresUrl(url);
  const description = `PostgreSQL at ${parsed.hostname}:${parsed.port || 5432}${parsed.pathname}`;
  const pool = new pg.Pool({
    connectionString: url,
    max: options.maxConnections ?? 10,
    connectionTimeoutMillis: 5_000,
  });
  // An idle client that loses its server must not crash the process.
  pool.on('error', () => {});
  const retry = options.connectRetry;
  for (let attempt = 1; ; attempt++) {
    try {
      const client = await pool.connect();
      client.release();
      break;
    } catch (error) {
      if (!retry || attempt > retry.attempts) {
        await pool.end();
        throw new DatabaseConfigError(`cannot connect to ${description}: ${(error as Error).message}`);
      }
      const delayMs = Math.min(retry.maxDelayMs ?? 5_000, (retry.initialDelayMs ?? 250) * 2 ** (attempt - 1));
      retry.onRetry?.({ attempt, attempts: retry.attempts, delayMs, error: error as Error });
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
  const prisma = createClient(new PrismaPg(pool, options.preparedStatements === false ? {} : { statementNameGenerator: preparedStatementNames() }), options);
  return {
    kind: 'postgres',
    description,
    prisma,
    async migrate({ onProgress, migrations } = {}) {
      migrations ??= await readMigrations();
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const connection: MigrationConnection = {
          exec: async (sql) => void (await client.query(sql)),
          query: async (sql, params) => (await client.query(sql, params)).rows,
        };
        const report = await applyPendingMigrations(connection, migrations, onProgress);
        await client.query('COMMIT');
        return report;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    },
    async close() {
      await prisma.$disconnect();
      await pool.end().catch(() => {});
    },
  };
}

async function openPglite(options: DatabaseOptions): Promise<Database> {
  const dataDir = options.dataDir ?? defaultDataDir;
  const inMemory = dataDir.startsWith('memory://');
  if (!inMemory) await mkdir(dataDir, { recursive: true });
  let pglite: PGlite;
  try {
    pglite = await PGlite.create(inMemory ? undefined : dataDir);
  } catch (error) {
    throw new DatabaseConfigError(`cannot open the embedded database in ${dataDir}: ${(error as Error).message}`);
  }
  const prisma = createClient(new PrismaPGlite(pglite), options);
  return {
    kind: 'pglite',
    description: inMemory ? 'embedded PGlite in memory' : `embedded PGlite in ${dataDir}`,
    prisma,
    async migrate({ onProgress, migrations } = {}) {
      migrations ??= await readMigrations();
      const pending = migrations;
      return pglite.transaction((tx) =>
        applyPendingMigrations(
          {
            exec: async (sql) => void (await tx.exec(sql)),
            query: async <Row>(sql: string, params?: unknown[]) => (await tx.query<Row>(sql, params as unknown[])).rows,
          },
          pending,
          onProgress,
        ),
      );
    },
    async close() {
      await prisma.$disconnect();
      await pglite.close();
    },
  };
}

/**
 * Prepared-statement names, one per SQL text, so PostgreSQL parses and plans each text once per
 * connection rather than at every query (for Prisma's adapter, and the benchmark's baseline). At
 * most `max` texts get a name: a stream of distinct texts (lists of every length) stays unnamed
 * and cannot fill each connection's memory on the server.
 */
export function preparedStatementNames(max = 1_000): (query: { sql: string }) => string {
  const names = new Map<string, string>();
  return ({ sql }) => {
    let name = names.get(sql);
    if (name === undefined && names.size < max) names.set(sql, (name = `prisma_${names.size}`));
    return name ?? ''; // '': the unnamed statement
  };
}

function createClient(adapter: SqlDriverAdapterFactory, options: DatabaseOptions): PrismaClient {
  const cache = options.queryPlanCacheMaxSize === undefined ? {} : { queryPlanCacheMaxSize: options.queryPlanCacheMaxSize };
  if (!options.onQuery) return new PrismaClient({ adapter, ...cache });
  const onQuery = options.onQuery;
  const prisma = new PrismaClient({ adapter, ...cache, log: [{ emit: 'event', level: 'query' }] });
  prisma.$on('query', (event) => onQuery(event.query));
  return prisma;
}
