// One product as one school holds it: the "Manage licenses" page of that product.
import { Prisma, type License, type Product, type School } from '@school-licenses/db';
import type { GraphQLResolveInfo } from 'graphql';
import { loadSchoolProduct as readSchoolProduct, parseSchoolProductKey, schoolProductKey } from '../data/school-products.ts';
import { selectionKey, selectsPath } from '../data/selection.ts';
import { availabilityOfProducts, type Availability, type LicenseCounts } from '../domain/availability.ts';
import type { EndDateCount } from '../domain/errors.ts';
import { licensePagesOfProducts, type LicenseColumn, type LicenseListFilter, type LicensePage, type PageWindow } from '../domain/license-pages.ts';
import type { LicenseState } from '../domain/license-state.ts';
import { requestLoader } from './batch.ts';
import { queryFromInfo } from '@pothos/plugin-prisma';
import { builder } from './builder.ts';
import { actorOf } from './run.ts';
import { holderLoader } from './holders.ts';
import type { Context } from './context.ts';
import { schoolTime } from './school-time.ts';
import { LicenseStateEnum } from './enums.ts';
import { EndDateCountRef } from './errors.ts';

export interface SchoolProduct {
  school: School;
  product: Product;
}

interface Pool {
  kind: 'pool';
  schoolProduct: SchoolProduct;
  endDates: EndDateCount[];
}

type AvailabilityShape = LicenseCounts & { kind: 'availability'; schoolProduct: SchoolProduct; pool: Pool };

/** The inner part of the global IDs of a school's product, its pool and its availability. */
const keyOfProduct = ({ school, product }: SchoolProduct) => schoolProductKey({ schoolId: school.id, productId: product.id });

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
  if (found.availability) productReadsLoader(ctx).prime({ kind: 'availability', schoolProduct }, found.availability);
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
    licenses: t.prismaConnection({
      type: 'License',
      cursor: 'id',
      description: "The school's licenses of this product, earliest end date first.",
      args: {
        state: t.arg({ type: LicenseStateEnum, required: false, description: 'Only licenses in this state now.' }),
        assigned: t.arg.boolean({ required: false, description: 'Only assigned (true) or unassigned (false) licenses.' }),
        endDateFrom: t.arg({ type: 'LocalDate', required: false, description: 'Only licenses whose end date is this day or later.' }),
        endDateTo: t.arg({ type: 'LocalDate', required: false, description: 'Only licenses whose end date is this day or earlier.' }),
        user: t.arg.globalID({ required: false, description: 'Only the license assigned to this user.' }),
      },
      // The pages of every product in the list come from one statement (productReadsLoader).
      resolve: (query, schoolProduct, args, ctx, info) =>
        loadPage(ctx, {
          schoolProduct,
          args,
          ...pageAndSelection(query as PrismaPageQuery),
          selectionId: selectionKey(info),
          withCount: selectsPath(info, ['totalCount']),
          withHolders: selectsPath(info, ['edges', 'node', 'holder']) || selectsPath(info, ['nodes', 'holder']),
        }),
      totalCount: (schoolProduct, args, ctx) => licenseCountLoader(ctx).load({ schoolProduct, args }),
    }),
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

/** Whether a productQuery selects nothing but the product's own columns (no relation, no count). */
export function readsOnlyColumns({ select, include }: ReturnType<typeof productQuery>): boolean {
  return Object.keys(include ?? {}).length === 0 && Object.keys(select ?? {}).every((name) => name in Prisma.ProductScalarFieldEnum);
}

interface LicenseListArgs {
  state?: LicenseState | null | undefined;
  assigned?: boolean | null | undefined;
  endDateFrom?: Date | null | undefined;
  endDateTo?: Date | null | undefined;
  user?: { id: string } | null | undefined;
}
interface PageRequest {
  schoolProduct: SchoolProduct;
  args: LicenseListArgs;
  /** The page Pothos asks for: take, skip and cursor, as Prisma's findMany takes them. */
  page: PageWindow;
  /** What Pothos selects under each license (its columns and relations), as Prisma's select or include. */
  selection: LicenseSelection;
  /** Which field of the document asked for the page (selectionKey): equal for every product of a list, so equal selections. */
  selectionId: number;
  withCount: boolean;
  /** Read the holders with the page, so its licenses' holder field answers at once (holders.ts). */
  withHolders: boolean;
}

