import { Prisma, type School } from '@school-licenses/db';
import { createGraphQLError } from 'graphql-yoga';
import { canReadSchoolLicenses, canSeeSchool, managedSchoolsWhere, requireOrganisationOf, visibleOrders, visibleSchools } from '../domain/actor.ts';
import { createSchool, endSchool, updateSchool, type RosterChange } from '../domain/roster.ts';
import type { Context } from './context.ts';
import { builder } from './builder.ts';
import { GroupKindEnum, RosterChangeEnum, SchoolRoleEnum } from './enums.ts';
import { licenseErrors } from './errors.ts';
import { actorOf, readsOf, runDomain, runIdempotent } from './run.ts';
import { ProductRef } from './product.ts';
import { readProductsOfSchool, readSchoolById, schoolProductKey } from '../data/school-products.ts';
import { selectsAny, selectsPath } from '../data/selection.ts';
import { AVAILABILITY_FIELDS, loadSchoolProduct, productQuery, readsOnlyColumns, SchoolProductRef, selectsSupplierNameOnly } from './school-product.ts';

/**
 * Who reads all of a school: whoever sees it (canSeeSchool, the rule of visibleSchools). A supplier
 * reaches the school of an order of its products (Order.school, License.school) without seeing it:
 * to deliver, it reads the school's id, name and school unit code, and its own orders there
 * (School.orders); nothing of its people, classes, licenses or organisation. Every other field of
 * School has this scope: a nullable one answers null, as if unknown; the others answer FORBIDDEN.
 */
const seesSchool = (school: School, _args: unknown, ctx: Context) => canSeeSchool(actorOf(ctx), school);

export const SchoolRef = builder.prismaNode('School', {
  description: 'A school. It owns licenses; its administrators assign them to its students and teachers.',
  id: { field: 'id' },
  nullable: true,
  findUnique: (id, ctx) => ({ id, AND: [visibleSchools(actorOf(ctx))] }),
  authScopes: { authenticated: true },
  fields: (t) => ({
    name: t.exposeString('name', { description: "The school's name." }),
    schoolUnitCode: t.exposeString('schoolUnitCode', { nullable: true, description: 'The Swedish school unit code (skolenhetskod), 8 digits.' }),
    externalId: t.exposeString('externalId', {
      nullable: true,
      description: "The school's id in the organisation's student information system.",
      authScopes: seesSchool,
      unauthorizedResolver: () => null,
    }),
    endedAt: t.expose('endedAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When the school closed; null while open.',
      authScopes: seesSchool,
      unauthorizedResolver: () => null,
    }),
    organisation: t.relation('organisation', { description: 'The organisation the school belongs to.', authScopes: seesSchool }),
    members: t.relatedConnection('memberships', {
      cursor: 'userId_schoolId',
      description:
        'Students, teachers and administrators of the school (administrators of the school only): current members, and with includeEnded those who left.',
      authScopes: seesSchool,
      args: {
        role: t.arg({ type: SchoolRoleEnum, required: false, description: 'Only members with this role.' }),
        includeEnded: t.arg.boolean({ required: false, description: 'Also members who have left (default false).' }),
      },
      query: (args, ctx) => ({
        where: {
          ...(args.role ? { role: args.role } : {}),
          ...(args.includeEnded ? {} : { endedAt: null }),
          school: managedSchoolsWhere(actorOf(ctx)),
        },
        orderBy: [{ role: 'asc' }, { userId: 'asc' }],
      }),
      totalCount: true,
    }),
    products: t.field({
      type: [SchoolProductRef],
      description: 'The products the school has licenses or orders of, each with its licenses, pool and availability.',
      authScopes: seesSchool,
      resolve: async (school, _args, ctx, info) => {
        requireLicenseReader(ctx, school);
        const query = productQuery(ctx, info);
        // The product's columns and its supplier's name, as the admin view asks, on the driver
        // (data/school-products.ts); other relations under the product through Prisma.
        const sqlRead = readsOnlyColumns(query) ? { withSupplierName: false } : selectsSupplierNameOnly(query) ? { withSupplierName: true } : null;
        const products = sqlRead
          ? await readProductsOfSchool(readsOf(ctx), school.id, sqlRead.withSupplierName)
          : await ctx.prisma.product.findMany({
              ...query,
              where: { OR: [{ licenses: { some: { schoolId: school.id } } }, { orders: { some: { schoolId: school.id } } }] },
              orderBy: [{ name: 'asc' }, { id: 'asc' }],
            });
        return products.map((product) => ({ school, product }));
      },
    }),
    product: t.field({
      type: SchoolProductRef,
      nullable: true,
      description: 'One product as this school holds it: what "Manage licenses" shows. Null for an unknown product.',
      authScopes: seesSchool,
      args: { id: t.arg.globalID({ for: ProductRef, required: true, description: 'The product.' }) },
      resolve: async (school, args, ctx, info) => {
        requireLicenseReader(ctx, school);
        const product = await ctx.prisma.product.findUnique({ ...productQuery(ctx, info), where: { id: args.id.id } });
        return product ? { school, product } : null;
      },
    }),
    groups: t.relatedConnection('groups', {
      cursor: 'id',
      description: 'The classes and teaching groups of the school, by name: current ones, and with includeEnded those that ended.',
      authScopes: seesSchool,
      args: {
        kind: t.arg({ type: GroupKindEnum, required: false, description: 'Only groups of this kind.' }),
        includeEnded: t.arg.boolean({ required: false, description: 'Also groups that have ended (default false).' }),
      },
      query: (args) => ({
        where: { ...(args.kind ? { kind: args.kind } : {}), ...(args.includeEnded ? {} : { endedAt: null }) },
        orderBy: [{ name: 'asc' }, { id: 'asc' }],
      }),
      totalCount: true,
    }),
    orders: t.relatedConnection('orders', {
      cursor: 'id',
      description: "The school's orders, newest first (administrators only).",
      query: (_args, ctx) => ({ where: visibleOrders(actorOf(ctx)), orderBy: [{ placedAt: 'desc' }, { id: 'desc' }] }),
      totalCount: true,
    }),
  }),
});

