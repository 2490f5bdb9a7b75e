// How many SQL statements one GraphQL request sends. The ORM and driver hop costs more than the
// database (see BENCHMARKS.md), so these counts are the API's performance budget: they must not
// grow with the page size or with the number of products. A resolver that adds an N+1 (a query
// per product, per license, per holder) changes a count below and fails this file.
//
// The counts are what Prisma's query log reports (the harness's onQuery): every statement the
// client sends, including the one that authenticates the request; a transaction's COMMIT is
// logged, its BEGIN is not. They are the same on PGlite and on PostgreSQL.
import { formatDay } from '../domain/days.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DemoData } from '../seed/demo.ts';
import { signUserToken } from '../auth/authenticate.ts';
import { dataOf, startStandardScenario, TEST_AUTH, type TestApi } from '../testing/harness.ts';
import { gid, rawId, userGid } from '../testing/ids.ts';
import { ADMIN_VIEW, ASSIGN_LICENSE, PLACE_ORDER, REMOVE_MY_LICENSE } from '../testing/operations.ts';

/** One product's "Manage licenses" page, resolved on its own (no batching across products). */
const ONE_PRODUCT = /* GraphQL */ `
  query OneProduct($school: ID!, $product: ID!, $first: Int!) {
    school(id: $school) {
      product(id: $product) {
        availability {
          newLicenses assignable assigned expired awaitingDelivery autoStartingSoon nextAutoStartOn
          reusable { total endDates { endDate count } }
        }
        licenses(first: $first) {
          totalCount
          pageInfo { hasNextPage endCursor }
          edges { node { id state endDate holder { id name } } }
        }
      }
    }
  }`;

const COUNTS_ONLY = /* GraphQL */ `
  query CountsOnly($school: ID!) {
    school(id: $school) { products { product { name } licenses { totalCount } } }
  }`;

/** The statement of a request that reads the license pages (license-pages.ts), by the column naming each row's product. */
const pageStatement = (sent: string[]) => sent.find((sql) => sql.includes('"pageProduct"')) ?? '';

/** Statements of the nested admin view, whatever the page size and the number of products. */
const ADMIN_VIEW_STATEMENTS = 4; // authenticate, school, products, license pages of all products with their holders and availability
/** With an `after` cursor the pages, their holders and the availability are the same one statement. */
const ADMIN_VIEW_WITH_CURSOR_STATEMENTS = 4;
/** Statements of assignLicense (a new license) with the payload above. */
const ASSIGN_LICENSE_STATEMENTS = 5; // authenticate, school + product + membership + user + locks, active assignments + pool + license, the write (license, assignment, audit, events), COMMIT

/** Statements of assignLicense reusing a started license of a chosen end date: the same, whatever the payload shows. */
const REUSE_WITH_END_DATE_STATEMENTS = 5;
/** Statements of revokeLicense when nobody waits for the product. */
const REVOKE_LICENSE_STATEMENTS = 5; // authenticate, the license's school + the pool's lock, the license locked + its zone + whether anyone waits, the write (assignment, license, audit, event), COMMIT
/** Statements of removeMyLicense when nobody waits for the product: as revoking. */
const REMOVE_MY_LICENSE_STATEMENTS = 5; // authenticate, the teacher's active assignment + the pool's lock, the license locked + its zone + whether anyone waits, the write, COMMIT

/** The benchmark's documents (packages/bench/src/operations.ts): every field of the payloads a client shows. */
const ASSIGN_SHOWN = /* GraphQL */ `
  mutation Assign($input: AssignLicenseInput!) {
    assignLicense(input: $input) {
      __typename
      ... on AssignLicensePayload {
        license { id state startedAt endDate daysLeft reusable holder { id name } }
        assignment { id state assignedAt endedAt endReason user { id name email } license { id endDate } }
      }
      ... on Error { code message field }
    }
  }`;
const REVOKE_SHOWN = /* GraphQL */ `
  mutation Revoke($license: ID!) {
    revokeLicense(input: { license: $license }) {
      __typename
      ... on LicensePayload { license { id state startedAt endDate daysLeft reusable holder { id name } } }
      ... on Error { code message field }
    }
  }`;
