// One product as one school holds it: the "Manage licenses" page of that product.
import { Prisma } from '@school-licenses/db';
import type { FieldNode, GraphQLResolveInfo } from 'graphql';
import {
  keyOfProduct,
  licenseCountLoader,
  loadAvailability,
  type LicenseListArgs,
  loadPage,
  pageAndSelection,
  primeAvailability,
  type PrismaPageQuery,
  type SchoolProduct,
} from '../data/product-reads.ts';
import type { PageLicense } from '../domain/license-pages.ts';
import { loadSchoolProduct as readSchoolProduct, parseSchoolProductKey } from '../data/school-products.ts';
import { fieldsUnder, selectionKey, selectsAny, selectsPath } from '../data/selection.ts';
import type { HolderColumn, PageWindow } from '../domain/license-pages.ts';
import type { LicenseCounts } from '../domain/availability.ts';
import type { EndDateCount } from '../domain/errors.ts';
import { formatPrismaCursor, prismaConnectionHelpers, queryFromInfo } from '@pothos/plugin-prisma';
import { builder } from './builder.ts';
import type { Context } from './context.ts';
import { LicenseStateEnum } from './enums.ts';
import { EndDateCountRef } from './errors.ts';
import { LICENSE_TYPE_SELECT, LicenseRef } from './license.ts';
import { userColumnsOf } from './user.ts';

export type { SchoolProduct };

interface Pool {
  kind: 'pool';
  schoolProduct: SchoolProduct;
  endDates: EndDateCount[];
}

type AvailabilityShape = LicenseCounts & { kind: 'availability'; schoolProduct: SchoolProduct; pool: Pool };

/**
 * A school's product by `<schoolId>:<productId>`: null unless the viewer may read its licenses.
 * With its availability, the school, the product, the viewer's right and the availability are
 * one statement (data/school-products.ts); the availability is kept for the fields that show it.
 */
export async function loadSchoolProduct(ctx: Context, key: string, withAvailability = false): Promise<SchoolProduct | null> {
  const parsed = parseSchoolProductKey(key);
  if (!parsed) return null;
  const found = await readSchoolProduct(ctx, { ...parsed, withAvailability });
  if (!found) return null;
  const schoolProduct = { school: found.school, product: found.product };
  if (found.availability) primeAvailability(ctx, schoolProduct, found.availability);
  return schoolProduct;
}

/** The fields of SchoolProduct that show its availability. */
export const AVAILABILITY_FIELDS = [['availability'], ['reusablePool']] as const;

async function poolOf(ctx: Context, schoolProduct: SchoolProduct): Promise<Pool> {
  return { kind: 'pool', schoolProduct, endDates: (await loadAvailability(ctx, schoolProduct)).pool };
}

export async function availabilityOf(ctx: Context, schoolProduct: SchoolProduct): Promise<AvailabilityShape> {
  const { pool, ...counts } = await loadAvailability(ctx, schoolProduct);
  return { ...counts, kind: 'availability', schoolProduct, pool: { kind: 'pool', schoolProduct, endDates: pool } };
}

const isShape = (value: unknown, kind: string) => typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === kind;

const ReusableLicensePoolRef = builder.node(builder.objectRef<Pool>('ReusableLicensePool'), {
  description:
    "A school's reusable started licenses of one product: started, not expired, assigned to nobody. They keep their own end dates, so an admin reusing one chooses which end date to give.",
  id: { resolve: (pool) => keyOfProduct(pool.schoolProduct) },
  loadOne: async (key, ctx) => {
    const schoolProduct = await loadSchoolProduct(ctx, key, true);
    return schoolProduct ? poolOf(ctx, schoolProduct) : null;
  },
  isTypeOf: (value) => isShape(value, 'pool'),
  fields: (t) => ({
    endDates: t.field({
      type: [EndDateCountRef],
      description: 'The end dates with licenses left, earliest first.',
      resolve: (pool) => pool.endDates,
    }),
    total: t.int({
      description: 'How many reusable started licenses there are in all.',
      resolve: (pool) => pool.endDates.reduce((sum, group) => sum + group.count, 0),
    }),
    needsEndDateChoice: t.boolean({
      description: 'True when there are several end dates: assignLicense with reuseStarted then needs an endDate.',
      resolve: (pool) => pool.endDates.length > 1,
    }),
  }),
});

