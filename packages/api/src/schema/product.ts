import { builder } from './builder.ts';
import { DeliveryModeEnum } from './enums.ts';

export const ProductRef = builder.prismaNode('Product', {
  description: 'Teaching material or an app from a supplier, sold as licenses.',
  id: { field: 'id' },
  nullable: true,
  authScopes: { authenticated: true },
  fields: (t) => ({
    name: t.exposeString('name', { description: "The product's name." }),
    supplierName: t.string({
      description: 'Who supplies the product.',
      select: { supplier: { select: { name: true } } },
      resolve: (product) => product.supplier.name,
    }),
    validityMonths: t.exposeInt('validityMonths', { description: 'How many months a license is valid once started.' }),
    deliveryMode: t.expose('deliveryMode', { type: DeliveryModeEnum, description: 'How ordered licenses are delivered.' }),
  }),
});

builder.queryField('products', (t) =>
  t.prismaConnection({
    type: 'Product',
    cursor: 'id',
    description: 'The catalogue of products that schools can order.',
    resolve: (query, _root, _args, ctx) => ctx.prisma.product.findMany({ ...query, orderBy: [{ name: 'asc' }, { id: 'asc' }] }),
    totalCount: (_connection, _args, ctx) => ctx.prisma.product.count(),
  }),
);
