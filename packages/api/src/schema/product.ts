import { createProduct, retireProduct, updateProduct } from '../domain/catalogue.ts';
import { builder } from './builder.ts';
import { DeliveryModeEnum } from './enums.ts';
import { licenseErrors } from './errors.ts';
import { runDomain, runIdempotent } from './run.ts';

export const ProductRef = builder.prismaNode('Product', {
  description: 'Teaching material or an app from a supplier, sold as licenses.',
  id: { field: 'id' },
  nullable: true,
  authScopes: { authenticated: true },
  fields: (t) => ({
    name: t.exposeString('name', { description: "The product's name." }),
    description: t.exposeString('description', { description: 'What the product is, as the supplier describes it (may be empty).' }),
    supplierName: t.string({
      description: 'Who supplies the product.',
      select: { supplier: { select: { name: true } } },
      resolve: (product) => product.supplier.name,
    }),
    validityMonths: t.exposeInt('validityMonths', { description: 'How many months a license is valid once started.' }),
    deliveryMode: t.expose('deliveryMode', { type: DeliveryModeEnum, description: 'How ordered licenses are delivered.' }),
    retiredAt: t.expose('retiredAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When the supplier retired the product: it cannot be ordered any more; licenses already sold stay valid. Null while on sale.',
    }),
  }),
});

builder.queryField('products', (t) =>
  t.prismaConnection({
    type: 'Product',
    cursor: 'id',
    description: 'The catalogue of products that schools can order; with includeRetired also those no longer on sale.',
    args: { includeRetired: t.arg.boolean({ required: false, description: 'Also retired products (default false).' }) },
    resolve: (query, _root, args, ctx) => ctx.prisma.product.findMany({ ...query, where: onSale(args), orderBy: [{ name: 'asc' }, { id: 'asc' }] }),
    totalCount: (_connection, args, ctx) => ctx.prisma.product.count({ where: onSale(args) }),
  }),
);

function onSale(args: { includeRetired?: boolean | null }) {
  return args.includeRetired ? {} : { retiredAt: null };
}

const ProductPayload = builder.objectRef<{ productId: string }>('ProductPayload').implement({
  description: 'The product after the change.',
  fields: (t) => ({
    product: t.prismaField({
      type: 'Product',
      description: 'The product.',
      resolve: (query, { productId }, _args, ctx) => ctx.prisma.product.findUniqueOrThrow({ ...query, where: { id: productId } }),
    }),
  }),
});

const CreateProductInput = builder.inputType('CreateProductInput', {
  description: 'A new product of your catalogue.',
  fields: (t) => ({
    name: t.string({ required: true, description: "The product's name, as the library and the cart show it." }),
    description: t.string({ required: false, description: 'What the product is (up to 5,000 characters).' }),
    validityMonths: t.int({ required: true, description: 'How many months a license is valid once started, 1 to 120.' }),
    deliveryMode: t.field({
      type: DeliveryModeEnum,
      required: true,
      description: 'How ordered licenses are delivered (DELAYED: the supplier delivers later).',
    }),
    idempotencyKey: t.string({ required: false, description: 'Retries with the same key return the first product.' }),
  }),
});

const UpdateProductInput = builder.inputType('UpdateProductInput', {
  description: 'Change a product of your catalogue. Fields left out stay. New values apply to orders placed and licenses started from now on.',
  fields: (t) => ({
    product: t.globalID({ for: ProductRef, required: true, description: 'The product.' }),
    name: t.string({ required: false, description: 'The new name.' }),
    description: t.string({ required: false, description: 'The new description.' }),
    validityMonths: t.int({ required: false, description: 'The new validity, 1 to 120 months.' }),
    deliveryMode: t.field({ type: DeliveryModeEnum, required: false, description: 'The new delivery mode.' }),
  }),
});

const ProductInput = builder.inputType('ProductInput', {
  description: 'Names one product.',
  fields: (t) => ({ product: t.globalID({ for: ProductRef, required: true, description: 'The product.' }) }),
});

builder.mutationFields((t) => ({
  createProduct: t.field({
    type: ProductPayload,
    description: 'Adds a product to your catalogue (supplier API keys).',
    authScopes: { authenticated: true },
    errors: { types: licenseErrors },
    args: { input: t.arg({ type: CreateProductInput, required: true, description: 'What to do.' }) },
    resolve: (_root, { input }, ctx) =>
      runIdempotent(ctx, { key: input.idempotencyKey, operation: 'createProduct', input: { ...input, idempotencyKey: null } }, async (tx, clock, actor) => {
        const product = await createProduct(tx, clock.now(), actor, input);
        return { productId: product.id };
      }),
  }),
  updateProduct: t.field({
    type: ProductPayload,
    description: 'Changes a product of your catalogue: name, description, validity, delivery mode (supplier API keys, their own products).',
    authScopes: { authenticated: true },
    errors: { types: licenseErrors },
    args: { input: t.arg({ type: UpdateProductInput, required: true, description: 'What to do.' }) },
    resolve: (_root, { input }, ctx) =>
      runDomain(ctx, async (tx, clock, actor) => {
        const product = await updateProduct(tx, clock.now(), actor, {
          productId: input.product.id,
          name: input.name ?? undefined,
          description: input.description,
          validityMonths: input.validityMonths ?? undefined,
          deliveryMode: input.deliveryMode ?? undefined,
        });
        return { productId: product.id };
      }),
  }),
  retireProduct: t.field({
    type: ProductPayload,
    description: 'Retires a product of your catalogue: no new orders (PRODUCT_RETIRED); licenses already sold are not touched. Safe to repeat.',
    authScopes: { authenticated: true },
    errors: { types: licenseErrors },
    args: { input: t.arg({ type: ProductInput, required: true, description: 'What to do.' }) },
    resolve: (_root, { input }, ctx) =>
      runDomain(ctx, async (tx, clock, actor) => ({ productId: (await retireProduct(tx, clock.now(), actor, { productId: input.product.id })).id })),
  }),
}));
