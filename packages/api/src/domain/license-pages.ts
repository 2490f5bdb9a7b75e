// The license list of "Manage licenses": a page of a school's licenses of each of many products,
// earliest end date first, how many match, and when asked the holders and each product's
// availability, in one statement. Prisma writes a page per
// product of a nested read as a JSON document built per license in the database and parsed back
// in Node, which cost the admin view more than the rest of its request; these flat rows come from
// one LATERAL read of the (schoolId, productId, endDate, id) index per product (BENCHMARKS.md).
import { Prisma, type License, type User } from '@school-licenses/db';
import { visibleUsersSql, type Actor } from './actor.ts';
import { availabilitySql, readAvailability, type Availability } from './availability.ts';
import {
  countedInStateSql,
  heldCountedSql,
  heldLicensesSql,
  holderIdToday,
  licenseState,
  licensesInStateSql,
  shownEndDate,
  type LicenseState,
} from './license-state.ts';
import { countersOf } from './license-counts.ts';
import { sqlDay } from './days.ts';
import { epochDay, moment, readRows, selectColumns, sqlColumn, idRows, type Columns, type Reads } from './sql.ts';

export interface LicenseListFilter {
  /** Only licenses in this state today. */
  state?: LicenseState | null | undefined;
  /** Only licenses held (true) or held by nobody (false) today: one held past its end date is held by nobody. */
  assigned?: boolean | null | undefined;
  /** Days: only licenses ending on or after this day, on or before that one. */
  endDateFrom?: Date | null | undefined;
  endDateTo?: Date | null | undefined;
  /** Only the license this user holds today. */
  holderId?: string | null | undefined;
}

/**
 * Which rows of the ordered list make the page, as Prisma's findMany reads them: `take` rows
 * (backwards when negative) after skipping `skip`, counted from the `cursor` row when given.
 * Unlike Prisma, a cursor row that no longer matches the filter skips no other row.
 */
export interface PageWindow {
  take: number;
  skip?: number | undefined;
  cursor?: { id: string } | undefined;
}

/**
 * A license of a page, with what its fields show today worked out once, when the page is read
 * (license-state.ts): a page of the admin view is a thousand licenses, and each field working
 * out the state again cost more than reading it.
 */
export type PageLicense = License & {
  state: LicenseState;
  /** The end date shown today: none while new. */
  shownEndDate: Date | null;
  /**
   * Who holds it today, with the User columns the page was asked for (holderColumns); null when
   * nobody does (or it has expired) or the reader may not see them; undefined unless the holders
   * were read.
   */
  holder: User | null | undefined;
};

export interface LicensePage {
  licenses: PageLicense[];
  /** How many licenses match the filter in all; only when asked for. */
  totalCount?: number;
  /** The product's availability (availability.ts); only when asked for. */
  availability?: Availability;
}

export interface LicensePagesRequest {
  schoolId: string;
  productIds: string[];
  filter: LicenseListFilter;
  /** The day it is in the school's time zone. */
  today: Date;
  /** The page to read; null reads only the counts. */
  page: PageWindow | null;
  withCount: boolean;
  /** Also read the holders of the page's licenses, as this actor may see them (visibleUsers). */
  holdersSeenBy?: Actor | undefined;
  /** The holders' columns to read; all when left out. `id` is always read. */
  holderColumns?: readonly HolderColumn[] | undefined;
  /**
   * The License columns to read, as Pothos selects them for the fields asked for; all when left
   * out. Left-out columns are undefined in the licenses read. `id` is always read.
   */
  columns?: readonly LicenseColumn[] | undefined;
  /** Also read each product's availability (availabilitySql) in the same statement; with a page only. */
  withAvailability?: boolean | undefined;
}

export type LicenseColumn = keyof License & string;
export type HolderColumn = keyof User & string;

export const LICENSE_COLUMNS = {
  id: 'value',
  schoolId: 'value',
  productId: 'value',
  orderId: 'value',
  deliveredAt: 'moment',
  autoStartOn: 'day',
  startedAt: 'moment',
  endDate: 'day',
  assignedUserId: 'value',
} as const satisfies Columns<License>;

