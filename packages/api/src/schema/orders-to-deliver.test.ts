import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataOf, startTestApi, TEST_AUTH, type TestApi } from '../testing/harness.ts';
import { gid } from '../testing/ids.ts';
import { DELIVER_ORDER } from '../testing/operations.ts';
import { activationLink, awaitingDelayedOrder, licensePool, tokenOf, type LicensePool } from '../testing/scenarios.ts';

const ORDERS_TO_DELIVER = /* GraphQL */ `
  query OrdersToDeliver($product: ID, $deliveryMode: DeliveryMode, $placedBefore: DateTime) {
    ordersToDeliver(first: 50, product: $product, deliveryMode: $deliveryMode, placedBefore: $placedBefore) {
      totalCount
      edges { node { id quantity status deliveryMode school { name } product { name } } }
    }
  }`;

describe('ordersToDeliver', () => {
  let test: TestApi;
  let pool: LicensePool;

  beforeAll(async () => {
    test = await startTestApi();
    pool = await licensePool(test.db.prisma, test.clock, { licenses: 1, students: 1 });
  });
  afterAll(() => test.close());

  it("lists a supplier's orders awaiting delivery, oldest first, with filters, and only a supplier's", async () => {
    const first = await awaitingDelayedOrder(test.db.prisma, test.clock, pool, 2);
    test.clock.advanceDays(1);
    const second = await awaitingDelayedOrder(test.db.prisma, test.clock, pool, 3);
    await activationLink(test.db.prisma, test.clock, pool, 1); // another supplier's product
    const list = async (variables: Record<string, unknown> = {}, key = pool.supplierKey) =>
      dataOf(await test.request(key, ORDERS_TO_DELIVER, variables)).ordersToDeliver;

    expect((await list()).edges.map((e: any) => e.node.id)).toEqual([gid('Order', first.id), gid('Order', second.id)]);
    expect((await list({ placedBefore: second.placedAt.toISOString() })).totalCount).toBe(1);
    expect((await list({ deliveryMode: 'ACTIVATION_EMAIL' })).totalCount).toBe(0);
    expect((await list({}, pool.activationSupplierKey)).edges.map((e: any) => e.node.deliveryMode)).toEqual(['ACTIVATION_EMAIL']);

    dataOf(await test.request(pool.supplierKey, DELIVER_ORDER, { input: { order: gid('Order', first.id) } }));
    expect((await list()).edges.map((e: any) => e.node.id)).toEqual([gid('Order', second.id)]);

    const admin = await test.request(await tokenOf(TEST_AUTH, test.clock, pool.adminId), ORDERS_TO_DELIVER, {});
    expect(admin.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});