function requireLicenseReader(ctx: Context, school: School): void {
  if (!canReadSchoolLicenses(actorOf(ctx), school)) {
    throw createGraphQLError("Only the school's administrators and integrations see its licenses.", {
      extensions: { code: 'FORBIDDEN' },
    });
  }
}

builder.queryField('school', (t) =>
  t.prismaField({
    type: 'School',
    nullable: true,
    description: 'One school by ID; null when it does not exist or is not yours to see.',
    args: { id: t.arg.globalID({ for: SchoolRef, required: true, description: 'The school.' }) },
    resolve: async (query, _root, args, ctx) => {
      // Its columns alone, as the admin view asks, on the driver (data/school-products.ts),
      // checked with visibleSchools' rule on the row read; relations under it through Prisma.
      if (readsOnlyColumns(query, Prisma.SchoolScalarFieldEnum)) {
        const school = await readSchoolById(readsOf(ctx), args.id.id);
        return school && canSeeSchool(actorOf(ctx), school) ? school : null;
      }
      return ctx.prisma.school.findFirst({ ...query, where: { AND: [{ id: args.id.id }, visibleSchools(actorOf(ctx))] } });
    },
  }),
);

builder.queryField('schoolProduct', (t) =>
  t.field({
    type: SchoolProductRef,
    nullable: true,
    description:
      "One product as one school holds it, without reading the school first: with its availability, one statement after authentication. Null when either is unknown or the school's licenses are not yours to read.",
    args: {
      school: t.arg.globalID({ for: SchoolRef, required: true, description: 'The school.' }),
      product: t.arg.globalID({ for: ProductRef, required: true, description: 'The product.' }),
    },
    resolve: async (_root, args, ctx, info) => {
      const found = await loadSchoolProduct(
        ctx,
        schoolProductKey({ schoolId: args.school.id, productId: args.product.id }),
        selectsAny(info, AVAILABILITY_FIELDS),
      );
      // The read has the product's columns; relations selected under it (its supplier) need their own read, as Pothos would make.
      // Pothos' query of the product is made only when the product is selected (an availability check does not).
      if (!found || !selectsPath(info, ['product'])) return found;
      const query = productQuery(ctx, info);
      if (readsOnlyColumns(query)) return found;
      return { ...found, product: await ctx.prisma.product.findUniqueOrThrow({ ...query, where: { id: found.product.id } }) };
    },
  }),
);