export const HOLDER_COLUMNS = {
  id: 'value',
  organisationId: 'value',
  name: 'value',
  email: 'value',
  externalId: 'value',
  isOrganisationAdmin: 'value',
  createdAt: 'moment',
  endedAt: 'moment',
} as const satisfies Columns<User>;

/** The columns a page license's state and holder follow from (PageLicense), with `id`, which keys the page. */
const STATE_COLUMNS = ['id', 'startedAt', 'autoStartOn', 'endDate', 'assignedUserId'] as const satisfies LicenseColumn[];

/**
 * The License columns to select: those asked for and those of the state. The school and the
 * product are the request's, not read again on every row.
 */
function pickColumns(columns: readonly LicenseColumn[] | undefined): Partial<Columns<License>> {
  const names = new Set<LicenseColumn>([...STATE_COLUMNS, ...(columns ?? (Object.keys(LICENSE_COLUMNS) as LicenseColumn[]))]);
  names.delete('schoolId');
  names.delete('productId');
  return Object.fromEntries([...names].map((name) => [name, LICENSE_COLUMNS[name]]));
}

/**
 * The holder columns to select: those asked for, but not `id`, which is the license's
 * assignedUserId (the page reads whether the reader sees the holder instead, as "holderSeen").
 */
function pickHolderColumns(columns: readonly HolderColumn[] | undefined): Partial<Columns<User>> {
  const { id: _id, ...all } = HOLDER_COLUMNS;
  if (!columns) return all;
  return Object.fromEntries(columns.flatMap((name) => (name === 'id' ? [] : [[name, HOLDER_COLUMNS[name]]])));
}

// The rows read back column by column, written out rather than looped over the lists above: a
// page reads a thousand rows, and a loop of computed keys cost twice as much.
type ResultRow = Record<string, unknown>;

/** A moment column as a Date; null stays null, and undefined (not selected) stays undefined. */
const momentIfRead = (value: unknown) => (value === undefined || value === null ? value : moment(value));
/** A day column as a Date, likewise. */
const dayIfRead = (value: unknown) => (value === undefined || value === null ? value : epochDay(value));

/**
 * The license of a page row, with the columns the page selected (the others undefined); null
 * when the product has no license in the page.
 */
export function readLicense(row: ResultRow): License | null {
  if (row.id === null) return null;
  return {
    id: row.id,
    schoolId: row.schoolId,
    productId: row.productId,
    orderId: row.orderId,
    deliveredAt: momentIfRead(row.deliveredAt),
    autoStartOn: dayIfRead(row.autoStartOn),
    startedAt: momentIfRead(row.startedAt),
    endDate: dayIfRead(row.endDate),
    assignedUserId: row.assignedUserId,
  } as License;
}

/** The holder of a page row; null when nobody holds the license or the reader may not see them. */
export function readHolder(row: ResultRow): User | null {
  return row['holder.id'] === null ? null : holderOf(row, row['holder.id'] as string);
}

/** The user `id` of a row's `holder.` columns; the columns not read stay undefined. */
function holderOf(row: ResultRow, id: string): User {
  return {
    id,
    organisationId: row['holder.organisationId'] as string,
    name: row['holder.name'] as string,
    email: row['holder.email'] as string,
    externalId: row['holder.externalId'] as string | null,
    isOrganisationAdmin: row['holder.isOrganisationAdmin'] as boolean,
    createdAt: momentIfRead(row['holder.createdAt']) as Date,
    endedAt: momentIfRead(row['holder.endedAt']) as Date | null,
  };
}

/**
 * The license of a page row, of the school and product it was read for, with what it shows on
 * `today`; null when the product has no license in the page. `withHolder`: the row has the holder's
 * columns (with only some columns read, the others are undefined).
 */
function readPageLicense(row: ResultRow, schoolId: string, productId: string, today: Date, withHolder: boolean): PageLicense | null {
  if (row.id === null) return null;
  const license = {
    id: row.id as string,
    schoolId,
    productId,
    orderId: row.orderId as string,
    deliveredAt: momentIfRead(row.deliveredAt) as Date,
    autoStartOn: epochDay(row.autoStartOn),
    startedAt: momentIfRead(row.startedAt) as Date | null,
    endDate: epochDay(row.endDate),
    assignedUserId: row.assignedUserId as string | null,
    state: 'NEW' as LicenseState,
    shownEndDate: null as Date | null,
    holder: undefined as User | null | undefined,
  };
  const state = licenseState(license, today);
  license.state = state;
  license.shownEndDate = shownEndDate(license, state);
  if (withHolder) {
    const holderId = holderIdToday(license, state);
    license.holder = holderId === null ? null : readPageHolder(row, holderId);
  }
  return license;
}

