// One product as one school holds it: the "Manage licenses" page of that product.
import type { Prisma, Product, School } from '@school-licenses/db';
import { licenseCounts, reusablePool, type LicenseCounts } from '../domain/availability.ts';
import type { EndDateCount } from '../domain/errors.ts';
import { licensesInState } from '../domain/license-state.ts';
import { builder } from './builder.ts';
import { LicenseStateEnum } from './enums.ts';
import { EndDateCountRef } from './errors.ts';

export interface SchoolProduct {
  school: School;
  product: Product;
}

interface Pool {
  endDates: EndDateCount[];
}

const ReusableLicensePoolRef = builder.objectRef<Pool>('ReusableLicensePool').implement({
  description:
    "A school's reusable started licenses of one product: started, not expired, assigned to nobody. They keep their own end dates, so an admin reusing one chooses which end date to give.",
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

const LicenseAvailabilityRef = builder
  .objectRef<LicenseCounts & { pool: Pool }>('LicenseAvailability')
  .implement({
    description: 'What the (i) button in "Manage licenses" tells: which licenses the school can assign, and what is coming.',
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
      assigned: t.exposeInt('assigned', { description: 'Licenses assigned to a user right now.' }),
      expired: t.exposeInt('expired', { description: 'Licenses past their end date.' }),
      awaitingDelivery: t.exposeInt('awaitingDelivery', { description: 'Licenses ordered but not yet delivered by the supplier.' }),
      autoStartingSoon: t.exposeInt('autoStartingSoon', {
        description: 'New licenses that start by themselves within 30 days, 4 months after their delivery.',
      }),
      nextAutoStartAt: t.expose('nextAutoStartAt', {
        type: 'DateTime',
        nullable: true,
        description: 'When the next new license starts by itself, unless assigned before.',
      }),
    }),
  });

export const SchoolProductRef = builder.objectRef<SchoolProduct>('SchoolProduct').implement({
  description: 'One product as one school holds it: its licenses, its reusable pool and its availability.',
  fields: (t) => ({
    school: t.prismaField({
      type: 'School',
      description: 'The school.',
      resolve: (query, { school }, _args, ctx) => ctx.prisma.school.findUniqueOrThrow({ ...query, where: { id: school.id } }),
    }),
    product: t.prismaField({
      type: 'Product',
      description: 'The product.',
      resolve: (query, { product }, _args, ctx) => ctx.prisma.product.findUniqueOrThrow({ ...query, where: { id: product.id } }),
    }),
    reusablePool: t.field({
      type: ReusableLicensePoolRef,
      description: 'The reusable started licenses, grouped by end date.',
      resolve: async ({ school, product }, _args, ctx) => ({
        endDates: await reusablePool(ctx.prisma, { schoolId: school.id, productId: product.id }, ctx.clock.now()),
      }),
    }),
    availability: t.field({
      type: LicenseAvailabilityRef,
      description: 'What can be assigned now and what is coming: the (i) button of "Manage licenses".',
      resolve: async ({ school, product }, _args, ctx) => {
        const key = { schoolId: school.id, productId: product.id };
        const now = ctx.clock.now();
        const [counts, endDates] = await Promise.all([licenseCounts(ctx.prisma, key, now), reusablePool(ctx.prisma, key, now)]);
        return { ...counts, pool: { endDates } };
      },
    }),
    licenses: t.prismaConnection({
      type: 'License',
      cursor: 'id',
      description: "The school's licenses of this product, earliest end date first.",
      args: {
        state: t.arg({ type: LicenseStateEnum, required: false, description: 'Only licenses in this state now.' }),
        assigned: t.arg.boolean({ required: false, description: 'Only assigned (true) or unassigned (false) licenses.' }),
        endDateFrom: t.arg({ type: 'DateTime', required: false, description: 'Only licenses ending at or after this moment.' }),
        endDateTo: t.arg({ type: 'DateTime', required: false, description: 'Only licenses ending at or before this moment.' }),
        user: t.arg.globalID({ required: false, description: 'Only the license assigned to this user.' }),
      },
      resolve: (query, { school, product }, args, ctx) =>
        ctx.prisma.license.findMany({
          ...query,
          where: licenseFilter(school.id, product.id, args, ctx.clock.now()),
          orderBy: [{ endDate: 'asc' }, { id: 'asc' }],
        }),
      totalCount: ({ school, product }, args, ctx) =>
        ctx.prisma.license.count({ where: licenseFilter(school.id, product.id, args, ctx.clock.now()) }),
    }),
  }),
});

function licenseFilter(
  schoolId: string,
  productId: string,
  args: {
    state?: 'NEW' | 'STARTED' | 'EXPIRED' | null;
    assigned?: boolean | null;
    endDateFrom?: Date | null;
    endDateTo?: Date | null;
    user?: { id: string } | null;
  },
  now: Date,
): Prisma.LicenseWhereInput {
  const conditions: Prisma.LicenseWhereInput[] = [{ schoolId, productId }];
  if (args.state) conditions.push(licensesInState(args.state, now));
  if (args.assigned != null) conditions.push({ assignedUserId: args.assigned ? { not: null } : null });
  if (args.endDateFrom) conditions.push({ endDate: { gte: args.endDateFrom } });
  if (args.endDateTo) conditions.push({ endDate: { lte: args.endDateTo } });
  if (args.user) conditions.push({ assignedUserId: args.user.id });
  return { AND: conditions };
}
