// Renewal: the licenses of a school that end within a window, per product (and group), as a query
// and on the (i) availability of a product; an order's renewalOf. The availability type lives in
// school-product.ts: its field is added here, from this file.
import { createGraphQLError } from 'graphql-yoga';
import { canReadSchoolLicenses, visibleGroups, visibleSchools } from '../domain/actor.ts';
import { LicenseError } from '../domain/errors.ts';
import { expiringLicenses, windowEnd, type ExpiringEndDate, type ExpiringProduct, type RenewalWindow } from '../domain/renewal.ts';
import { builder } from './builder.ts';
import type { Context } from './context.ts';
import { GroupRef } from './group.ts';
import { ProductRef } from './product.ts';
import { actorOf } from './run.ts';
import { SchoolRef } from './school.ts';
import { LicenseAvailabilityRef } from './school-product.ts';
import { schoolTime } from './school-time.ts';

const ExpiringEndDateRef = builder.objectRef<ExpiringEndDate>('ExpiringEndDate').implement({
  description: 'Started licenses that share one end date within the window.',
  fields: (t) => ({
    endDate: t.expose('endDate', { type: 'LocalDate', description: 'Their last usable day.' }),
    daysLeft: t.exposeInt('daysLeft', { description: 'Days they are still usable, today included.' }),
    licenses: t.exposeInt('licenses', { description: 'How many end that day: held, or reusable (with a group: held by its members).' }),
    assigned: t.exposeInt('assigned', { description: 'How many of them someone holds.' }),
  }),
});

const ExpiringLicensesRef = builder.objectRef<ExpiringProduct>('ExpiringLicenses').implement({
  description: "A product's started licenses at a school whose end date falls within a window: what to reorder before they run out.",
  fields: (t) => ({
    product: t.prismaField({
      type: 'Product',
      description: 'The product.',
      resolve: (query, expiring, _args, ctx) => ctx.prisma.product.findUniqueOrThrow({ ...query, where: { id: expiring.productId } }),
    }),
    group: t.prismaField({
      type: 'Group',
      nullable: true,
      description: 'The group whose members hold them, when asked per group.',
      resolve: (query, expiring, _args, ctx) =>
        expiring.groupId ? ctx.prisma.group.findFirst({ ...query, where: { AND: [{ id: expiring.groupId }, visibleGroups(actorOf(ctx))] } }) : null,
    }),
    licenses: t.int({ description: 'How many in all.', resolve: (e) => e.endDates.reduce((sum, d) => sum + d.licenses, 0) }),
    assigned: t.int({ description: 'How many of them someone holds.', resolve: (e) => e.endDates.reduce((sum, d) => sum + d.assigned, 0) }),
    endDates: t.field({ type: [ExpiringEndDateRef], description: 'Per end date, earliest first.', resolve: (e) => e.endDates }),
  }),
});

/** A window refused is malformed input of a query: a top-level INVALID_INPUT naming the argument. */
function windowEndOf(today: Date, window: RenewalWindow): Date {
  try {
    return windowEnd(today, window);
  } catch (error) {
    if (!(error instanceof LicenseError)) throw error;
    throw createGraphQLError(error.message, { extensions: { code: error.code, field: error.field } });
  }
}

async function expiringAt(
  ctx: Context,
  where: { schoolId: string; productId: string | null; groupId: string | null; window: RenewalWindow },
): Promise<ExpiringProduct[] | null> {
  if (where.groupId) {
    const group = await ctx.prisma.group.findFirst({ where: { AND: [{ id: where.groupId, schoolId: where.schoolId }, visibleGroups(actorOf(ctx))] } });
    if (!group) return null;
  }
  const { today } = await schoolTime(ctx, where.schoolId);
  return expiringLicenses(ctx.prisma, {
    schoolId: where.schoolId,
    productIds: where.productId ? [where.productId] : null,
    groupId: where.groupId,
    today,
    until: windowEndOf(today, where.window),
  });
}

