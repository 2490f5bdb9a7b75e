import type { School } from '@school-licenses/db';
import { createGraphQLError } from 'graphql-yoga';
import { canReadSchoolLicenses, managedSchoolsWhere, visibleOrders, visibleSchools } from '../domain/actor.ts';
import type { Context } from './context.ts';
import { builder } from './builder.ts';
import { SchoolRoleEnum } from './enums.ts';
import { actorOf } from './run.ts';
import { ProductRef } from './product.ts';
import { productQuery, SchoolProductRef } from './school-product.ts';

export const SchoolRef = builder.prismaNode('School', {
  description: 'A school. It owns licenses; its administrators assign them to its students and teachers.',
  id: { field: 'id' },
  nullable: true,
  findUnique: (id, ctx) => ({ id, AND: [visibleSchools(actorOf(ctx))] }),
  authScopes: { authenticated: true },
  fields: (t) => ({
    name: t.exposeString('name', { description: "The school's name." }),
    organisation: t.relation('organisation', { description: 'The organisation the school belongs to.' }),
    members: t.relatedConnection('memberships', {
      cursor: 'userId_schoolId',
      description: 'Students, teachers and administrators of the school (administrators of the school only).',
      args: { role: t.arg({ type: SchoolRoleEnum, required: false, description: 'Only members with this role.' }) },
      query: (args, ctx) => ({
        where: {
          ...(args.role ? { role: args.role } : {}),
          school: managedSchoolsWhere(actorOf(ctx)),
        },
        orderBy: [{ role: 'asc' }, { userId: 'asc' }],
      }),
      totalCount: true,
    }),
    products: t.field({
      type: [SchoolProductRef],
      description: 'The products the school has licenses or orders of, each with its licenses, pool and availability.',
      resolve: async (school, _args, ctx, info) => {
        requireLicenseReader(ctx, school);
        const products = await ctx.prisma.product.findMany({
          ...productQuery(ctx, info),
          where: { OR: [{ licenses: { some: { schoolId: school.id } } }, { orders: { some: { schoolId: school.id } } }] },
          orderBy: { name: 'asc' },
        });
        return products.map((product) => ({ school, product }));
      },
    }),
    product: t.field({
      type: SchoolProductRef,
      nullable: true,
      description: 'One product as this school holds it: what "Manage licenses" shows. Null for an unknown product.',
      args: { id: t.arg.globalID({ for: ProductRef, required: true, description: 'The product.' }) },
      resolve: async (school, args, ctx, info) => {
        requireLicenseReader(ctx, school);
        const product = await ctx.prisma.product.findUnique({ ...productQuery(ctx, info), where: { id: args.id.id } });
        return product ? { school, product } : null;
      },
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
    resolve: (query, _root, args, ctx) => ctx.prisma.school.findFirst({ ...query, where: { AND: [{ id: args.id.id }, visibleSchools(actorOf(ctx))] } }),
  }),
);

builder.prismaObject('SchoolMembership', {
  description: "A user's membership of a school, with their role there.",
  fields: (t) => ({
    role: t.expose('role', { type: SchoolRoleEnum, description: 'The role in this school.' }),
    user: t.relation('user', { description: 'The member.' }),
    school: t.relation('school', { description: 'The school.' }),
  }),
});

builder.queryFields((t) => ({
  schools: t.prismaConnection({
    type: 'School',
    cursor: 'id',
    description: 'The schools you can see: those you belong to, or every school of your organisation for its administrators and integrations.',
    resolve: (query, _root, _args, ctx) =>
      ctx.prisma.school.findMany({ ...query, where: visibleSchools(actorOf(ctx)), orderBy: [{ name: 'asc' }, { id: 'asc' }] }),
    totalCount: (_connection, _args, ctx) => ctx.prisma.school.count({ where: visibleSchools(actorOf(ctx)) }),
  }),
}));
