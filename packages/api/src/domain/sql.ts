// Pieces of the raw statements the domain writes where Prisma's queries cannot say it.
import { randomBytes } from 'node:crypto';
import { Prisma, transactionSql } from '@school-licenses/db';
import type { Tx } from './actor.ts';

/** A column of the table under `alias` in a raw statement, named as its Prisma model names it. */
export function sqlColumn<Row>(alias: string, name: keyof Row & string): Prisma.Sql {
  return Prisma.raw(`${alias}."${name}"`);
}

/**
 * A list of ids as one uuid[] parameter. One text parameter split in SQL, because array
 * parameters differ between the drivers: the same statement on PostgreSQL and PGlite, whatever
 * the number of ids.
 */
export function uuidArray(ids: readonly string[]): Prisma.Sql {
  return Prisma.sql`string_to_array(${ids.join(',')}, ',')::uuid[]`;
}

/**
 * The rows `alias(id, n)` of a short list of ids (n: the id's place in it, from 1), one uuid parameter each. PostgreSQL then counts the
 * rows as many as the ids when it plans the prepared statement once for all values, as when it
 * plans it for the values at hand; with one array parameter it guesses ten, and for fewer ids it
 * planned the statement again at every execution (schema/prepared-plans.test.ts shows it). One
 * statement per length of the list: for lists as short as a school's products.
 */
export function idRows(ids: readonly string[], alias: string): Prisma.Sql {
  return Prisma.sql`unnest(ARRAY[${Prisma.join(ids.map((id) => Prisma.sql`${id}::uuid`))}]) WITH ORDINALITY AS ${Prisma.raw(alias)}(id, n)`;
}

/**
 * `column` is one of `ids`. One id is compared as one uuid: with `= ANY(array)` PostgreSQL
 * guesses ten ids, so the prepared statement's generic plan looks dearer than planning each time,
 * and it plans the statement again at every execution (schema/prepared-plans.test.ts shows it).
 */
export function idIn(column: Prisma.Sql, ids: readonly string[]): Prisma.Sql {
  return ids.length === 1 ? Prisma.sql`${column} = ${ids[0]}::uuid` : Prisma.sql`${column} = ANY(${uuidArray(ids)})`;
}

/** The rows of one raw read run on the pool's driver itself, outside Prisma: Database.sql. */
export type SqlRead = <Row>(query: Prisma.Sql) => Promise<Row[]>;

/**
 * Where a hot raw read runs: a transaction, or, outside one, the driver itself (Database.sql),
 * which skips Prisma's query interpreter: an eighth of the CPU of a small read (BENCHMARKS.md,
 * "Small reads"). Both give the same values (the db package's test).
 */
export type Reads = Tx | SqlRead;

export function readRows<Row>(reads: Reads, query: Prisma.Sql): Promise<Row[]> {
  return typeof reads === 'function' ? reads<Row>(query) : reads.$queryRaw<Row[]>(query);
}

/**
 * The rows of a raw statement of the transaction `tx`, called from its own work: on its
 * connection through the driver when inTransaction opened it (the db package's
 * transactionSql), which skips Prisma's query interpreter, most of a raw statement's CPU
 * (about 0.19 ms of CPU a statement against 0.03); else through `tx`. The same values either way.
 */
export async function txRows<Row>(tx: Tx, query: Prisma.Sql): Promise<Row[]> {
  const sql = transactionSql();
  return sql ? (await sql<Row>(query)).rows : tx.$queryRaw<Row[]>(query);
}

/** A raw write of the transaction `tx`, as txRows runs it: how many rows it wrote (or returned). */
export async function txWrite(tx: Tx, query: Prisma.Sql): Promise<number> {
  const sql = transactionSql();
  return sql ? (await sql(query)).count : tx.$executeRaw(query);
}

/**
 * The reader of a statement to confirm in that statement (auth/confirmed-actor.ts): the select
 * of their row, and what to do with it (undefined when they are gone).
 */
export interface Viewer {
  rowSql: Prisma.Sql;
  seen(row: Record<string, unknown> | undefined): void;
}

/**
 * The rows of `read`, with the viewer's row read in the same statement when there is one to
 * confirm: every row carries the viewer's columns; rows whose `keyColumn` is null (the read found
 * nothing) are left out.
 */
export async function readRowsAs<Row extends Record<string, unknown>>(
  reads: Reads,
  viewer: Viewer | undefined,
  read: Prisma.Sql,
  keyColumn: string,
): Promise<Row[]> {
  if (!viewer) return readRows<Row>(reads, read);
  const rows = await readRows<Row>(reads, Prisma.sql`SELECT r.*, v.* FROM (${viewer.rowSql}) v LEFT JOIN LATERAL (${read}) r ON true`);
  viewer.seen(rows[0]);
  return rows.filter((row) => row[keyColumn] != null);
}

