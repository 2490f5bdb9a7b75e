// The reads of the fields of a school's products ("Manage licenses"): their availability, their
// pages of licenses and their counts, batched per request (schema/batch.ts) so that a list of
// products costs a statement per group of equal requests, not one per product. The keys are built
// by typed functions (argsKey, pageGroupKey, readKey), never by serialising objects; the
// selection under the licenses is keyed by the document's field (selectionKey), and @skip and
// @include are honoured (selection.ts). The statements are the domain's (license-pages.ts,
// availability.ts).
import { Prisma, type License, type Product, type School } from '@school-licenses/db';
import { availabilityOfProducts, type Availability } from '../domain/availability.ts';
import {
  licensePagesOfProducts,
  type HolderColumn,
  type LicenseColumn,
  type LicenseListFilter,
  type LicensePage,
  type PageLicense,
  type PageWindow,
} from '../domain/license-pages.ts';
import type { LicenseState } from '../domain/license-state.ts';
import { requestLoader } from '../schema/batch.ts';
import type { Context } from '../schema/context.ts';
import { actorOf, readsOf } from '../schema/run.ts';
import { schoolTime } from '../schema/school-time.ts';
import { schoolProductKey } from './school-products.ts';

export interface SchoolProduct {
  school: School;
  product: Product;
}

/** The inner part of the global IDs of a school's product, its pool and its availability. */
export const keyOfProduct = ({ school, product }: SchoolProduct) => schoolProductKey({ schoolId: school.id, productId: product.id });

export interface LicenseListArgs {
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
  /** The holder's columns the page's licenses' holder field needs, read with the page (null: no holder asked for). */
  holderColumns: readonly HolderColumn[] | null;
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
// The holder's columns follow from the selection, which selectionId stands for.
const pageGroupKey = ({ schoolProduct, args, page, selectionId, withCount }: PageRequest) =>
  `${schoolProduct.school.id}:${argsKey(args)}:${withCount}:${page.take}:${page.skip ?? 0}:${page.cursor?.id ?? ''}:${selectionId}`;

type LicenseSelection = { include?: Prisma.LicenseInclude; select?: Prisma.LicenseSelect };
export type PrismaPageQuery = PageWindow & LicenseSelection;
/** Pothos' query for a connection: the window of the page, and the selection under each license. */
export function pageAndSelection({ take, skip, cursor, ...selection }: PrismaPageQuery): { page: PageWindow; selection: LicenseSelection } {
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
  return requestLoader<ProductRead, Availability | PageLicense[]>(ctx, 'productReads', readKey, async (reads) => {
    const results = new Map<string, Availability | PageLicense[]>();
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
          readsOf(ctx),
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

export const loadAvailability = (ctx: Context, schoolProduct: SchoolProduct) =>
  productReadsLoader(ctx).load({ kind: 'availability', schoolProduct }) as Promise<Availability>;
export const loadPage = (ctx: Context, page: PageRequest) => productReadsLoader(ctx).load({ kind: 'page', page }) as Promise<PageLicense[]>;

/**
 * The pages of one group of requests that differ only in their product, in one statement, with
 * the counts folded in when totalCount is selected. Relations selected under a license (its
 * order, its product) come from one more statement for all the pages, by license id, with
 * Pothos' selection; otherwise Pothos would load them one license at a time. Each license
 * carries its holder, read with the page with the columns its selection needs, so the holders
 * are not primed into the request's holder loader (holders.ts), whose users have every column;
 * the counts read with the pages are primed for the totalCount fields.
 */
async function readPages(ctx: Context, group: PageRequest[], today: Date, withAvailability: boolean): Promise<Map<string, LicensePage>> {
  const { schoolProduct, args, page, selection, withCount, holderColumns } = group[0]!;
  const found = await licensePagesOfProducts(readsOf(ctx), {
    schoolId: schoolProduct.school.id,
    productIds: group.map((key) => key.schoolProduct.product.id),
    filter: filterOf(args),
    today,
    page,
    withCount,
    holdersSeenBy: holderColumns ? actorOf(ctx) : undefined,
    holderColumns: holderColumns ?? undefined,
    columns: selectedColumns(selection),
    withAvailability,
  });
  if (selectsRelations(selection)) {
    // Relations selected under the licenses: one more read for the whole page, by id.
    const ids = [...found.values()].flatMap((page) => page.licenses.map((license) => license.id));
    const withRelations = new Map(
      (await ctx.prisma.license.findMany({ ...selection, where: { id: { in: ids } } })).map((license) => [license.id, license as License]),
    );
    // Each keeps what the page worked out for it (its state, its end date shown, its holder).
    for (const page of found.values()) page.licenses = page.licenses.map((license) => ({ ...license, ...withRelations.get(license.id)! }));
  }
  for (const key of group) {
    const { totalCount } = found.get(key.schoolProduct.product.id)!;
    if (totalCount !== undefined) licenseCountLoader(ctx).prime(key, totalCount);
  }
  return found;
}

/** totalCount of the license lists asked for in this tick (usually primed by readPages). */
export function licenseCountLoader(ctx: Context) {
  type CountRequest = { schoolProduct: SchoolProduct; args: LicenseListArgs };
  return requestLoader<CountRequest, number>(ctx, 'licenseCounts', filterKey, async (keys) => {
    const counts = new Map<string, number>();
    const groups = groupBy(keys, (key) => `${key.schoolProduct.school.id}:${argsKey(key.args)}`);
    await Promise.all(
      [...groups.values()].map(async (group) => {
        const { schoolProduct, args } = group[0]!;
        const { today } = await schoolTime(ctx, schoolProduct.school.id);
        const found = await licensePagesOfProducts(readsOf(ctx), {
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

/** An availability read with the product itself (school-products.ts): the fields that show it send nothing more. */
export function primeAvailability(ctx: Context, schoolProduct: SchoolProduct, availability: Availability): void {
  productReadsLoader(ctx).prime({ kind: 'availability', schoolProduct }, availability);
}