export const LicenseAvailabilityRef = builder.node(builder.objectRef<AvailabilityShape>('LicenseAvailability'), {
  description: 'What the (i) button in "Manage licenses" tells: which licenses the school can assign, and what is coming.',
  id: { resolve: (availability) => keyOfProduct(availability.schoolProduct) },
  loadOne: async (key, ctx) => {
    const schoolProduct = await loadSchoolProduct(ctx, key, true);
    return schoolProduct ? availabilityOf(ctx, schoolProduct) : null;
  },
  isTypeOf: (value) => isShape(value, 'availability'),
  fields: (t) => ({
    newLicenses: t.exposeInt('newLicenses', { description: 'Delivered licenses not yet started; assigning one starts it now.' }),
    reusable: t.field({
      type: ReusableLicensePoolRef,
      description: 'Started licenses that can be reused, per end date.',
      resolve: (availability) => availability.pool,
    }),
    assignable: t.int({
      description: 'New plus reusable started licenses: how many more users can get a license now.',
      resolve: (a) => a.newLicenses + a.pool.endDates.reduce((sum, group) => sum + group.count, 0),
    }),
    assigned: t.exposeInt('assigned', { description: 'Licenses held by a user right now (not expired).' }),
    expired: t.exposeInt('expired', {
      description: 'Licenses past their end date (whether or not the sweep has run): held by nobody, never reusable.',
    }),
    awaitingDelivery: t.exposeInt('awaitingDelivery', { description: 'Licenses ordered but not yet delivered by the supplier.' }),
    autoStartingSoon: t.exposeInt('autoStartingSoon', {
      description: 'New licenses that start by themselves within 30 days, 4 months after their delivery.',
    }),
    nextAutoStartOn: t.expose('nextAutoStartOn', {
      type: 'LocalDate',
      nullable: true,
      description: "The day the next new license starts by itself (at its 00:00 in the organisation's time zone), unless assigned before.",
    }),
  }),
});

export const SchoolProductRef = builder.node(builder.objectRef<SchoolProduct>('SchoolProduct'), {
  description: 'One product as one school holds it: its licenses, its reusable pool and its availability.',
  id: { resolve: keyOfProduct },
  loadOne: (key, ctx) => loadSchoolProduct(ctx, key),
  isTypeOf: (value) => typeof value === 'object' && value !== null && 'school' in value && 'product' in value,
  fields: (t) => ({
    school: t.prismaField({
      type: 'School',
      description: 'The school.',
      resolve: (query, { school }, _args, ctx) => ctx.prisma.school.findUniqueOrThrow({ ...query, where: { id: school.id } }),
    }),
    product: t.prismaField({
      type: 'Product',
      description: 'The product.',
      // Loaded with this field's selection by whoever made the SchoolProduct (productQuery).
      resolve: (_query, { product }) => product,
    }),
    reusablePool: t.field({
      type: ReusableLicensePoolRef,
      description: 'The reusable started licenses, grouped by end date.',
      resolve: (schoolProduct, _args, ctx) => poolOf(ctx, schoolProduct),
    }),
    availability: t.field({
      type: LicenseAvailabilityRef,
      description: 'What can be assigned now and what is coming: the (i) button of "Manage licenses".',
      resolve: (schoolProduct, _args, ctx) => availabilityOf(ctx, schoolProduct),
    }),
    // The connection prismaConnection would build (same types, window, cursors and errors), with
    // each edge's cursor formatted only when asked for: the admin view shows one cursor of its
    // thousand edges, and prismaConnection formats all of them (BENCHMARKS.md).
    licenses: t.connection(
      {
        type: LicenseRef,
        description: "The school's licenses of this product, earliest end date first.",
        args: {
          state: t.arg({ type: LicenseStateEnum, required: false, description: 'Only licenses in this state now.' }),
          assigned: t.arg.boolean({ required: false, description: 'Only assigned (true) or unassigned (false) licenses.' }),
          endDateFrom: t.arg({ type: 'LocalDate', required: false, description: 'Only licenses whose end date is this day or later.' }),
          endDateTo: t.arg({ type: 'LocalDate', required: false, description: 'Only licenses whose end date is this day or earlier.' }),
          user: t.arg.globalID({ required: false, description: 'Only the license assigned to this user.' }),
        },
        // The pages of every product in the list come from one statement (productReadsLoader).
        resolve: (schoolProduct, args, ctx, info) => licenseConnection(ctx, info, schoolProduct, args),
      },
      {
        fields: (c) => ({
          totalCount: c.int({ resolve: (connection) => connection.totalCount() }),
        }),
      },
    ),
  }),
});

/**
 * The Prisma query that loads a SchoolProduct's product with the selection of its `product`
 * field, so that field sends no statement of its own. `info` is that of the field returning
 * SchoolProduct(s).
 */
export function productQuery(ctx: Context, info: GraphQLResolveInfo): { select?: Prisma.ProductSelect; include?: Prisma.ProductInclude } {
  return queryFromInfo({ context: ctx, info, path: ['product'], typeName: 'Product' }) as never;
}

/**
 * Whether Pothos' query of a model selects nothing but its own columns (no relation, no count):
 * `columns` is the model's scalar field enum (the product's by default, for a productQuery).
 */
export function readsOnlyColumns({ select, include }: { select?: object; include?: object }, columns: object = Prisma.ProductScalarFieldEnum): boolean {
  return Object.keys(include ?? {}).length === 0 && Object.keys(select ?? {}).every((name) => name in columns);
}

