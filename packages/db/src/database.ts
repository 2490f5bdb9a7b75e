// The one way to open the database: embedded PGlite by default, PostgreSQL when given a URL.
// Same schema, same migrations, same generated client on both. Besides the Prisma client, `sql`
// runs one `Prisma.sql` statement on the driver itself: Prisma's client (its query interpreter,
// spans, result mapping) was an eighth of the CPU of a small authenticated read, so the API's hot
// reads outside transactions skip it (BENCHMARKS.md, "Small reads"), and so do the raw statements
// of a transaction opened with withTransactionSql (transactionSql). Prisma keeps the rest:
// opening and committing transactions, its own queries, the relations Pothos selects.
import { AsyncLocalStorage } from 'node:async_hooks';
import { closeSync, openSync, unlinkSync, writeSync, readFileSync } from 'node:fs';
import { link, mkdir, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import type { SqlDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import pg from 'pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { PrismaClient, type Prisma } from './generated/prisma/client.ts';
import { applyPendingMigrations, readMigrations, type Migration, type MigrationConnection, type MigrationReport } from './migrations/migrations.ts';

export type DatabaseKind = 'pglite' | 'postgres';

/** The embedded database's default home, git-ignored, at the top of the checkout. */
export const defaultDataDir = fileURLToPath(new URL('../../../.data/pglite', import.meta.url));

export interface DatabaseOptions {
  /** A `postgres://` URL: use that PostgreSQL server. Without it, the embedded PGlite. */
  url?: string | undefined;
  /** PGlite's directory; `memory://` keeps it in memory. Ignored for PostgreSQL. */
  dataDir?: string | undefined;
  /** PGlite only: start from this dump of a data directory (a test template) instead of an empty one. */
  loadDataDir?: Blob | undefined;
  /** PostgreSQL pool size per process. */
  maxConnections?: number | undefined;
  /** PostgreSQL: how long a query waits for a free connection of the pool before it fails (default 5 s). */
  connectionTimeoutMs?: number | undefined;
  /**
   * PostgreSQL session limits, so one hung request cannot stall the others: a statement runs at
   * most `statementTimeoutMs` (default 10 s), waits for a lock at most `lockTimeoutMs` (default
   * 5 s), and a transaction left idle is ended after `idleInTransactionTimeoutMs` (default 30 s).
   * 0: no limit. Migrations run without them.
   */
  statementTimeoutMs?: number | undefined;
  lockTimeoutMs?: number | undefined;
  idleInTransactionTimeoutMs?: number | undefined;
  /** Called with every SQL statement the Prisma client or `sql` sends (statement counting, logs). */
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
  /**
   * The rows of one statement, run on the driver itself (the pg pool, or PGlite) rather than
   * through Prisma's query interpreter: for the hot reads outside a transaction, which the API
   * composes as `Prisma.sql` fragments (README, "Performance"). Values come as Prisma's
   * `$queryRaw` gives them: text, uuid, int4, float8, bool, json and arrays as they are, int8 as a
   * bigint, timestamptz as a Date, a date as the Date of its 00:00 UTC. Never inside a
   * transaction: it takes a connection of its own (and on PGlite would wait for the transaction).
   */
  sql<Row>(query: Prisma.Sql): Promise<Row[]>;
  /** How many queries wait for a free connection of the pool right now (PGlite: 0). */
  waiting(): number;
  /** The pool's connections now: open, idle, and queries waiting for one (metrics; PGlite: one, never waiting). */
  connections(): { total: number; idle: number; waiting: number };
  /** Applies pending migrations (by default the committed ones) in one transaction. */
  migrate(options?: MigrateOptions): Promise<MigrationReport>;
  /**
   * Calls `onMessage` with the payload of every NOTIFY on `channel` (a lower-case name) until the
   * returned function is called. PostgreSQL: on one connection of its own, which reconnects after
   * a loss (notifications sent meanwhile are lost: listeners also poll). PGlite: in process.
   */
  listen(channel: string, onMessage: (payload: string) => void): Promise<() => Promise<void>>;
  /** PGlite only: its whole data directory as an uncompressed tarball, for `loadDataDir`. */
  dumpDataDir?(): Promise<Blob>;
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
    connectionTimeoutMillis: options.connectionTimeoutMs ?? 5_000,
    statement_timeout: options.statementTimeoutMs ?? 10_000,
    lock_timeout: options.lockTimeoutMs ?? 5_000,
    idle_in_transaction_session_timeout: options.idleInTransactionTimeoutMs ?? 30_000,
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
  const listener = new PostgresListener(url);
  // Names of their own: a connection holds Prisma's prepared statements too.
  const statementName = options.preparedStatements === false ? () => undefined : preparedStatementNames(1_000, 'sql_');
  const run = async (client: pg.Pool | pg.PoolClient, query: Prisma.Sql) => {
    // Prisma.Sql joins its strings again at each read of text (or sql): once here, for the log,
    // the statement's name and the driver alike.
    const text = query.text;
    options.onQuery?.(text);
    const name = statementName({ sql: text });
    return client.query({ text, values: query.values.map(utcMoment), types: PG_TYPES, ...(name ? { name } : {}) });
  };
  // Prisma's adapter takes a connection of the pool (connect() without a callback) only to open a
  // transaction: the one opened in a withTransactionSql scope is that scope's.
  const connect = pool.connect.bind(pool);
  pool.connect = ((callback?: Parameters<typeof connect>[0]) => {
    if (callback) return connect(callback);
    const slot = openingTransaction?.getStore();
    return connect().then((client) => {
      statementsInTurn(client);
      if (slot && !slot.sql) {
        slot.sql = async (query) => {
          const result = await run(client, query);
          return { rows: result.rows, count: result.rowCount ?? 0 };
        };
      }
      return client;
    });
  }) as typeof pool.connect;
  const prisma = createClient(new PrismaPg(pool, options.preparedStatements === false ? {} : { statementNameGenerator: preparedStatementNames() }), options);
  return {
    kind: 'postgres',
    description,
    prisma,
    async sql<Row>(query: Prisma.Sql) {
      return (await run(pool, query)).rows as Row[];
    },
    waiting: () => pool.waitingCount,
    connections: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    async migrate({ onProgress, migrations } = {}) {
      migrations ??= await readMigrations();
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        // A migration may rewrite a large table: no statement or lock limit for it.
        await client.query('SET LOCAL statement_timeout = 0; SET LOCAL lock_timeout = 0');
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
    listen: (channel, onMessage) => listener.listen(channel, onMessage),
    async close() {
      await listener.close();
      await prisma.$disconnect();
      await pool.end().catch(() => {});
    },
  };
}

/** The embedded database is open in another live process. */
export class DatabaseInUseError extends DatabaseConfigError {
  override name = 'DatabaseInUseError';
  readonly dataDir: string;
  readonly pid: number;

  constructor(dataDir: string, pid: number) {
    super(
      `the embedded database in ${dataDir} is in use by process ${pid} (an API server or a command), and PGlite allows one process: ` +
        'Stop that process first and run this again, or use PostgreSQL (DATABASE_URL) for several processes ' +
        `(if no such process is yours, delete ${join(dataDir, LOCK_FILE)}).`,
    );
    this.dataDir = dataDir;
    this.pid = pid;
  }
}

const LOCK_FILE = 'school-licenses.lock';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function lockHolder(file: string): Promise<number | undefined> {
  const pid = Number((await readFile(file, 'utf8').catch(() => '')).trim());
  return Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid) ? pid : undefined;
}

/**
 * Two processes on one PGlite directory each see only their own writes and corrupt its indexes,
 * so the directory has a lock file with the holder's pid, created exclusively and held for the
 * process's life. A lock whose process is dead (a crash, kill -9) is taken over.
 */
async function lockDataDir(dataDir: string): Promise<() => void> {
  const file = join(dataDir, LOCK_FILE);
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 3) throw error;
    }
    const holder = await lockHolder(file);
    if (holder) throw new DatabaseInUseError(dataDir, holder);
    // Stale: move it aside under a name of our own, so only one process takes it over; if a live
    // process's lock was moved in the meantime, it goes back.
    const aside = `${file}.${process.pid}.stale`;
    if (
      !(await rename(file, aside).then(
        () => true,
        () => false,
      ))
    )
      continue;
    const moved = await lockHolder(aside);
    if (moved) {
      await link(aside, file).catch(() => {});
      await unlink(aside).catch(() => {});
      throw new DatabaseInUseError(dataDir, moved);
    }
    await unlink(aside).catch(() => {});
  }
  const release = () => {
    try {
      if (readFileSync(file, 'utf8').trim() === String(process.pid)) unlinkSync(file);
    } catch {
      // Already gone.
    }
  };
  process.once('exit', release);
  return () => {
    process.off('exit', release);
    release();
  };
}

