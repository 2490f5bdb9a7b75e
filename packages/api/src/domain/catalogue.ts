// A supplier's catalogue: the products schools can order. Only the supplier's own API keys change
// its products. A retired product takes no new orders (placeOrder refuses with PRODUCT_RETIRED);
// licenses already sold and delivered are not touched. Changes of validity or delivery mode apply
// to what happens from now on: orders copy the delivery mode when placed, licenses get the
// validity when they start.
import type { DeliveryMode, Prisma, Product } from '@school-licenses/db';
import { recordAudit } from './audit.ts';
import type { Actor, SupplierActor, Tx } from './actor.ts';
import { LicenseError } from './errors.ts';

export const MAX_VALIDITY_MONTHS = 120;

export interface ProductFields {
  name: string;
  description?: string | null;
  /** How long a license is valid once started, 1 to 120 months. */
  validityMonths: number;
  deliveryMode: DeliveryMode;
}

export async function createProduct(tx: Tx, now: Date, actor: Actor, input: ProductFields): Promise<Product> {
  const supplier = requireSupplier(actor);
  const checked = productData(input) as ProductFields;
  const data = { name: checked.name, description: checked.description ?? '', validityMonths: checked.validityMonths, deliveryMode: checked.deliveryMode };
  const product = await tx.product.create({ data: { ...data, supplierId: supplier.supplierId, createdAt: now } });
  await recordAudit(tx, actor, now, { action: 'PRODUCT_CREATED', organisationId: null, supplierId: supplier.supplierId, productId: product.id, after: data });
  return product;
}

/** Changes what the library and the cart show of a product: name, description, validity, delivery. */
export async function updateProduct(tx: Tx, now: Date, actor: Actor, input: Partial<ProductFields> & { productId: string }): Promise<Product> {
  const product = await requireOwnProduct(tx, actor, input.productId);
  const data = productData(input, true);
  const changed = Object.entries(data).filter(([name, value]) => value !== undefined && product[name as keyof Product] !== value);
  if (changed.length === 0) return product;
  const after = Object.fromEntries(changed.map(([name, value]) => [name, name === 'description' ? (value ?? '') : value]));
  const updated = await tx.product.update({ where: { id: product.id }, data: after });
  await recordAudit(tx, actor, now, {
    action: 'PRODUCT_UPDATED',
    organisationId: null,
    supplierId: product.supplierId,
    productId: product.id,
    before: Object.fromEntries(changed.map(([name]) => [name, product[name as keyof Product] as string | number])),
    after: after as Prisma.InputJsonObject,
  });
  return updated;
}

/** No new orders from now on. Retiring a retired product changes nothing. */
export async function retireProduct(tx: Tx, now: Date, actor: Actor, input: { productId: string }): Promise<Product> {
  const product = await requireOwnProduct(tx, actor, input.productId);
  if (product.retiredAt) return product;
  const retired = await tx.product.update({ where: { id: product.id }, data: { retiredAt: now } });
  await recordAudit(tx, actor, now, {
    action: 'PRODUCT_RETIRED',
    organisationId: null,
    supplierId: product.supplierId,
    productId: product.id,
    after: { retiredAt: now.toISOString() },
  });
  return retired;
}

/** placeOrder's check: a retired product cannot be ordered. */
export function requireOrderable(product: Product): void {
  if (product.retiredAt) throw new LicenseError('PRODUCT_RETIRED', 'product');
}

function requireSupplier(actor: Actor): SupplierActor {
  if (actor.kind !== 'supplier') throw new LicenseError('FORBIDDEN', null, "Only a supplier's API key manages its catalogue.");
  return actor;
}

/** Another supplier's product answers as if it did not exist. */
async function requireOwnProduct(tx: Tx, actor: Actor, productId: string): Promise<Product> {
  const supplier = requireSupplier(actor);
  const product = await tx.product.findFirst({ where: { id: productId, supplierId: supplier.supplierId } });
  if (!product) throw new LicenseError('NOT_FOUND', 'product', 'No such product of yours.');
  return product;
}

function productData(input: Partial<ProductFields>, partial = false): Partial<ProductFields> {
  const name = input.name?.trim();
  if (!(partial && input.name === undefined) && (!name || name.length > 200 || /[\u0000-\u001f\u007f]/.test(name))) {
    throw new LicenseError('INVALID_INPUT', 'name', 'Give a name of 1 to 200 characters.');
  }
  if (input.description && input.description.length > 5000) {
    throw new LicenseError('INVALID_INPUT', 'description', 'A description has at most 5,000 characters.');
  }
  const months = input.validityMonths;
  if (!(partial && months === undefined) && (!Number.isInteger(months) || months! < 1 || months! > MAX_VALIDITY_MONTHS)) {
    throw new LicenseError('INVALID_INPUT', 'validityMonths', `A license is valid for 1 to ${MAX_VALIDITY_MONTHS} months.`);
  }
  if (!partial && !input.deliveryMode) throw new LicenseError('INVALID_INPUT', 'deliveryMode', 'Choose a delivery mode.');
  return {
    name,
    description: input.description === undefined ? undefined : (input.description?.trim() ?? ''),
    validityMonths: months,
    deliveryMode: input.deliveryMode ?? undefined,
  };
}