/** The holder `id` of a page row with the columns read (the others undefined); null when the reader may not see them. */
function readPageHolder(row: ResultRow, id: string): User | null {
  return row.holderSeen === true ? holderOf(row, id) : null;
}

/**
 * The page (and count) of every product asked for, by product id; empty pages included. `reads`:
 * a transaction, or outside one the driver itself (Database.sql), as a query's view reads them.
 */
export async function licensePagesOfProducts(reads: Reads, request: LicensePagesRequest): Promise<Map<string, LicensePage>> {
  const { schoolId, productIds, filter, today, page, withCount, holdersSeenBy, holderColumns: holderColumnsAsked, columns, withAvailability } = request;
  const pages = new Map<string, LicensePage>(productIds.map((id) => [id, { licenses: [] }]));
  if (productIds.length === 0 || (!page && !withCount)) return pages;

  // Each row names its product by its place in productIds (p.n, from 1): a small integer, not a uuid's text per row.
  const products = idRows(productIds, 'p');
  const matching = (alias: string) =>
    Prisma.join(
      [
        Prisma.sql`${sqlColumn<License>(alias, 'schoolId')} = ${schoolId}::uuid`,
        Prisma.sql`${sqlColumn<License>(alias, 'productId')} = p.id`,
        ...filterSql(filter, today, alias),
      ],
      ' AND ',
    );
  // Counted from the license counters (license-counts.ts) when the filter can be: a few rows per
  // product whatever its licenses; a filter on the holder counts the licenses themselves.
  const counters = countedFilterSql(filter, today, 'c');
  const count = !withCount
    ? Prisma.empty
    : counters
      ? Prisma.sql`LEFT JOIN LATERAL (SELECT coalesce(sum(c.count), 0) AS n FROM ${countersOf(schoolId, Prisma.sql`p.id`)} ${counters}) counted ON true`
      : Prisma.sql`LEFT JOIN LATERAL (SELECT count(*) AS n FROM "License" c WHERE ${matching('c')}) counted ON true`;
  const countColumn = withCount ? Prisma.sql`counted.n` : Prisma.sql`NULL::bigint`;

  if (!page) {
    const rows = await readRows<{ productId: string; totalCount: bigint }>(
      reads,
      Prisma.sql`SELECT p.id::text AS "productId", ${countColumn} AS "totalCount" FROM ${products} ${count}`,
    );
    for (const row of rows) pages.get(row.productId)!.totalCount = Number(row.totalCount);
    return pages;
  }

  const backwards = page.take < 0;
  const direction = Prisma.raw(backwards ? 'DESC' : 'ASC');
  const skip = page.skip ?? 0;
  // Prisma counts the cursor row among the skipped ones; here it is left out by the comparison.
  const afterCursor = page.cursor
    ? Prisma.sql`AND (l."endDate", l.id) ${Prisma.raw(backwards ? (skip > 0 ? '<' : '<=') : skip > 0 ? '>' : '>=')}
        (SELECT "endDate", id FROM "License" WHERE id = ${page.cursor.id}::uuid)`
    : Prisma.empty;
  const offset = page.cursor && skip > 0 ? skip - 1 : skip;
  const holders = holdersSeenBy
    ? Prisma.sql`LEFT JOIN LATERAL (SELECT * FROM "User" h WHERE h.id = l."assignedUserId" AND ${visibleUsersSql(holdersSeenBy, 'h')}) h ON true`
    : Prisma.empty;
  const holderPicked = pickHolderColumns(holderColumnsAsked);
  const holderColumns = !holdersSeenBy
    ? Prisma.empty
    : Object.keys(holderPicked).length === 0
      ? Prisma.sql`, h.id IS NOT NULL AS "holderSeen"`
      : Prisma.sql`, h.id IS NOT NULL AS "holderSeen", ${selectColumns(holderPicked, 'h', 'holder.')}`;
  // The count and the availability on the first row of each product only (null on the others: a
  // thousand rows parse nothing more), the availability joined before the page, so it is computed
  // once per product. The window's order is the statement's, so they share one sort.
  const firstRow = Prisma.sql`row_number() OVER (PARTITION BY p.n ORDER BY l."endDate", l.id) = 1`;
  const availability = withAvailability
    ? {
        column: Prisma.sql`, CASE WHEN ${firstRow} THEN a.availability END AS "availability"`,
        join: Prisma.sql`CROSS JOIN LATERAL (${availabilitySql(schoolId, today)}) a`,
      }
    : { column: Prisma.empty, join: Prisma.empty };
  const rows = await readRows<{ pageProduct: number; totalCount: bigint | null } & Record<string, unknown>>(
    reads,
    Prisma.sql`
    SELECT p.n::int AS "pageProduct", ${withCount ? Prisma.sql`CASE WHEN ${firstRow} THEN counted.n END` : countColumn} AS "totalCount", ${selectColumns(pickColumns(columns), 'l')} ${holderColumns} ${availability.column}
    FROM ${products}
    ${availability.join}
    LEFT JOIN LATERAL (
      SELECT * FROM "License" l WHERE ${matching('l')} ${afterCursor}
      ORDER BY l."endDate" ${direction}, l.id ${direction}
      LIMIT ${Math.abs(page.take)} OFFSET ${offset}
    ) l ON true
    ${holders}
    ${count}
    ORDER BY p.n, l."endDate", l.id`,
  );
  const pageList = productIds.map((id) => pages.get(id)!);
  for (const row of rows) {
    const productId = productIds[row.pageProduct - 1]!;
    const found = pageList[row.pageProduct - 1]!;
    if (row.totalCount !== null) found.totalCount = Number(row.totalCount);
    if (row.availability != null) found.availability = readAvailability(row.availability, today);
    // A product without a matching license still has its row, with a null license.
    const license = readPageLicense(row, schoolId, productId, today, !!holdersSeenBy);
    if (license) found.licenses.push(license);
  }
  return pages;
}

