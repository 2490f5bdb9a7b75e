// Pieces of the raw statements the domain writes where Prisma's queries cannot say it.
import { Prisma } from '@school-licenses/db';

/**
 * A list of ids as one uuid[] parameter. One text parameter split in SQL: the same statement
 * whatever the number of ids, and the same on PostgreSQL and PGlite.
 */
export function uuidArray(ids: readonly string[]): Prisma.Sql {
  return Prisma.sql`string_to_array(${ids.join(',')}, ',')::uuid[]`;
}

/** How a column is selected and read back: as it comes, or as a moment. */
type ColumnKind = 'value' | 'moment';
export type Columns<Row> = { readonly [Name in keyof Row]-?: ColumnKind };

/**
 * The columns of a table under `alias`, named `<prefix><column>`. Moments come as epoch
 * milliseconds: Prisma would parse each timestamp from text, which cost a page of 1,000 licenses
 * more than the rest of reading it (BENCHMARKS.md).
 */
export function selectColumns<Row>(columns: Columns<Row>, alias: string, prefix = ''): Prisma.Sql {
  return Prisma.raw(
    Object.entries<ColumnKind>(columns)
      .map(([name, kind]) =>
        kind === 'moment'
          ? `(extract(epoch FROM ${alias}."${name}") * 1000)::float8 AS "${prefix}${name}"`
          : `${alias}."${name}" AS "${prefix}${name}"`,
      )
      .join(', '),
  );
}

/**
 * Reads back the row selectColumns selected (with the same prefix) from a result row: null when
 * its first column is null, as when an outer join found nothing. The column names are worked out
 * once, not per row: a page reads a thousand rows.
 */
export function rowReader<Row>(columns: Columns<Row>, prefix = ''): (result: Record<string, unknown>) => Row | null {
  const fields = Object.entries<ColumnKind>(columns).map(([name, kind]) => ({ name, key: `${prefix}${name}`, moment: kind === 'moment' }));
  const first = fields[0]!.key;
  return (result) => {
    if (result[first] === null) return null;
    const row: Record<string, unknown> = {};
    for (const { name, key, moment } of fields) {
      const value = result[key];
      row[name] = moment && value !== null ? new Date(value as number) : value;
    }
    return row as Row;
  };
}