/** How a column is selected and read back: as it comes, as a moment, or as a day. */
type ColumnKind = 'value' | 'moment' | 'day';
export type Columns<Row> = { readonly [Name in keyof Row]-?: ColumnKind };

/**
 * The columns of a table under `alias`, named `<prefix><column>`. Moments come as epoch
 * milliseconds (read them back with `moment`): Prisma would parse each timestamp from text, which
 * cost a page of 1,000 licenses more than the rest of reading it (BENCHMARKS.md). Days come as
 * days since 1970 (read them back with `epochDay`): a number, not a text to parse.
 */
export function selectColumns<Row>(columns: Partial<Columns<Row>>, alias: string, prefix = ''): Prisma.Sql {
  return Prisma.raw(
    Object.entries(columns as Record<string, ColumnKind>)
      .map(([name, kind]) =>
        kind === 'moment'
          ? `(extract(epoch FROM ${alias}."${name}") * 1000)::float8 AS "${prefix}${name}"`
          : kind === 'day'
            ? `(${alias}."${name}" - DATE '1970-01-01') AS "${prefix}${name}"`
            : `${alias}."${name}" AS "${prefix}${name}"`,
      )
      .join(', '),
  );
}

/** A moment selectColumns selected, back as a Date. */
export function moment(value: unknown): Date {
  return new Date(value as number);
}

/** A day selectColumns selected (days since 1970-01-01), back as the Date of its 00:00 UTC. */
export function epochDay(value: unknown): Date {
  return new Date((value as number) * 86_400_000);
}

/** A day a statement selected as text ("YYYY-MM-DD"), back as the Date of its 00:00 UTC. */
export function day(value: unknown): Date {
  return new Date(`${value as string}T00:00:00.000Z`);
}

/** A json value a statement selected: the drivers hand json back parsed or as text. */
export function parseJson<T>(value: unknown): T | null {
  if (value === null || value === undefined) return null;
  return (typeof value === 'string' ? JSON.parse(value) : value) as T;
}

/**
 * A UUID version 7 (RFC 9562: the milliseconds since 1970, then random bits), time-ordered like
 * the ids Prisma gives (`@default(uuid(7))`), for the rows a raw statement inserts.
 */
export function uuidV7(milliseconds = Date.now()): string {
  const bytes = randomBytes(16);
  bytes.writeUIntBE(milliseconds, 0, 6);
  bytes[6] = (bytes[6]! & 0x0f) | 0x70;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** `count` UUIDv7s of one moment, in ascending order: rows inserted together keep their order by id. */
export function uuidV7s(count: number, milliseconds = Date.now()): string[] {
  return Array.from({ length: count }, () => uuidV7(milliseconds)).sort();
}

/**
 * Rows as a table of a statement, from one text parameter (json_to_recordset), whatever their
 * number: `columns` maps each column to its SQL type; a row's missing key is NULL, a Date is its
 * UTC moment. For bulk writes keyed by many rows (ending many memberships at once).
 */
export function jsonRows(rows: readonly Record<string, unknown>[], columns: Record<string, string>, alias = 'r'): Prisma.Sql {
  const types = Object.entries(columns)
    .map(([name, type]) => `"${name}" ${type}`)
    .join(', ');
  return Prisma.sql`json_to_recordset(${JSON.stringify(rows)}::json) AS ${Prisma.raw(alias)}(${Prisma.raw(types)})`;
}

/**
 * Inserts rows with one statement and one text parameter (jsonRows), whatever their
 * number: Prisma's createMany binds each value as a parameter of its own and builds every row in
 * the process, about a millisecond a row (BENCHMARKS.md, "Roster import"). `columns` maps each
 * column to its SQL type; a row's missing key is NULL, a Date is written as its UTC moment.
 */
export async function insertRows(
  tx: { $executeRaw: (query: Prisma.Sql) => Promise<number> },
  table: string,
  columns: Record<string, string>,
  rows: readonly Record<string, unknown>[],
): Promise<number> {
  if (rows.length === 0) return 0;
  const names = Object.keys(columns)
    .map((name) => `"${name}"`)
    .join(', ');
  return tx.$executeRaw(Prisma.sql`INSERT INTO ${Prisma.raw(`"${table}"`)} (${Prisma.raw(names)}) SELECT ${Prisma.raw(names)} FROM ${jsonRows(rows, columns)}`);
}