const filterOf = ({ state, assigned, endDateFrom, endDateTo, user }: LicenseListArgs): LicenseListFilter => ({
  state,
  assigned,
  endDateFrom,
  endDateTo,
  holderId: user?.id,
});
/** The filter of a license list as a batch key: each argument in its place, absent ones empty. */
const argsKey = ({ state, assigned, endDateFrom, endDateTo, user }: LicenseListArgs) =>
  [state ?? '', assigned ?? '', endDateFrom?.toISOString() ?? '', endDateTo?.toISOString() ?? '', user?.id ?? ''].join('|');
const filterKey = ({ schoolProduct, args }: { schoolProduct: SchoolProduct; args: LicenseListArgs }) => `${keyOfProduct(schoolProduct)}:${argsKey(args)}`;
/** Requests that differ only in their product share one statement. */
const pageGroupKey = ({ schoolProduct, args, page, selectionId, withCount, withHolders }: PageRequest) =>
  `${schoolProduct.school.id}:${argsKey(args)}:${withCount}:${withHolders}:${page.take}:${page.skip ?? 0}:${page.cursor?.id ?? ''}:${selectionId}`;

type LicenseSelection = { include?: Prisma.LicenseInclude; select?: Prisma.LicenseSelect };
type PrismaPageQuery = PageWindow & LicenseSelection;
/** Pothos' query for a connection: the window of the page, and the selection under each license. */
function pageAndSelection({ take, skip, cursor, ...selection }: PrismaPageQuery): { page: PageWindow; selection: LicenseSelection } {
  return { page: { take, skip, cursor }, selection };
}
const isLicenseColumn = (name: string): name is LicenseColumn => name in Prisma.LicenseScalarFieldEnum;
/** The License columns Pothos selects for the fields asked for (License is in select mode); all under include. */
const selectedColumns = ({ select }: LicenseSelection): LicenseColumn[] | undefined => (select ? Object.keys(select).filter(isLicenseColumn) : undefined);
/** Whether Pothos selects a relation (`order: true` or with its own selection) or a `_count` under each license. */
const selectsRelations = ({ include, select }: LicenseSelection) =>
  Object.keys(include ?? {}).length > 0 || Object.keys(select ?? {}).some((name) => !isLicenseColumn(name));

const pageKey = (key: PageRequest) => `${key.schoolProduct.product.id}:${pageGroupKey(key)}`;

type ProductRead = { kind: 'availability'; schoolProduct: SchoolProduct } | { kind: 'page'; page: PageRequest };
const readKey = (read: ProductRead) => (read.kind === 'availability' ? `availability:${keyOfProduct(read.schoolProduct)}` : `page:${pageKey(read.page)}`);

/**
 * What the fields of a list of school products read in this tick: their availability and their
 * pages of licenses. Pages with the same filters and window come from one statement
 * (licensePagesOfProducts), which also reads the availability of its products when that was asked
 * for too, as the admin view does; other availability comes from one statement per school.
 */
function productReadsLoader(ctx: Context) {
  return requestLoader<ProductRead, Availability | License[]>(ctx, 'productReads', readKey, async (reads) => {
    const results = new Map<string, Availability | License[]>();
    const availabilityBySchool = groupBy(
      reads.flatMap((read) => (read.kind === 'availability' ? [read.schoolProduct] : [])),
      (schoolProduct) => schoolProduct.school.id,
    );
    const pageGroups = [
      ...groupBy(
        reads.flatMap((read) => (read.kind === 'page' ? [read.page] : [])),
        pageGroupKey,
      ).values(),
    ];
    // A page group reads the availability of its school's products when it has every one of them.
    const withAvailability = pageGroups.map((group) => {
      const schoolId = group[0]!.schoolProduct.school.id;
      const wanted = availabilityBySchool.get(schoolId);
      const products = new Set(group.map((key) => key.schoolProduct.product.id));
      if (!wanted?.every((schoolProduct) => products.has(schoolProduct.product.id))) return [];
      availabilityBySchool.delete(schoolId);
      return wanted;
    });
    await Promise.all([
      ...pageGroups.map(async (group, index) => {
        const { today } = await schoolTime(ctx, group[0]!.schoolProduct.school.id);
        const found = await readPages(ctx, group, today, withAvailability[index]!.length > 0);
        for (const key of group) results.set(readKey({ kind: 'page', page: key }), found.get(key.schoolProduct.product.id)!.licenses);
        for (const schoolProduct of withAvailability[index]!) {
          results.set(readKey({ kind: 'availability', schoolProduct }), found.get(schoolProduct.product.id)!.availability!);
        }
      }),
      ...[...availabilityBySchool].map(async ([schoolId, group]) => {
        const { today } = await schoolTime(ctx, schoolId);
        const found = await availabilityOfProducts(
          ctx.prisma,
          schoolId,
          group.map((key) => key.product.id),
          today,
        );
        for (const schoolProduct of group) results.set(readKey({ kind: 'availability', schoolProduct }), found.get(schoolProduct.product.id)!);
      }),
    ]);
    return results;
  });
}