async function openPglite(options: DatabaseOptions): Promise<Database> {
  const dataDir = options.dataDir ?? defaultDataDir;
  const inMemory = dataDir.startsWith('memory://');
  if (!inMemory) await mkdir(dataDir, { recursive: true });
  const unlock = inMemory ? () => {} : await lockDataDir(dataDir);
  let pglite: PGlite;
  try {
    pglite = await PGlite.create({ ...(inMemory ? {} : { dataDir }), ...(options.loadDataDir ? { loadDataDir: options.loadDataDir } : {}) });
  } catch (error) {
    unlock();
    throw new DatabaseConfigError(`cannot open the embedded database in ${dataDir}: ${(error as Error).message}`);
  }
  // Prisma's adapter opens each transaction with pglite.transaction: the one opened in a
  // withTransactionSql scope is that scope's.
  const transactions = new Proxy(pglite, {
    get(target, key) {
      if (key === 'transaction') {
        return <T>(work: (tx: Transaction) => Promise<T>) => {
          const slot = openingTransaction?.getStore();
          return target.transaction((tx) => {
            if (slot && !slot.sql) {
              slot.sql = async <Row>(query: Prisma.Sql) => {
                const text = query.text;
                options.onQuery?.(text);
                const result = await tx.query<Row>(text, query.values.map(utcMoment), { parsers: PGLITE_PARSERS });
                return { rows: result.rows, count: result.affectedRows ?? 0 };
              };
            }
            return work(tx);
          });
        };
      }
      const value = Reflect.get(target, key, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  const prisma = createClient(new PrismaPGlite(transactions), options);
  return {
    kind: 'pglite',
    waiting: () => 0,
    connections: () => ({ total: 1, idle: 1, waiting: 0 }),
    description: inMemory ? 'embedded PGlite in memory' : `embedded PGlite in ${dataDir}`,
    prisma,
    async sql<Row>(query: Prisma.Sql) {
      const text = query.text;
      options.onQuery?.(text);
      return (await pglite.query<Row>(text, query.values, { parsers: PGLITE_PARSERS })).rows;
    },
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
    async listen(channel, onMessage) {
      const unlisten = await pglite.listen(channel, onMessage);
      return () => unlisten();
    },
    dumpDataDir: () => pglite.dumpDataDir('none'),
    async close() {
      await prisma.$disconnect();
      await pglite.close();
      unlock();
    },
  };
}

/** The statements of one transaction, run on its connection by the driver itself: rows, and how many rows were written. */
export type TransactionSql = <Row>(query: Prisma.Sql) => Promise<{ rows: Row[]; count: number }>;

/**
 * The transaction being opened in this async scope (withTransactionSql), whose connection the
 * pool (or PGlite) hands over when Prisma's adapter takes it. Only where AsyncLocalStorage needs
 * no promise hooks (Node 24's AsyncContextFrame): on older Node it would slow every promise of
 * every request (limits.ts), and transactionSql is null there, so Prisma runs every statement.
 */
const openingTransaction =
  Number(process.versions.node.split('.')[0]) >= 24 && !`${process.execArgv.join(' ')} ${process.env.NODE_OPTIONS ?? ''}`.includes('--no-async-context-frame')
    ? new AsyncLocalStorage<{ sql?: TransactionSql }>()
    : undefined;

/**
 * Opens a transaction (`open` calls `prisma.$transaction` once) so that, inside its work,
 * transactionSql runs raw statements on its connection through the driver, as Database.sql
 * does outside transactions: Prisma's query interpreter, spans and result mapping were most of a
 * raw statement's CPU in a transaction (BENCHMARKS.md). Values come as Database.sql gives them.
 */
export function withTransactionSql<T>(open: () => Promise<T>): Promise<T> {
  return openingTransaction ? openingTransaction.run({}, open) : open();
}

/**
 * The statements of the transaction whose work is running here, when withTransactionSql opened
 * it (on Node 24); otherwise null, and the caller sends its statement through the transaction's
 * Prisma client. Only the transaction's own work may call it: it knows the scope, not the client.
 */
export function transactionSql(): TransactionSql | null {
  return openingTransaction?.getStore()?.sql ?? null;
}

/** Runs the work it is given one after the other, in the order given, whether each succeeds or not. */
function oneAtATime(): <T>(work: () => Promise<T>) => Promise<T> {
  let last: Promise<unknown> = Promise.resolve();
  return (work) => {
    const result = last.then(work);
    last = result.catch(() => {});
    return result;
  };
}

const inTurns = new WeakSet<pg.PoolClient>();
/**
 * Makes the statements sent on a transaction's connection wait for each other. Prisma's query
 * interpreter reads the relations of a nested read (a `join` of its plan) at once, and inside a
 * transaction those reads share its one connection: pg 8 queues them itself but deprecates it,
 * pg 9 refuses the second (the tests fail on that deprecation). Promise calls only: pg's own
 * callback calls (the pool's `query`) already wait for their connection.
 */
function statementsInTurn(client: pg.PoolClient): void {
  if (inTurns.has(client)) return;
  inTurns.add(client);
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  const inTurn = oneAtATime();
  client.query = ((...args: unknown[]) =>
    typeof args.at(-1) === 'function' ? query(...args) : inTurn(() => query(...args) as Promise<unknown>)) as typeof client.query;
}

/** LISTEN on a connection of its own (a pooled one would lose them when returned to the pool). */
class PostgresListener {
  private client: pg.Client | null = null;
  private connecting: Promise<pg.Client> | null = null;
  private readonly handlers = new Map<string, Set<(payload: string) => void>>();
  /** Subscriptions that start at once share the connection: their LISTEN statements take turns. */
  private readonly inTurn = oneAtATime();
  private closed = false;
  private readonly url: string;

  constructor(url: string) {
    this.url = url;
  }

  async listen(channel: string, onMessage: (payload: string) => void): Promise<() => Promise<void>> {
    if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`not a channel name: ${channel}`);
    let handlers = this.handlers.get(channel);
    if (!handlers) {
      this.handlers.set(channel, (handlers = new Set()));
      await this.inTurn(async () => (await this.connection()).query(`LISTEN ${channel}`));
    }
    handlers.add(onMessage);
    return async () => {
      handlers.delete(onMessage);
    };
  }

  private connection(): Promise<pg.Client> {
    if (this.client) return Promise.resolve(this.client);
    this.connecting ??= (async () => {
      const client = new pg.Client({ connectionString: this.url });
      client.on('notification', (message) => {
        for (const handler of this.handlers.get(message.channel) ?? []) handler(message.payload ?? '');
      });
      client.on('error', () => this.reconnect(client));
      client.on('end', () => this.reconnect(client));
      await client.connect();
      for (const channel of this.handlers.keys()) await client.query(`LISTEN ${channel}`);
      this.client = client;
      this.connecting = null;
      return client;
    })();
    return this.connecting;
  }

  private reconnect(lost: pg.Client): void {
    if (this.client !== lost || this.closed) return;
    this.client = null;
    const retry = (delayMs: number) =>
      setTimeout(() => {
        if (this.closed) return;
        this.connection().catch(() => {
          this.connecting = null;
          retry(Math.min(delayMs * 2, 10_000));
        });
      }, delayMs).unref();
    retry(250);
  }

  async close(): Promise<void> {
    this.closed = true;
    const client = this.client ?? (await this.connecting?.catch(() => null));
    this.client = null;
    await client?.end().catch(() => {});
  }
}

/**
 * Prepared-statement names, one per SQL text, so PostgreSQL parses and plans each text once per
 * connection rather than at every query (for Prisma's adapter, and the benchmark's baseline). At
 * most `max` texts get a name: a stream of distinct texts (lists of every length) stays unnamed
 * and cannot fill each connection's memory on the server.
 */
export function preparedStatementNames(max = 1_000, prefix = 'prisma_'): (query: { sql: string }) => string {
  const names = new Map<string, string>();
  return ({ sql }) => {
    let name = names.get(sql);
    if (name === undefined && names.size < max) names.set(sql, (name = `${prefix}${names.size}`));
    return name ?? ''; // '': the unnamed statement
  };
}

// What `sql` parses differently from Prisma's $queryRaw, by type oid; the other types the drivers
// parse alike. pg would read int8 as a string and a date or a timestamp as a local-time Date.
const INT8 = 20;
const DATE = 1082;
const TIMESTAMP = 1114;
const asBigInt = (text: string) => BigInt(text);
const asUtcDay = (text: string) => new Date(`${text}T00:00:00.000Z`);
const asUtcMoment = (text: string) => new Date(`${text.replace(' ', 'T')}Z`);
const PG_TYPES = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === INT8
      ? asBigInt
      : oid === DATE
        ? asUtcDay
        : oid === TIMESTAMP
          ? asUtcMoment
          : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};
/** A moment as UTC text, as Prisma sends it: pg would send a Date in the process's zone, which a timestamp column (no zone) keeps as it reads. */
const utcMoment = (value: unknown) => (value instanceof Date ? value.toISOString() : value);
const PGLITE_PARSERS = { [INT8]: asBigInt, [DATE]: asUtcDay, [TIMESTAMP]: asUtcMoment };

function createClient(adapter: SqlDriverAdapterFactory, options: DatabaseOptions): PrismaClient {
  const cache = options.queryPlanCacheMaxSize === undefined ? {} : { queryPlanCacheMaxSize: options.queryPlanCacheMaxSize };
  if (!options.onQuery) return new PrismaClient({ adapter, ...cache });
  const onQuery = options.onQuery;
  const prisma = new PrismaClient({ adapter, ...cache, log: [{ emit: 'event', level: 'query' }] });
  prisma.$on('query', (event) => onQuery(event.query));
  return prisma;
}
