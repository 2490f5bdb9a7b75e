// A school's product is read at every look at "Manage licenses" and every availability check: its
// statement must be planned once per connection, not at each execution.
import { Prisma } from '@school-licenses/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { userActor } from '../auth/authenticate.ts';
import { dayAt, DEFAULT_TIME_ZONE } from '../domain/days.ts';
import { DEMO_USERS, type DemoData } from '../seed/demo.ts';
import { productIdsHeldBy, startStandardScenario, type TestApi } from '../testing/harness.ts';
import { readSchoolProducts } from './school-products.ts';

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
