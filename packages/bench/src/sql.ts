// The one SQL interface the data generator and the hand-written baseline use, over the `pg`
// driver (PostgreSQL) or PGlite's own query API: no ORM in between.
import { PGlite } from '@electric-sql/pglite';
import { preparedStatementNames } from '@school-licenses/db';
import pg from 'pg';

export interface Sql {
  query<Row = Record<string, unknown>>(text: string, params?: unknown[]): Promise<Row[]>;
  /** Runs `work` in one transaction on one connection. */
  transaction<T>(work: (sql: Omit<Sql, 'transaction' | 'close'>) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

// Prisma stores DateTime as `timestamp(3)` (without time zone) holding UTC. Read it as UTC,
// whatever the process's time zone. Parameters are sent as ISO strings for the same reason.
const parseTimestamp = (value: string) => new Date(`${value.replace(' ', 'T')}Z`);

export async function openSql(
  target: { url?: string | undefined; dataDir?: string | undefined },
  maxConnections = 10,
  { preparedStatements = true } = {},
): Promise<Sql> {
  if (target.url) {
    const pool = new pg.Pool({
      connectionString: target.url,
      max: maxConnections,
      types: {
        getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
          oid === 1114 ? parseTimestamp : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
      },
    });
    pool.on('error', () => {});
    // Statements with parameters are prepared once per connection, as the API's are (DatabaseOptions).
    const nameOf = preparedStatementNames();
    const statement = (text: string, values?: unknown[]): pg.QueryConfig => ({
      text,
      values,
      name: preparedStatements && values?.length ? nameOf({ sql: text }) : '',
    });
    return {
      query: async <Row>(text: string, params?: unknown[]) => (await pool.query(statement(text, params))).rows as Row[],
      async transaction(work) {
        const client = await pool.connect();
        try {
          await client.query('BEGIN');
          const result = await work({ query: async <Row>(text: string, params?: unknown[]) => (await client.query(statement(text, params))).rows as Row[] });
          await client.query('COMMIT');
          return result;
        } catch (error) {
          await client.query('ROLLBACK').catch(() => {});
          throw error;
        } finally {
          client.release();
        }
      },
      close: () => pool.end(),
    };
  }
  const dataDir = target.dataDir ?? 'memory://';
  const db = await PGlite.create(dataDir.startsWith('memory://') ? undefined : dataDir, { parsers: { 1114: parseTimestamp } });
  return fromPglite(db);
}

export function fromPglite(db: PGlite): Sql {
  return {
    query: async <Row>(text: string, params?: unknown[]) => (await db.query<Row>(text, params)).rows,
    transaction: (work) => db.transaction((tx) => work({ query: async <Row>(text: string, params?: unknown[]) => (await tx.query<Row>(text, params)).rows })),
    close: () => db.close(),
  };
}