const WINDOW = 'One of within (days, today included) and until (the last end date); without either, the next 30 days.';

builder.queryField('expiringLicenses', (t) =>
  t.field({
    type: [ExpiringLicensesRef],
    nullable: true,
    description: `The school's started licenses whose end date falls within a window, per product, with counts per end date: what to renew. ${WINDOW} Null for a school (or group) you may not read.`,
    args: {
      school: t.arg.globalID({ for: SchoolRef, required: true, description: 'The school.' }),
      product: t.arg.globalID({ for: ProductRef, required: false, description: 'Only this product.' }),
      group: t.arg.globalID({ for: GroupRef, required: false, description: "Only the licenses this group's current members hold." }),
      within: t.arg.int({ required: false, description: 'Days from today, today included (1 to 730).' }),
      until: t.arg({ type: 'LocalDate', required: false, description: 'The last end date to include.' }),
    },
    resolve: async (_root, args, ctx) => {
      const school = await ctx.prisma.school.findFirst({ where: { AND: [{ id: args.school.id }, visibleSchools(actorOf(ctx))] } });
      if (!school || !canReadSchoolLicenses(actorOf(ctx), school)) return null;
      return expiringAt(ctx, {
        schoolId: school.id,
        productId: args.product?.id ?? null,
        groupId: args.group?.id ?? null,
        window: { within: args.within, until: args.until },
      });
    },
  }),
);

builder.objectField(LicenseAvailabilityRef, 'expiring', (t) =>
  t.field({
    type: ExpiringLicensesRef,
    nullable: true,
    description: `This product's started licenses at the school ending within a window, per end date: the (i) box's renewal line. ${WINDOW}`,
    args: {
      within: t.arg.int({ required: false, description: 'Days from today, today included (1 to 730).' }),
      until: t.arg({ type: 'LocalDate', required: false, description: 'The last end date to include.' }),
      group: t.arg.globalID({ for: GroupRef, required: false, description: "Only the licenses this group's current members hold." }),
    },
    resolve: async (availability, args, ctx) => {
      const { school, product } = availability.schoolProduct;
      const found = await expiringAt(ctx, {
        schoolId: school.id,
        productId: product.id,
        groupId: args.group?.id ?? null,
        window: { within: args.within, until: args.until },
      });
      return found && (found[0] ?? { productId: product.id, groupId: args.group?.id ?? null, endDates: [] });
    },
  }),
);

export const RenewalOfInput = builder.inputType('RenewalOfInput', {
  description: "The licenses an order renews: the school's licenses of the product with one end date (of a group's members, when given).",
  fields: (t) => ({
    endDate: t.field({ type: 'LocalDate', required: true, description: 'The end date of the licenses renewed (see expiringLicenses).' }),
    group: t.globalID({ for: GroupRef, required: false, description: 'The group the renewal is for.' }),
  }),
});

const OrderRenewalRef = builder.objectRef<{ endDate: Date; groupId: string | null }>('OrderRenewal').implement({
  description: 'What an order renews.',
  fields: (t) => ({
    endDate: t.expose('endDate', { type: 'LocalDate', description: 'The end date of the licenses it renews.' }),
    group: t.prismaField({
      type: 'Group',
      nullable: true,
      description: 'The group it renews them for, if any.',
      resolve: (query, renewal, _args, ctx) =>
        renewal.groupId ? ctx.prisma.group.findFirst({ ...query, where: { AND: [{ id: renewal.groupId }, visibleGroups(actorOf(ctx))] } }) : null,
    }),
  }),
});

builder.prismaObjectField('Order', 'renewalOf', (t) =>
  t.field({
    type: OrderRenewalRef,
    nullable: true,
    description: 'The licenses this order renews; null for an order that is not a renewal.',
    select: { renewalOfEndDate: true, renewalOfGroupId: true },
    resolve: (order) => (order.renewalOfEndDate ? { endDate: order.renewalOfEndDate, groupId: order.renewalOfGroupId } : null),
  }),
);
