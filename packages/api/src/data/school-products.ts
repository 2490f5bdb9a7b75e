// The reads of a school's product ("Manage licenses", its (i) box and its pool) that the schema
// calls: the school, the product, the reader's right to read the school's licenses and, when
// asked for, the availability, in one statement (the reader's right is a condition of the read,
// not a round trip before it). Rows are typed: each column list is written against the Prisma
// model's type (`satisfies Columns<…>`), so a column added to the model fails the typecheck
// here, and the rows are parsed back into those types at one place (readSchool, readProduct).
import { Prisma, type Product, type School } from '@school-licenses/db';
import { readableSchoolLicensesSql, timeZoneOf, type Actor } from '../domain/actor.ts';
import { availabilitySql, readAvailability, type Availability } from '../domain/availability.ts';
import { requestLoader } from '../schema/batch.ts';
import { readTime, type Context } from '../schema/context.ts';
import { actorOf, readsOf } from '../schema/run.ts';
import { idIn, moment, readRows, readRowsAs, selectColumns, type Columns, type Reads, type Viewer } from '../domain/sql.ts';
import { viewerToConfirm } from '../auth/confirmed-actor.ts';

/** One school's product, as a batch key: built by schoolProductKey only, never by hand. */
export interface SchoolProductKey {
  schoolId: string;
  productId: string;
}

/** The string a SchoolProductKey is batched and cached under (and the inner part of the global IDs of a school's product). */
export const schoolProductKey = ({ schoolId, productId }: SchoolProductKey): string => `${schoolId}:${productId}`;

/** The SchoolProductKey of the inner part of a global ID; null when malformed. */
export function parseSchoolProductKey(key: string): SchoolProductKey | null {
  const [schoolId, productId, ...rest] = key.split(':');
  return schoolId && productId && rest.length === 0 ? { schoolId, productId } : null;
}

export interface SchoolProductRead {
  school: School;
  product: Product;
  /** Only when asked for. */
  availability?: Availability;
}

const SCHOOL_COLUMNS = {
  id: 'value',
  organisationId: 'value',
  name: 'value',
  schoolUnitCode: 'value',
  externalId: 'value',
  createdAt: 'moment',
  endedAt: 'moment',
} as const satisfies Columns<School>;

const PRODUCT_COLUMNS = {
  id: 'value',
  supplierId: 'value',
  name: 'value',
  description: 'value',
  validityMonths: 'value',
  deliveryMode: 'value',
  createdAt: 'moment',
  retiredAt: 'moment',
} as const satisfies Columns<Product>;

type Row = Record<string, unknown>;
const momentOrNull = (value: unknown) => (value === null ? null : moment(value));

function readSchool(row: Row): School {
  return {
    id: row['s.id'] as string,
    organisationId: row['s.organisationId'] as string,
    name: row['s.name'] as string,
    schoolUnitCode: row['s.schoolUnitCode'] as string | null,
    externalId: row['s.externalId'] as string | null,
    createdAt: moment(row['s.createdAt']),
    endedAt: momentOrNull(row['s.endedAt']),
  };
}

function readProduct(row: Row): Product {
  return {
    id: row['p.id'] as string,
    supplierId: row['p.supplierId'] as string,
    name: row['p.name'] as string,
    description: row['p.description'] as string,
    validityMonths: Number(row['p.validityMonths']),
    deliveryMode: row['p.deliveryMode'] as Product['deliveryMode'],
    createdAt: moment(row['p.createdAt']),
    retiredAt: momentOrNull(row['p.retiredAt']),
  };
}

/**
 * The products `productIds` of the school `schoolId` as `actor` may read them, in one statement,
 * by product id; a product the statement does not return is unknown, or the school is not the
 * actor's to read. `today` is the day in the school's zone; `viewer`: the actor's row to confirm in
 * the same statement (readRowsAs).
 */
export async function readSchoolProducts(
  reads: Reads,
  actor: Actor,
  today: Date,
  { schoolId, productIds, withAvailability }: { schoolId: string; productIds: readonly string[]; withAvailability: boolean },
  viewer?: Viewer,
): Promise<Map<string, SchoolProductRead>> {
  const found = new Map<string, SchoolProductRead>();
  if (productIds.length === 0) return found;
  const availability = withAvailability
    ? { column: Prisma.sql`, a.availability`, join: Prisma.sql`CROSS JOIN LATERAL (${availabilitySql(schoolId, today)}) a` }
    : { column: Prisma.empty, join: Prisma.empty };
  const rows = await readRowsAs<Row>(
    reads,
    viewer,
    Prisma.sql`
    SELECT ${selectColumns(SCHOOL_COLUMNS, 's', 's.')}, ${selectColumns(PRODUCT_COLUMNS, 'p', 'p.')} ${availability.column}
    FROM "School" s
    JOIN "Product" p ON ${idIn(Prisma.raw('p.id'), productIds)}
    ${availability.join}
    WHERE s.id = ${schoolId}::uuid AND ${readableSchoolLicensesSql(actor, 's')}`,
    'p.id',
  );
  for (const row of rows) {
    const product = readProduct(row);
    found.set(product.id, {
      school: readSchool(row),
      product,
      ...(withAvailability ? { availability: readAvailability(row.availability, today) } : {}),
    });
  }
  return found;
}