builder.queryFields((t) => ({
  schools: t.prismaConnection({
    type: 'School',
    cursor: 'id',
    description: 'The schools you can see: those you belong to, or every school of your organisation for its administrators and integrations.',
    resolve: (query, _root, _args, ctx) =>
      ctx.prisma.school.findMany({ ...query, where: visibleSchools(actorOf(ctx)), orderBy: [{ name: 'asc' }, { id: 'asc' }] }),
    totalCount: (_connection, _args, ctx) => ctx.prisma.school.count({ where: visibleSchools(actorOf(ctx)) }),
  }),
  schoolByCode: t.prismaField({
    type: 'School',
    nullable: true,
    description: 'A school of your organisation by its school unit code (skolenhetskod); null when none you can see has it.',
    args: { code: t.arg.string({ required: true, description: 'The 8-digit school unit code.' }) },
    resolve: (query, _root, args, ctx) =>
      ctx.prisma.school.findFirst({ ...query, where: { AND: [{ schoolUnitCode: args.code.trim() }, visibleSchools(actorOf(ctx))] } }),
  }),
}));

const SchoolPayload = builder.objectRef<{ schoolId: string; change: RosterChange }>('SchoolPayload').implement({
  description: 'The school after the change.',
  fields: (t) => ({
    school: t.prismaField({
      type: 'School',
      description: 'The school.',
      resolve: (query, { schoolId }, _args, ctx) => ctx.prisma.school.findUniqueOrThrow({ ...query, where: { id: schoolId } }),
    }),
    change: t.field({ type: RosterChangeEnum, description: 'What the write did.', resolve: (payload) => payload.change }),
  }),
});

const CreateSchoolInput = builder.inputType('CreateSchoolInput', {
  description: 'A new school of your organisation (organisation administrators, read-write integrations).',
  fields: (t) => ({
    name: t.string({ required: true, description: "The school's name." }),
    schoolUnitCode: t.string({ required: false, description: 'The school unit code (skolenhetskod), 8 digits, unique in the organisation.' }),
    externalId: t.string({ required: false, description: "The school's id in your student information system, unique in the organisation." }),
    idempotencyKey: t.string({ required: false, description: 'Retries with the same key return the first school.' }),
  }),
});

const UpdateSchoolInput = builder.inputType('UpdateSchoolInput', {
  description: "Change a school's name or codes. Fields left out stay; null clears a code.",
  fields: (t) => ({
    school: t.globalID({ for: SchoolRef, required: true, description: 'The school.' }),
    name: t.string({ required: false, description: 'The new name.' }),
    schoolUnitCode: t.string({ required: false, description: 'The new school unit code, or null to clear it.' }),
    externalId: t.string({ required: false, description: 'The new external id, or null to clear it.' }),
  }),
});

const SchoolInput = builder.inputType('SchoolInput', {
  description: 'Names one school.',
  fields: (t) => ({ school: t.globalID({ for: SchoolRef, required: true, description: 'The school.' }) }),
});

builder.mutationFields((t) => ({
  createSchool: t.field({
    type: SchoolPayload,
    description: 'Creates a school of your organisation (organisation administrators, read-write integrations).',
    authScopes: { authenticated: true },
    errors: { types: licenseErrors },
    args: { input: t.arg({ type: CreateSchoolInput, required: true, description: 'What to do.' }) },
    resolve: (_root, { input }, ctx) =>
      runIdempotent(ctx, { key: input.idempotencyKey, operation: 'createSchool', input: { ...input, idempotencyKey: null } }, async (tx, clock, actor) => {
        const school = await createSchool(tx, clock.now(), actor, { ...input, organisationId: requireOrganisationOf(actor) });
        return { schoolId: school.id, change: 'created' as const };
      }),
  }),
  updateSchool: t.field({
    type: SchoolPayload,
    description: "Renames a school or changes its codes (the school's or the organisation's administrators, read-write integrations).",
    authScopes: { authenticated: true },
    errors: { types: licenseErrors },
    args: { input: t.arg({ type: UpdateSchoolInput, required: true, description: 'What to do.' }) },
    resolve: (_root, { input }, ctx) =>
      runDomain(ctx, async (tx, clock, actor) => {
        const { record, change } = await updateSchool(tx, clock.now(), actor, { ...input, name: input.name ?? undefined, schoolId: input.school.id });
        return { schoolId: record.id, change };
      }),
  }),
  endSchool: t.field({
    type: SchoolPayload,
    description:
      "Closes a school (organisation administrators, read-write integrations): every membership ends, revoking the members' licenses there (LEFT_SCHOOL), and every group ends.",
    authScopes: { authenticated: true },
    errors: { types: licenseErrors },
    args: { input: t.arg({ type: SchoolInput, required: true, description: 'What to do.' }) },
    resolve: (_root, { input }, ctx) =>
      runDomain(ctx, async (tx, clock, actor) => {
        const { record, change } = await endSchool(tx, clock.now(), actor, { schoolId: input.school.id });
        return { schoolId: record.id, change };
      }),
  }),
}));
