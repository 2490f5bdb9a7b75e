// A school's product is read at every look at "Manage licenses" and every availability check: its
// statement must be planned once per connection, not at each execution.
import { Prisma } from '@school-licenses/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { userActor } from '../auth/authenticate.ts';
import { dayAt, DEFAULT_TIME_ZONE } from '../domain/days.ts';
import { DEMO_USERS, type DemoData } from '../seed/demo.ts';
import { productIdsHeldBy, startStandardScenario, type TestApi } from '../testing/harness.ts';
import { readProductsOfSchool, readSchoolProducts } from './school-products.ts';

describe.skipIf(!process.env.DATABASE_URL)('the read of a school product on PostgreSQL', () => {
  let test: TestApi;
  let demo: DemoData;
  beforeAll(async () => {
    ({ test, demo } = await startStandardScenario());
  });
  afterAll(() => test.close());

  it('keeps the generic plan of its prepared statement for one product', async () => {
    const admin = await test.db.prisma.user.findFirstOrThrow({ where: { email: DEMO_USERS.schoolAdmin } });
    const actor = await userActor(test.db.prisma, admin.id);
    const [productId] = await productIdsHeldBy(test, demo.ids.ekskolan);
    const today = dayAt(test.clock.now(), DEFAULT_TIME_ZONE);
    // One at a time, so the pool hands the same connection back each time.
    for (let i = 0; i < 12; i++) {
      const found = await readSchoolProducts(test.db.sql, actor, today, { schoolId: demo.ids.ekskolan, productIds: [productId!], withAvailability: true });
      expect(found.get(productId!)?.availability).toBeDefined();
    }
    const [plans] = await test.db.sql<{ generic: number; custom: number }>(
      Prisma.sql`SELECT generic_plans::int AS generic, custom_plans::int AS custom FROM pg_prepared_statements WHERE statement LIKE ${'%JOIN "Product" p ON p.id %'}`,
    );
    // PostgreSQL plans the first five executions for their values, then settles on one plan.
    expect(plans).toEqual({ generic: 7, custom: 5 });
  });
});

describe(`a school's product list on ${process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'}`, () => {
  let test: TestApi;
  beforeAll(async () => {
    ({ test } = await startStandardScenario());
  });
  afterAll(() => test.close());

  it('reads the products Prisma finds by their licenses or orders, in the same order, with and without the supplier name', async () => {
    const prisma = test.db.prisma;
    let listed = 0;
    for (const school of await prisma.school.findMany()) {
      const where = { OR: [{ licenses: { some: { schoolId: school.id } } }, { orders: { some: { schoolId: school.id } } }] };
      const orderBy = [{ name: 'asc' as const }, { id: 'asc' as const }];
      const expected = await prisma.product.findMany({ where, orderBy, include: { supplier: { select: { name: true } } } });
      // On the driver (as a query reads it) and through Prisma's raw statements (in a transaction).
      for (const reads of [test.db.sql, prisma]) {
        expect(await readProductsOfSchool(reads, school.id, true)).toEqual(expected);
        expect(await readProductsOfSchool(reads, school.id, false)).toEqual(await prisma.product.findMany({ where, orderBy }));
      }
      listed += expected.length;
    }
    expect(listed).toBeGreaterThan(2);
  });
});