/** The same fields, read afterwards. */
const READ_BACK = /* GraphQL */ `
  query ReadBack($license: ID!, $assignment: ID!) {
    license: node(id: $license) { ... on License { id state startedAt endDate daysLeft reusable holder { id name } } }
    assignment: node(id: $assignment) { ... on Assignment { id state assignedAt endedAt endReason user { id name email } license { id endDate } } }
  }`;

const backend = process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite';

describe(`SQL statements per request on ${backend}`, () => {
  const statements: string[] = [];
  let test: TestApi;
  let demo: DemoData;
  let school: string;
  let admin: string;

  /** Sends one request and returns its data and the statements it sent. */
  const counted = async (token: string, query: string, variables: Record<string, unknown>) => {
    statements.length = 0;
    const data = dataOf(await test.request(token, query, variables));
    return { data, statements: [...statements] };
  };
  const describeStatements = (sent: string[]) => sent.map((sql, i) => `${i + 1}. ${sql.replace(/\s+/g, ' ').slice(0, 140)}`).join('\n');

  beforeAll(async () => {
    ({ test, demo } = await startStandardScenario({ onQuery: (sql) => statements.push(sql) }));
    school = gid('School', demo.ids.ekskolan);
    admin = demo.tokens.schoolAdmin;
  });
  afterAll(() => test.close());

  it(`the nested admin view sends ${ADMIN_VIEW_STATEMENTS} statements for 5 or 50 licenses per product`, async () => {
    const small = await counted(admin, ADMIN_VIEW, { school, first: 5 });
    const large = await counted(admin, ADMIN_VIEW, { school, first: 50 });
    expect(small.data.school.products.length).toBeGreaterThan(1);
    // Matematik 7 has more than 5 licenses: the small page is really a page.
    const pageSizes = large.data.school.products.map((p: any) => p.licenses.edges.length);
    expect(Math.max(...pageSizes)).toBeGreaterThan(5);
    expect(small.statements, describeStatements(small.statements)).toHaveLength(ADMIN_VIEW_STATEMENTS);
    expect(small.statements).toHaveLength(ADMIN_VIEW_STATEMENTS);
    expect(large.statements).toHaveLength(ADMIN_VIEW_STATEMENTS);
  });

  it('answers the nested view exactly as each product answers on its own', async () => {
    const { data } = await counted(admin, ADMIN_VIEW, { school, first: 50 });
    for (const entry of data.school.products) {
      const one = dataOf(await test.request(admin, ONE_PRODUCT, { school, product: entry.product.id, first: 50 })).school.product;
      expect({ availability: entry.availability, licenses: entry.licenses }).toEqual(one);
      expect(entry.licenses.totalCount).toBeGreaterThanOrEqual(entry.licenses.edges.length);
    }
    // Someone holds a license in the view, and holders come with their names.
    const holders = data.school.products.flatMap((p: any) => p.licenses.edges.map((e: any) => e.node.holder)).filter(Boolean);
    expect(holders.length).toBeGreaterThan(0);
    expect(holders[0].name).toEqual(expect.any(String));
  });

  it('pages through a product with a cursor inside the nested view', async () => {
    const all = (await counted(admin, ADMIN_VIEW, { school, first: 50 })).data.school.products;
    const first = (await counted(admin, ADMIN_VIEW, { school, first: 5 })).data.school.products;
    const index = all.findIndex((p: any) => p.licenses.totalCount > 5);
    expect(first[index].licenses.pageInfo.hasNextPage).toBe(true);
    const after = first[index].licenses.pageInfo.endCursor;
    const next = await counted(admin, ADMIN_VIEW, { school, first: 5, after });
    // The cursor names a license of one product: the other products' pages start after nothing of theirs.
    expect(next.data.school.products[index].licenses.edges.map((e: any) => e.node.id)).toEqual(
      all[index].licenses.edges.slice(5, 10).map((e: any) => e.node.id),
    );
    expect(next.statements, describeStatements(next.statements)).toHaveLength(ADMIN_VIEW_WITH_CURSOR_STATEMENTS);
  });

  it('loads relations selected under the licenses of a page once for the whole page, not once per license', async () => {
    const WITH_RELATIONS = /* GraphQL */ `
      query WithRelations($school: ID!, $first: Int!) {
        school(id: $school) {
          products { licenses(first: $first) { edges { node { id order { id quantity } product { name } school { name } } } } }
        }
      }`;
    const small = await counted(admin, WITH_RELATIONS, { school, first: 2 });
    const large = await counted(admin, WITH_RELATIONS, { school, first: 50 });
    const nodes = large.data.school.products.flatMap((p: any) => p.licenses.edges.map((e: any) => e.node));
    expect(nodes.length).toBeGreaterThan(20);
    expect(nodes.every((node: any) => node.order.id && node.product.name && node.school.name)).toBe(true);
    // authenticate, school, products, the pages, the licenses with their relations (relationJoins)
    expect(large.statements, describeStatements(large.statements)).toHaveLength(5);
    expect(small.statements).toHaveLength(5);
  });

  it('a page reads the License columns of the fields asked for, and no others', async () => {
    const view = await counted(admin, ADMIN_VIEW, { school, first: 50 });
    expect(pageStatement(view.statements)).toContain('"endDate"');
    expect(pageStatement(view.statements)).not.toContain('"deliveredAt"');
    expect(pageStatement(view.statements)).not.toContain('"orderId"');

    const WITH_DATES = /* GraphQL */ `
      query WithDates($school: ID!) {
        school(id: $school) { products { licenses(first: 50) { edges { node { id deliveredAt autoStartOn reusable } } } } }
      }`;
    const { data, statements: sent } = await counted(admin, WITH_DATES, { school });
    expect(pageStatement(sent)).toContain('"deliveredAt"');
    expect(sent, describeStatements(sent)).toHaveLength(4); // authenticate, school, products, the pages
    const nodes: { id: string; deliveredAt: string; autoStartOn: string; reusable: boolean }[] = data.school.products.flatMap((product: any) =>
      product.licenses.edges.map((edge: any) => edge.node),
    );
    expect(nodes.length).toBeGreaterThan(20);
    const stored = new Map((await test.db.prisma.license.findMany({ where: { id: { in: nodes.map((node) => rawId(node.id)) } } })).map((row) => [row.id, row]));
    for (const node of nodes) {
      const row = stored.get(rawId(node.id))!;
      expect([node.deliveredAt, node.autoStartOn]).toEqual([row.deliveredAt.toISOString(), formatDay(row.autoStartOn)]);
    }
    expect(nodes.some((node) => node.reusable)).toBe(true);
  });

  it("a page reads the holders' columns of the User fields asked for, and no others", async () => {
    const view = await counted(admin, ADMIN_VIEW, { school, first: 50 });
    expect(pageStatement(view.statements)).toContain('"holder.name"');
    expect(pageStatement(view.statements)).not.toContain('"holder.email"');
    expect(pageStatement(view.statements)).not.toContain('"holder.createdAt"');

    // Every column field of User, through a fragment and an alias: each as the user's row has it.
    const HOLDERS = /* GraphQL */ `
      query Holders($school: ID!) {
        school(id: $school) {
          products {
            licenses(first: 50) {
              edges { node { id holder { id ...Contact } } }
              again: edges { node { holder { isOrganisationAdmin endedAt } } }
            }
          }
        }
      }
      fragment Contact on User { name email externalId }`;
    const { data, statements: sent } = await counted(admin, HOLDERS, { school });
    expect(sent, describeStatements(sent)).toHaveLength(4); // authenticate, school, products, the pages
    for (const column of ['name', 'email', 'externalId', 'isOrganisationAdmin', 'endedAt']) expect(pageStatement(sent)).toContain(`"holder.${column}"`);
    expect(pageStatement(sent)).not.toContain('"holder.createdAt"');
    const products: any[] = data.school.products;
    const holders = products.flatMap((p) =>
      p.licenses.edges.map((edge: any, index: number) => ({ ...edge.node.holder, ...p.licenses.again[index].node.holder })),
    );
    const held = holders.filter((holder) => holder.id);
    expect(held.length).toBeGreaterThan(5);
    const users = new Map(
      (await test.db.prisma.user.findMany({ where: { id: { in: held.map((holder) => rawId(holder.id)) } } })).map((user) => [user.id, user]),
    );
    for (const holder of held) {
      const user = users.get(rawId(holder.id))!;
      expect(holder).toEqual({
        id: holder.id,
        name: user.name,
        email: user.email,
        externalId: user.externalId,
        isOrganisationAdmin: user.isOrganisationAdmin,
        endedAt: user.endedAt?.toISOString() ?? null,
      });
    }
    // The holder's id alone: no column of the holder's row, the same holders.
    const ONLY_IDS = /* GraphQL */ `
      query OnlyIds($school: ID!) { school(id: $school) { products { licenses(first: 50) { edges { node { holder { id } } } } } } }`;
    const onlyIds = await counted(admin, ONLY_IDS, { school });
    expect(pageStatement(onlyIds.statements)).not.toContain('"holder.');
    const ids = onlyIds.data.school.products.flatMap((p: any) => p.licenses.edges.map((edge: any) => edge.node.holder?.id ?? null));
    expect(ids).toEqual(holders.map((holder) => holder.id ?? null));
  });

  it("a holder read with a page's few columns does not stand in for the same user's holder elsewhere in the request", async () => {
    const page = dataOf(await test.request(admin, ADMIN_VIEW, { school, first: 50 })).school.products.flatMap((p: any) => p.licenses.edges);
    const held = page.find((edge: any) => edge.node.holder)!.node;
    const BOTH = /* GraphQL */ `
      query Both($school: ID!, $license: ID!) {
        school(id: $school) { products { licenses(first: 50) { edges { node { id holder { name } } } } } }
        node(id: $license) { ... on License { holder { name email } } }
      }`;
    const { data } = await counted(admin, BOTH, { school, license: held.id });
    const user = await test.db.prisma.user.findUniqueOrThrow({ where: { id: rawId(held.holder.id) } });
    expect(data.node.holder).toEqual({ name: user.name, email: user.email });
  });

  it('reads no count and no holders that @skip or @include leave out', async () => {
    const DIRECTIVES = /* GraphQL */ `
      query Directives($school: ID!, $withCount: Boolean!, $withHolders: Boolean!) {
        school(id: $school) {
          products {
            licenses(first: 5) {
              totalCount @include(if: $withCount)
              edges { node { id holder @skip(if: $withHolders) { name } ... on License @include(if: $withHolders) { holder { name } } } }
            }
          }
        }
      }`;
    const neither = await counted(admin, DIRECTIVES, { school, withCount: false, withHolders: false });
    // holder @skip(if: false) is selected: the holders come with the page; the count does not.
    expect(pageStatement(neither.statements)).toContain('"holder.name"');
    expect(pageStatement(neither.statements)).not.toContain('counted');
    expect(neither.data.school.products[0].licenses.totalCount).toBeUndefined();
    const both = await counted(admin, DIRECTIVES, { school, withCount: true, withHolders: true });
    expect(pageStatement(both.statements)).toContain('counted');
    expect(pageStatement(both.statements)).toContain('"holder.name"');
    const skipped = await counted(
      admin,
      /* GraphQL */ `
      query Skipped($school: ID!) {
        school(id: $school) { products { licenses(first: 5) { totalCount @skip(if: true) edges { node { id holder @include(if: false) { name } } } } } }
      }`,
      { school },
    );
    expect(pageStatement(skipped.statements)).not.toContain('counted');
    expect(pageStatement(skipped.statements)).not.toContain('"holder.name"');
    expect(skipped.data.school.products.every((p: any) => p.licenses.edges.every((e: any) => !('holder' in e.node)))).toBe(true);
  });

  it('availability without the pages is one statement for every product', async () => {
    const AVAILABILITY_ONLY = /* GraphQL */ `
      query AvailabilityOnly($school: ID!) { school(id: $school) { products { availability { assignable reusable { total } } } } }`;
    const { data, statements: sent } = await counted(admin, AVAILABILITY_ONLY, { school });
    expect(data.school.products.length).toBeGreaterThan(1);
    expect(sent, describeStatements(sent)).toHaveLength(4); // authenticate, school, products, the availability of all products
  });

  it("schoolProduct and its availability are one statement, the reader's row and right joined into it", async () => {
    const AVAILABILITY = /* GraphQL */ `
      query Availability($school: ID!, $product: ID!) {
        schoolProduct(school: $school, product: $product) {
          availability { newLicenses assignable assigned expired autoStartingSoon nextAutoStartOn reusable { total endDates { endDate count } } }
        }
      }`;
    const product = gid('Product', demo.ids.matematik);
    // A token's first request reads its user before executing; later ones read the user's row in the read (auth/confirmed-actor.ts).
    const sara = await test.db.prisma.user.findFirstOrThrow({ where: { email: 'sara.admin@ekskolan.example' } });
    const token = await signUserToken(TEST_AUTH, sara.id, { now: test.clock.now(), expiresInSeconds: 3_601 });
    const first = await counted(token, AVAILABILITY, { school, product });
    expect(first.statements, describeStatements(first.statements)).toHaveLength(2); // authenticate, the school + product + right + availability
    const { data, statements: sent } = await counted(token, AVAILABILITY, { school, product });
    expect(data).toEqual(first.data);
    expect(data.schoolProduct.availability.assignable).toBeGreaterThan(0);
    expect(sent, describeStatements(sent)).toHaveLength(1); // the user + school + product + right + availability
    await counted(demo.tokens.teacher, AVAILABILITY, { school, product });
    const denied = await counted(demo.tokens.teacher, AVAILABILITY, { school, product });
    expect(denied.data.schoolProduct).toBeNull();
    expect(denied.statements).toHaveLength(1);
  });

  it('an availability node is one statement', async () => {
    const IDS = /* GraphQL */ `query Id($school: ID!, $product: ID!) { school(id: $school) { product(id: $product) { availability { id } } } }`;
    const id = dataOf(await test.request(admin, IDS, { school, product: gid('Product', demo.ids.matematik) })).school.product.availability.id;
    const NODE = /* GraphQL */ `query Node($id: ID!) { node(id: $id) { ... on LicenseAvailability { assignable reusable { total } } } }`;
    const { data, statements: sent } = await counted(admin, NODE, { id });
    expect(data.node.assignable).toBeGreaterThan(0);
    expect(sent, describeStatements(sent)).toHaveLength(1);
  });

  it('totalCount alone counts every product in one statement', async () => {
    const { data, statements: sent } = await counted(admin, COUNTS_ONLY, { school });
    expect(data.school.products.length).toBeGreaterThan(1);
    expect(sent).toHaveLength(4); // authenticate, school, products, the counts of all products
  });

  it(`assignLicense sends ${ASSIGN_LICENSE_STATEMENTS} statements`, async () => {
    const user = await userGid(test.db.prisma, 'svante.student@ekskolan.example');
    const { data, statements: sent } = await counted(admin, ASSIGN_LICENSE, {
      input: { school, product: gid('Product', demo.ids.matematik), user, reuseStarted: false },
    });
    expect(data.assignLicense.__typename).toBe('AssignLicensePayload');
    expect(data.assignLicense.license.holder.name).toBe('Svante Elev');
    expect(data.assignLicense.assignment.user.name).toBe('Svante Elev');
    expect(sent, describeStatements(sent)).toHaveLength(ASSIGN_LICENSE_STATEMENTS);
  });

  it(`assignLicense reusing a chosen end date sends ${REUSE_WITH_END_DATE_STATEMENTS} statements, revokeLicense ${REVOKE_LICENSE_STATEMENTS}; their payloads show what a read shows`, async () => {
    const product = gid('Product', demo.ids.matematik);
    const POOL = /* GraphQL */ `
      query Pool($school: ID!, $product: ID!) { schoolProduct(school: $school, product: $product) { availability { reusable { endDates { endDate } } } } }`;
    const endDate = dataOf(await test.request(admin, POOL, { school, product })).schoolProduct.availability.reusable.endDates[0].endDate;
    const student = await test.db.prisma.user.findFirstOrThrow({
      where: {
        memberships: { some: { schoolId: demo.ids.ekskolan, role: 'STUDENT', endedAt: null } },
        assignments: { none: { productId: demo.ids.matematik, isActive: true } },
      },
    });
    const assigned = await counted(admin, ASSIGN_SHOWN, { input: { school, product, user: gid('User', student.id), reuseStarted: true, endDate } });
    const payload = assigned.data.assignLicense;
    expect(payload.__typename, JSON.stringify(payload)).toBe('AssignLicensePayload');
    expect([payload.license.endDate, payload.license.holder.name, payload.assignment.user.email]).toEqual([endDate, student.name, student.email]);
    expect(assigned.statements, describeStatements(assigned.statements)).toHaveLength(REUSE_WITH_END_DATE_STATEMENTS);
    const readBack = async () => dataOf(await test.request(admin, READ_BACK, { license: payload.license.id, assignment: payload.assignment.id }));
    expect(await readBack()).toEqual({ license: payload.license, assignment: payload.assignment });

    const revoked = await counted(admin, REVOKE_SHOWN, { license: payload.license.id });
    expect(revoked.data.revokeLicense.license).toMatchObject({ id: payload.license.id, reusable: true, holder: null, endDate });
    expect(revoked.statements, describeStatements(revoked.statements)).toHaveLength(REVOKE_LICENSE_STATEMENTS);
    expect((await readBack()).license).toEqual(revoked.data.revokeLicense.license);
  });

  it(`removeMyLicense sends ${REMOVE_MY_LICENSE_STATEMENTS} statements`, async () => {
    const license = gid('License', demo.ids.heldByTeacher!);
    const { data, statements: sent } = await counted(demo.tokens.teacher, REMOVE_MY_LICENSE, { input: { license } });
    expect(data.removeMyLicense).toMatchObject({ __typename: 'LicensePayload', license: { id: license, state: 'STARTED', reusable: true } });
    expect(sent, describeStatements(sent)).toHaveLength(REMOVE_MY_LICENSE_STATEMENTS);
  });

  it('the nested view still sends the same number of statements with more products', async () => {
    const before = (await counted(admin, ADMIN_VIEW, { school, first: 50 })).data.school.products.length;
    const supplier = await test.db.prisma.supplier.findFirstOrThrow();
    // Two delivered at once, two awaiting their supplier: pages with licenses and empty ones.
    for (const [name, deliveryMode] of [
      ['Fysik 8', 'DIRECT'],
      ['Historia 9', 'DELAYED'],
      ['Geografi 7', 'DIRECT'],
      ['Biologi 8', 'DELAYED'],
    ] as const) {
      const product = await test.db.prisma.product.create({
        data: { name, supplierId: supplier.id, validityMonths: 12, deliveryMode },
      });
      const placed = dataOf(await test.request(admin, PLACE_ORDER, { input: { school, product: gid('Product', product.id), quantity: 7 } }));
      expect(placed.placeOrder.__typename).toBe('OrderPayload');
    }
    const { data, statements: sent } = await counted(admin, ADMIN_VIEW, { school, first: 50 });
    expect(data.school.products.length).toBe(before + 4);
    expect(sent, describeStatements(sent)).toHaveLength(ADMIN_VIEW_STATEMENTS);
    // A product with an order and no license yet: its empty page still carries its availability.
    const added = new Map(data.school.products.map((p: any) => [p.product.name, p]));
    const numbers = (name: string) => {
      const { licenses, availability } = added.get(name) as any;
      return [licenses.totalCount, availability.newLicenses, availability.awaitingDelivery];
    };
    expect(['Fysik 8', 'Historia 9', 'Geografi 7', 'Biologi 8'].map(numbers)).toEqual([
      [7, 7, 0],
      [0, 0, 7],
      [7, 7, 0],
      [0, 0, 7],
    ]);
  });
});