const loadAvailability = (ctx: Context, schoolProduct: SchoolProduct) =>
  productReadsLoader(ctx).load({ kind: 'availability', schoolProduct }) as Promise<Availability>;
const loadPage = (ctx: Context, page: PageRequest) => productReadsLoader(ctx).load({ kind: 'page', page }) as Promise<License[]>;

/**
 * The pages of one group of requests that differ only in their product, in one statement, with
 * the counts folded in when totalCount is selected. Relations selected under a license (its
 * order, its product) come from one more statement for all the pages, by license id, with
 * Pothos' selection; otherwise Pothos would load them one license at a time. The holders and
 * the counts read with the pages are primed for the holder and totalCount fields.
 */
async function readPages(ctx: Context, group: PageRequest[], today: Date, withAvailability: boolean): Promise<Map<string, LicensePage>> {
  const { schoolProduct, args, page, selection, withCount, withHolders } = group[0]!;
  const found = await licensePagesOfProducts(ctx.prisma, {
    schoolId: schoolProduct.school.id,
    productIds: group.map((key) => key.schoolProduct.product.id),
    filter: filterOf(args),
    today,
    page,
    withCount,
    holdersSeenBy: withHolders ? actorOf(ctx) : undefined,
    columns: selectedColumns(selection),
    withAvailability,
  });
  if (selectsRelations(selection)) {
    // Relations selected under the licenses: one more read for the whole page, by id.
    const ids = [...found.values()].flatMap((page) => page.licenses.map((license) => license.id));
    const withRelations = new Map(
      (await ctx.prisma.license.findMany({ ...selection, where: { id: { in: ids } } })).map((license) => [license.id, license as License]),
    );
    for (const page of found.values()) page.licenses = page.licenses.map((license) => withRelations.get(license.id)!);
  }
  for (const key of group) {
    const { totalCount } = found.get(key.schoolProduct.product.id)!;
    if (totalCount !== undefined) licenseCountLoader(ctx).prime(key, totalCount);
  }
  const holders = holderLoader(ctx);
  for (const page of found.values()) for (const [id, holder] of page.holders ?? []) holders.prime(id, holder);
  return found;
}

/** totalCount of the license lists asked for in this tick (usually primed by readPages). */
function licenseCountLoader(ctx: Context) {
  type CountRequest = { schoolProduct: SchoolProduct; args: LicenseListArgs };
  return requestLoader<CountRequest, number>(ctx, 'licenseCounts', filterKey, async (keys) => {
    const counts = new Map<string, number>();
    const groups = groupBy(keys, (key) => `${key.schoolProduct.school.id}:${argsKey(key.args)}`);
    await Promise.all(
      [...groups.values()].map(async (group) => {
        const { schoolProduct, args } = group[0]!;
        const { today } = await schoolTime(ctx, schoolProduct.school.id);
        const found = await licensePagesOfProducts(ctx.prisma, {
          schoolId: schoolProduct.school.id,
          productIds: group.map((key) => key.schoolProduct.product.id),
          filter: filterOf(args),
          today,
          page: null,
          withCount: true,
        });
        for (const key of group) counts.set(filterKey(key), found.get(key.schoolProduct.product.id)!.totalCount!);
      }),
    );
    return counts;
  });
}

function groupBy<T>(items: T[], keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  return groups;
}