/** Whether a productQuery selects the product's columns and its supplier's name, and nothing else (the admin view's products). */
export function selectsSupplierNameOnly({ select, include }: ReturnType<typeof productQuery>): boolean {
  const supplier = (select ?? include)?.supplier;
  const others = Object.keys(select ?? include ?? {}).filter((name) => name !== 'supplier');
  return (
    !(select && include) &&
    typeof supplier === 'object' &&
    supplier !== null &&
    Object.keys(supplier).join() === 'select' &&
    Object.keys(supplier.select ?? {}).join() === 'name' &&
    supplier.select?.name === true &&
    others.every((name) => name in Prisma.ProductScalarFieldEnum)
  );
}

/** The License connection's window and errors, as prismaConnection makes them (made at the first page: License is defined by then). */
let licensePages: ReturnType<typeof licensePagesHelper> | undefined;
const licensePagesHelper = () => prismaConnectionHelpers(builder, 'License', { cursor: 'id' });

/** An edge whose cursor is formatted when read. */
class LicenseEdge {
  node: PageLicense;
  constructor(node: PageLicense) {
    this.node = node;
  }
  get cursor(): string {
    return formatPrismaCursor(this.node, 'id');
  }
}

type ConnectionArgs = LicenseListArgs & { first?: number | null; last?: number | null; after?: string | null; before?: string | null };

/**
 * A page of a school product's licenses as a connection, with its pageInfo as Pothos'
 * wrapConnectionResult gives it: the window reads one row more than the page to tell whether
 * there is more.
 */
/** What a license list asks for, the same for every product of a list: its page, its selection and the columns they read. */
interface ListPlan {
  page: PageWindow;
  selection: ReturnType<typeof pageAndSelection>['selection'];
  /** Edges, nodes or pageInfo are selected: a page to read (else only the count). */
  withPage: boolean;
  withCount: boolean;
  /** The holder's columns, when the licenses' holder is selected. */
  holderColumns: readonly HolderColumn[] | null;
}

/**
 * The plans of the license lists of a request by the field's nodes (the executor passes the same
 * array for every product of a list): a list of twenty products works out its plan once.
 */
const listPlans = new WeakMap<Context, WeakMap<readonly FieldNode[], ListPlan>>();

function listPlan(ctx: Context, info: GraphQLResolveInfo, args: ConnectionArgs): ListPlan {
  let plans = listPlans.get(ctx);
  const known = plans?.get(info.fieldNodes);
  if (known) return known;
  licensePages ??= licensePagesHelper();
  // Validates the window too (the errors prismaConnection gives), for each product that asks.
  const query = licensePages.getQuery(
    args,
    ctx,
    () => queryFromInfo({ context: ctx, info, typeName: 'License', paths: [['nodes'], ['edges', 'node']] }) as never,
  );
  const { page, selection } = pageAndSelection(query as PrismaPageQuery);
  // The fields under each holder selected (none: the holder is not asked for).
  const holders = [fieldsUnder(info, ['edges', 'node', 'holder']), fieldsUnder(info, ['nodes', 'holder'])].filter((fields) => fields !== null);
  const plan: ListPlan = {
    page,
    selection,
    withPage: selectsAny(info, [['edges'], ['nodes'], ['pageInfo']]),
    withCount: selectsPath(info, ['totalCount']),
    holderColumns: holders.length ? userColumnsOf(holders.flatMap((fields) => [...fields])) : null,
  };
  // A field with a selection of its own (a column beyond the type's, a relation) is planned by
  // Pothos along the path of each list, which its query records: then each list plans its own.
  if (!selection.include && Object.keys(selection.select ?? {}).every((name) => name in LICENSE_TYPE_SELECT)) {
    if (!plans) listPlans.set(ctx, (plans = new WeakMap()));
    plans.set(info.fieldNodes, plan);
  }
  return plan;
}

async function licenseConnection(ctx: Context, info: GraphQLResolveInfo, schoolProduct: SchoolProduct, args: ConnectionArgs) {
  const { page, selection, withPage, withCount, holderColumns } = listPlan(ctx, info, args);
  const totalCount = () => {
    const loader = licenseCountLoader(ctx);
    return loader.peek({ schoolProduct, args }) ?? loader.load({ schoolProduct, args });
  };
  // Only the count asked for: no page to read.
  if (!withPage) {
    return { edges: [], pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null }, totalCount };
  }
  const rows = await loadPage(ctx, {
    schoolProduct,
    args,
    page,
    selection,
    selectionId: selectionKey(info),
    withCount,
    holderColumns,
  });
  const gotFullResults = rows.length === Math.abs(page.take);
  const backward = args.before != null || args.last != null;
  const nodes = gotFullResults ? rows.slice(page.take < 0 ? 1 : 0, page.take < 0 ? rows.length : -1) : rows;
  const edges = nodes.map((node) => new LicenseEdge(node));
  return {
    edges,
    pageInfo: {
      hasNextPage: args.before != null ? true : args.last != null ? false : gotFullResults,
      hasPreviousPage: args.after != null ? true : backward ? gotFullResults : false,
      get startCursor() {
        return edges[0]?.cursor ?? null;
      },
      get endCursor() {
        return edges.at(-1)?.cursor ?? null;
      },
    },
    totalCount,
  };
}
