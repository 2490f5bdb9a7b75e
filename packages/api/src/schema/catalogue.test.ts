// A supplier's catalogue through the GraphQL API on a real database: suppliers create, change and
// retire their own products; a retired product takes no new orders and its licenses stay as they were.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DemoData } from '../seed/demo.ts';
import { dataOf, startStandardScenario, type TestApi } from '../testing/harness.ts';
import { gid, productGid } from '../testing/ids.ts';
import { CREATE_PRODUCT, PLACE_ORDER, RETIRE_PRODUCT, UPDATE_PRODUCT } from '../testing/operations.ts';
import { outcomeOf } from '../testing/outcome.ts';
import { countRows, rowChanges } from '../testing/rows.ts';

const backend = process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite';

describe(`the catalogue on ${backend}`, () => {
  let test: TestApi;
  let demo: DemoData;
  let created: string;
  const rows = () => countRows(test.db.prisma);
  const send = async (token: string, query: string, input: Record<string, unknown>) => {
    const response = await test.request(token, query, { input });
    const field = Object.keys(response.data ?? {})[0] ?? '';
    return { outcome: outcomeOf(response, field), value: response.data?.[field] };
  };
  const catalogue = async (includeRetired = false) =>
    dataOf(
      await test.request(demo.tokens.schoolAdmin, 'query($r: Boolean) { products(first: 100, includeRetired: $r) { edges { node { name retiredAt } } } }', {
        r: includeRetired,
      }),
    ).products.edges.map((e: any) => e.node.name);

  beforeAll(async () => {
    ({ test, demo } = await startStandardScenario());
  });
  afterAll(() => test.close());

  it('a supplier adds a product, which the catalogue then shows', async () => {
    const before = await rows();
    const input = { name: 'Fysik 8', description: 'Digital lärobok i fysik.', validityMonths: 12, deliveryMode: 'DELAYED', idempotencyKey: 'fysik-8' };
    const { value } = await send(demo.keys.supplier, CREATE_PRODUCT, input);
    expect(value).toMatchObject({
      __typename: 'ProductPayload',
      product: {
        name: 'Fysik 8',
        description: 'Digital lärobok i fysik.',
        validityMonths: 12,
        deliveryMode: 'DELAYED',
        retiredAt: null,
        supplierName: 'Bokförlaget Nord',
      },
    });
    created = value.product.id;
    expect((await send(demo.keys.supplier, CREATE_PRODUCT, input)).value.product.id).toBe(created);
    expect(rowChanges(before, await rows())).toEqual({ products: 1, auditEvents: 1, idempotencyRecords: 1 });
    expect(await catalogue()).toContain('Fysik 8');
    // The supplier sees its catalogue's history.
    const history = dataOf(await test.request(demo.keys.supplier, '{ auditEvents { edges { node { action } } } }'));
    expect(history.auditEvents.edges.map((e: any) => e.node.action)).toEqual(['PRODUCT_CREATED']);
  });

  it('refuses a product without a name or with a validity out of range, writing nothing', async () => {
    const before = await rows();
    expect((await send(demo.keys.supplier, CREATE_PRODUCT, { name: ' ', validityMonths: 12, deliveryMode: 'DIRECT' })).value).toMatchObject({
      code: 'INVALID_INPUT',
      field: 'name',
    });
    expect((await send(demo.keys.supplier, CREATE_PRODUCT, { name: 'X', validityMonths: 0, deliveryMode: 'DIRECT' })).value).toMatchObject({
      code: 'INVALID_INPUT',
      field: 'validityMonths',
    });
    expect(rowChanges(before, await rows())).toEqual({});
  });

  it('the supplier changes what the library and the cart show', async () => {
    const { value } = await send(demo.keys.supplier, UPDATE_PRODUCT, { product: created, name: 'Fysik 8 (2027)', validityMonths: 24, deliveryMode: 'DIRECT' });
    expect(value.product).toMatchObject({ name: 'Fysik 8 (2027)', description: 'Digital lärobok i fysik.', validityMonths: 24, deliveryMode: 'DIRECT' });
    const audit = await test.db.prisma.auditEvent.findFirstOrThrow({
      where: { action: 'PRODUCT_UPDATED', productId: (await test.db.prisma.product.findFirstOrThrow({ where: { name: 'Fysik 8 (2027)' } })).id },
    });
    expect(audit.before).toEqual({ name: 'Fysik 8', validityMonths: 12, deliveryMode: 'DELAYED' });
  });

  it.each([
    ['another supplier', (): string => demo.keys.activationSupplier, 'NOT_FOUND'],
    ['a school administrator', (): string => demo.tokens.schoolAdmin, 'FORBIDDEN'],
    ['an organisation integration', (): string => demo.keys.integration, 'FORBIDDEN'],
  ] as const)('%s may not change or retire it', async (_who, token, outcome) => {
    const before = await rows();
    expect((await send(token(), UPDATE_PRODUCT, { product: created, name: 'Kapad' })).outcome).toBe(outcome);
    expect((await send(token(), RETIRE_PRODUCT, { product: created })).outcome).toBe(outcome);
    expect((await send(token(), CREATE_PRODUCT, { name: 'Egen', validityMonths: 12, deliveryMode: 'DIRECT' })).outcome).toBe(
      outcome === 'NOT_FOUND' ? 'ok' : outcome,
    );
    expect(rowChanges(before, await rows())).toEqual(outcome === 'NOT_FOUND' ? { products: 1, auditEvents: 1 } : {});
  });

  it('a retired product takes no new orders (PRODUCT_RETIRED); the licenses already sold stay as they were', async () => {
    const prisma = test.db.prisma;
    const engelska = await productGid(prisma, 'Engelska Plus');
    const licensesBefore = await prisma.license.findMany({ where: { product: { name: 'Engelska Plus' } }, orderBy: { id: 'asc' } });
    expect(licensesBefore.length).toBeGreaterThan(0);
    const { value } = await send(demo.keys.supplier, RETIRE_PRODUCT, { product: engelska });
    expect(value.product.retiredAt).toBe(test.clock.now().toISOString());
    expect((await send(demo.keys.supplier, RETIRE_PRODUCT, { product: engelska })).value.product.retiredAt).toBe(test.clock.now().toISOString());

    const before = await rows();
    const order = await send(demo.tokens.schoolAdmin, PLACE_ORDER, { school: gid('School', demo.ids.ekskolan), product: engelska, quantity: 5 });
    expect(order.value).toMatchObject({ code: 'PRODUCT_RETIRED', field: 'product' });
    expect(rowChanges(before, await rows())).toEqual({});
    expect(await prisma.license.findMany({ where: { product: { name: 'Engelska Plus' } }, orderBy: { id: 'asc' } })).toEqual(licensesBefore);

    expect(await catalogue()).not.toContain('Engelska Plus');
    expect(await catalogue(true)).toContain('Engelska Plus');
    // The school still sees the product it holds licenses of.
    const held = dataOf(
      await test.request(demo.tokens.schoolAdmin, 'query($s: ID!) { school(id: $s) { products { product { name retiredAt } } } }', {
        s: gid('School', demo.ids.ekskolan),
      }),
    );
    expect(held.school.products.map((p: any) => p.product.name)).toContain('Engelska Plus');
  });
});