/** The filter on counter rows under `alias`, as `AND …` conditions; null when it filters on something they do not count (the holder). */
function countedFilterSql(filter: LicenseListFilter, today: Date, alias: string): Prisma.Sql | null {
  if (filter.holderId) return null;
  const endDate = Prisma.raw(`${alias}."endDate"`);
  const held = heldCountedSql(today, alias);
  const conditions: Prisma.Sql[] = [Prisma.sql`TRUE`];
  if (filter.state) conditions.push(countedInStateSql(filter.state, today, alias));
  if (filter.assigned != null) conditions.push(filter.assigned ? held : Prisma.sql`NOT ${held}`);
  if (filter.endDateFrom) conditions.push(Prisma.sql`${endDate} >= ${sqlDay(filter.endDateFrom)}`);
  if (filter.endDateTo) conditions.push(Prisma.sql`${endDate} <= ${sqlDay(filter.endDateTo)}`);
  return Prisma.sql`AND ${Prisma.join(conditions, ' AND ')}`;
}

function filterSql(filter: LicenseListFilter, today: Date, alias: string): Prisma.Sql[] {
  const column = (name: keyof License & string) => sqlColumn<License>(alias, name);
  const conditions: Prisma.Sql[] = [];
  const held = heldLicensesSql(today, alias);
  if (filter.state) conditions.push(licensesInStateSql(filter.state, today, alias));
  if (filter.assigned != null) conditions.push(filter.assigned ? held : Prisma.sql`NOT ${held}`);
  if (filter.endDateFrom) conditions.push(Prisma.sql`${column('endDate')} >= ${sqlDay(filter.endDateFrom)}`);
  if (filter.endDateTo) conditions.push(Prisma.sql`${column('endDate')} <= ${sqlDay(filter.endDateTo)}`);
  if (filter.holderId) conditions.push(Prisma.sql`${column('assignedUserId')} = ${filter.holderId}::uuid AND ${held}`);
  return conditions;
}
