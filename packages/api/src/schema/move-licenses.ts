// moveLicenses: an organisation administrator moves unassigned licenses between its schools.
import { moveLicenses, type MovedLicenses } from '../domain/moves.ts';
import { builder } from './builder.ts';
import type { Context } from './context.ts';
import { licenseErrors } from './errors.ts';
import { ProductRef } from './product.ts';
import { runIdempotent } from './run.ts';
import { SchoolRef } from './school.ts';
import { availabilityOf, LicenseAvailabilityRef } from './school-product.ts';

export const MoveKindEnum = builder.enumType('MoveKind', {
  description: 'Which unassigned licenses to move.',
  values: {
    NEW: { description: 'Delivered, not started: they keep their auto-start day (and would-be end date).' },
    REUSABLE: { description: 'Started, unexpired, held by nobody: they keep their start and end date.' },
  } as const,
});

const MoveLicensesInput = builder.inputType('MoveLicensesInput', {
  description: 'Move unassigned licenses of one product from one school of the organisation to another.',
  fields: (t) => ({
    fromSchool: t.globalID({ for: SchoolRef, required: true, description: 'The school that gives the licenses.' }),
    toSchool: t.globalID({ for: SchoolRef, required: true, description: 'The school of the same organisation that gets them.' }),
    product: t.globalID({ for: ProductRef, required: true, description: 'The product.' }),
    count: t.int({ required: true, description: 'How many licenses, 1 to 10,000: all move, or none (NO_LICENSE_AVAILABLE).' }),
    kind: t.field({ type: MoveKindEnum, required: true, description: 'New licenses, or reusable started ones.' }),
    endDate: t.field({
      type: 'LocalDate',
      required: false,
      description: 'REUSABLE: which end date of the pool to move (needed when there are several: END_DATE_REQUIRED lists them). NEW: INVALID_INPUT.',
    }),
    idempotencyKey: t.string({ required: false, description: 'Retries with the same key return the first result and move nothing more.' }),
  }),
});

const availabilityAt = async (ctx: Context, schoolId: string, productId: string) => {
  const [school, product] = await Promise.all([
    ctx.prisma.school.findUniqueOrThrow({ where: { id: schoolId } }),
    ctx.prisma.product.findUniqueOrThrow({ where: { id: productId } }),
  ]);
  return availabilityOf(ctx, { school, product });
};

const MoveLicensesPayload = builder.objectRef<MovedLicenses>('MoveLicensesPayload').implement({
  description: 'The licenses moved, and what each school can assign now.',
  fields: (t) => ({
    moved: t.int({ description: 'How many licenses moved.', resolve: (moved) => moved.licenseIds.length }),
    licenses: t.prismaField({
      type: ['License'],
      description: 'The licenses moved, now at the receiving school, with the dates they had.',
      resolve: (query, moved, _args, ctx) => ctx.prisma.license.findMany({ ...query, where: { id: { in: moved.licenseIds } }, orderBy: { id: 'asc' } }),
    }),
    fromAvailability: t.field({
      type: LicenseAvailabilityRef,
      description: "The giving school's availability of the product after the move.",
      resolve: (moved, _args, ctx) => availabilityAt(ctx, moved.fromSchoolId, moved.productId),
    }),
    toAvailability: t.field({
      type: LicenseAvailabilityRef,
      description: "The receiving school's availability of the product after the move.",
      resolve: (moved, _args, ctx) => availabilityAt(ctx, moved.toSchoolId, moved.productId),
    }),
  }),
});

builder.mutationField('moveLicenses', (t) =>
  t.field({
    type: MoveLicensesPayload,
    description:
      'Moves unassigned licenses (new, or reusable started) of a product between two schools of one organisation, keeping their dates (organisation administrators, read-write organisation keys). Assigned and expired licenses never move.',
    authScopes: { authenticated: true },
    errors: { types: licenseErrors },
    args: { input: t.arg({ type: MoveLicensesInput, required: true, description: 'What to do.' }) },
    resolve: (_root, { input }, ctx) =>
      runIdempotent(ctx, { key: input.idempotencyKey, operation: 'moveLicenses', input: { ...input, idempotencyKey: null } }, async (tx, clock, actor) => {
        const moved = await moveLicenses(tx, clock, actor, {
          fromSchoolId: input.fromSchool.id,
          toSchoolId: input.toSchool.id,
          productId: input.product.id,
          count: input.count,
          kind: input.kind,
          endDate: input.endDate ?? null,
        });
        return { ...moved };
      }),
  }),
);
