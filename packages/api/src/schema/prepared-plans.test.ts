// The reads every screen and every LMS launch make (the admin view, availability, the entitlement
// check) are prepared statements on PostgreSQL. PostgreSQL plans a statement for its values five
// times, then keeps one plan for all values unless that plan looks dearer; a statement whose plan
// always looks dearer is planned again at every execution, which costs the database more CPU than
// running it. A list of one school or product passed as an array did that (idIn, idRows).
import { encodeGlobalID } from '@pothos/plugin-relay';
import { Prisma } from '@school-licenses/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_USERS, type DemoData } from '../seed/demo.ts';
import { dataOf, productIdsHeldBy, startStandardScenario, tokenFor, type TestApi } from '../testing/harness.ts';
import { ADMIN_VIEW } from '../testing/operations.ts';

const AVAILABILITY = /* GraphQL */ `
  query Availability($school: ID!, $product: ID!) {
    schoolProduct(school: $school, product: $product) { availability { newLicenses assignable reusable { total endDates { endDate count } } } }
  }`;
const ENTITLEMENT = /* GraphQL */ `
  query Entitlement($user: ID!, $product: ID!) { entitlement(user: $user, product: $product) { holds endDate } }`;

interface PreparedStatement {
  connection: number;
  name: string;
  statement: string;
  genericPlans: number;
  customPlans: number;
}

describe.skipIf(!process.env.DATABASE_URL)('the plans of the hot reads on PostgreSQL', () => {
  let test: TestApi;
  let demo: DemoData;
  beforeAll(async () => {
    ({ test, demo } = await startStandardScenario());
  });
  afterAll(() => test.close());

  /** The prepared statements of every connection of the pool: as many reads at once as it has connections, each holding its own. */
  async function preparedStatements(): Promise<PreparedStatement[]> {
    const perConnection = await Promise.all(
      Array.from({ length: 10 }, () =>
        test.db.sql<PreparedStatement & { held: string }>(
          Prisma.sql`SELECT pg_backend_pid() AS connection, name, statement, generic_plans::int AS "genericPlans", custom_plans::int AS "customPlans",
            pg_sleep(0.2)::text AS held FROM pg_prepared_statements`,
        ),
      ),
    );
    const byName = new Map(perConnection.flat().map(({ held: _held, ...statement }) => [`${statement.connection}:${statement.name}`, statement]));
    return [...byName.values()];
  }

  it('keeps one plan for each, as a school admin and as the organisation admin', async () => {
    const [productId] = await productIdsHeldBy(test, demo.ids.ekskolan);
    const held = await test.db.prisma.license.findFirstOrThrow({ where: { schoolId: demo.ids.ekskolan, assignedUserId: { not: null } } });
    const school = encodeGlobalID('School', demo.ids.ekskolan);
    for (const email of [DEMO_USERS.schoolAdmin, DEMO_USERS.organisationAdmin]) {
      const token = await tokenFor(test, email);
      for (let i = 0; i < 12; i++) {
        dataOf(await test.request(token, ADMIN_VIEW, { school, first: 50 }));
        dataOf(await test.request(token, AVAILABILITY, { school, product: encodeGlobalID('Product', productId!) }));
        const entitlement = { user: encodeGlobalID('User', held.assignedUserId!), product: encodeGlobalID('Product', held.productId) };
        dataOf(await test.request(token, ENTITLEMENT, entitlement));
      }
    }
    const statements = await preparedStatements();
    // The reads above ran 12 times each: a statement that kept no plan of its own shows 12 or more plans for its values.
    expect(statements.filter((statement) => statement.customPlans > 5).map((statement) => statement.statement.replace(/\s+/g, ' ').slice(0, 200))).toEqual([]);
    expect(statements.filter((statement) => statement.genericPlans > 0).length).toBeGreaterThan(3);
  });
});