/**
 * The school `schoolId` with its columns, null when there is none, in one statement on `reads`
 * (outside a transaction, the driver itself: Database.sql). The caller checks that the reader may
 * see it (canSeeSchool, visibleSchools' rule on a school read).
 */
export async function readSchoolById(reads: Reads, schoolId: string): Promise<School | null> {
  const [row] = await readRows<Row>(reads, Prisma.sql`SELECT ${selectColumns(SCHOOL_COLUMNS, 's', 's.')} FROM "School" s WHERE s.id = ${schoolId}::uuid`);
  return row ? readSchool(row) : null;
}

/** A product as a school's product list reads it: with its supplier's name when asked for. */
export type ListedProduct = Product & { supplier?: { name: string } };

/**
 * The products the school `schoolId` has licenses or orders of, by name (then id), in one
 * statement, as Prisma's findMany would give them with `include: { supplier: { select: { name:
 * true } } }` when `withSupplierName`. `reads`: outside a transaction, the driver itself
 * (Database.sql), which skips Prisma's query interpreter. The caller checks the reader's right.
 */
export async function readProductsOfSchool(reads: Reads, schoolId: string, withSupplierName: boolean): Promise<ListedProduct[]> {
  const rows = await readRows<Row>(
    reads,
    Prisma.sql`
    SELECT ${selectColumns(PRODUCT_COLUMNS, 'p', 'p.')} ${withSupplierName ? Prisma.sql`, su.name AS "supplierName"` : Prisma.empty}
    FROM "Product" p ${withSupplierName ? Prisma.sql`JOIN "Supplier" su ON su.id = p."supplierId"` : Prisma.empty}
    WHERE EXISTS (SELECT 1 FROM "License" l WHERE l."schoolId" = ${schoolId}::uuid AND l."productId" = p.id)
      OR EXISTS (SELECT 1 FROM "Order" o WHERE o."schoolId" = ${schoolId}::uuid AND o."productId" = p.id)
    ORDER BY p.name, p.id`,
  );
  return rows.map((row) => (withSupplierName ? { ...readProduct(row), supplier: { name: row.supplierName as string } } : readProduct(row)));
}

/** What a request asks of a school's product: with its availability (and pool) or not. */
export interface SchoolProductRequest extends SchoolProductKey {
  withAvailability: boolean;
}
const requestKey = (request: SchoolProductRequest) => `${schoolProductKey(request)}:${request.withAvailability ? 'availability' : 'product'}`;

/**
 * A school's product as the request's actor may read it, null when unknown or not theirs to read;
 * the products of one school asked for in one tick come from one statement. Only users and
 * integrations read a school's licenses, and they know their organisation's zone when they
 * authenticate, so the day needs no statement of its own.
 */
export function loadSchoolProduct(ctx: Context, request: SchoolProductRequest): Promise<SchoolProductRead | null> {
  const actor = actorOf(ctx);
  return requestLoader<SchoolProductRequest, SchoolProductRead | null>(ctx, 'schoolProducts', requestKey, async (requests) => {
    const results = new Map<string, SchoolProductRead | null>(requests.map((request) => [requestKey(request), null]));
    const timeZone = timeZoneOf(actor);
    if (!timeZone) return results;
    const { today } = readTime(ctx, timeZone);
    const groups = new Map<string, SchoolProductRequest[]>();
    for (const request of requests) {
      const key = `${request.schoolId}:${request.withAvailability}`;
      groups.set(key, [...(groups.get(key) ?? []), request]);
    }
    await Promise.all(
      [...groups.values()].map(async (group) => {
        const { schoolId, withAvailability } = group[0]!;
        const found = await readSchoolProducts(
          readsOf(ctx),
          actor,
          today,
          {
            schoolId,
            productIds: group.map((request) => request.productId),
            withAvailability,
          },
          viewerToConfirm(ctx),
        );
        for (const request of group) results.set(requestKey(request), found.get(request.productId) ?? null);
      }),
    );
    return results;
  }).load(request);
}
