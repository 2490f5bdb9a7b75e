// A school's product, its reusable pool and its availability are nodes: node(id:) fetches them
// for those who may read the school's licenses, and answers null to everyone else.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUserToken, userActor } from '../auth/authenticate.ts';
import { visibleSchools } from '../domain/actor.ts';
import type { DemoData } from '../seed/demo.ts';
import { dataOf, startStandardScenario, TEST_AUTH, type TestApi } from '../testing/harness.ts';
import { gid } from '../testing/ids.ts';

const IDS = /* GraphQL */ `
  query Ids($school: ID!, $product: ID!) {
    school(id: $school) { product(id: $product) { id availability { id reusable { id total } } reusablePool { id total } } }
  }`;

const NODES = /* GraphQL */ `
  query Nodes($ids: [ID!]!) {
    nodes(ids: $ids) {
      __typename
      id
      ... on SchoolProduct { product { name } availability { assignable } }
      ... on LicenseAvailability { newLicenses reusable { total } }
      ... on ReusableLicensePool { total needsEndDateChoice }
    }
  }`;

let test: TestApi;
let demo: DemoData;
beforeAll(async () => {
  ({ test, demo } = await startStandardScenario());
});
afterAll(() => test.close());

describe('school products, pools and availability as nodes', () => {
  let ids: string[];
  beforeAll(async () => {
    const variables = { school: gid('School', demo.ids.ekskolan), product: gid('Product', demo.ids.matematik) };
    const schoolProduct = dataOf(await test.request(demo.tokens.schoolAdmin, IDS, variables)).school.product;
    ids = [schoolProduct.id, schoolProduct.availability.id, schoolProduct.reusablePool.id];
    // The pool reached through the availability is the same node as the product's pool.
    expect(schoolProduct.availability.reusable.id).toBe(schoolProduct.reusablePool.id);
  });

  it('fetches each of them by its global ID', async () => {
    const { nodes } = dataOf(await test.request(demo.tokens.schoolAdmin, NODES, { ids }));
    expect(nodes).toEqual([
      { __typename: 'SchoolProduct', id: ids[0], product: { name: 'Matematik 7 Digital' }, availability: { assignable: 17 } },
      { __typename: 'LicenseAvailability', id: ids[1], newLicenses: 6, reusable: { total: 11 } },
      { __typename: 'ReusableLicensePool', id: ids[2], total: 11, needsEndDateChoice: true },
    ]);
  });

  it('answers null to a student of the school and to another organisation', async () => {
    for (const token of [demo.tokens.student, demo.tokens.teacher, demo.tokens.otherOrganisationAdmin]) {
      expect(dataOf(await test.request(token, NODES, { ids })).nodes).toEqual([null, null, null]);
    }
  });
});

describe('Query.schoolProduct', () => {
  const AVAILABILITY = /* GraphQL */ `
    fragment Box on LicenseAvailability {
      newLicenses assignable assigned expired awaitingDelivery autoStartingSoon nextAutoStartOn
      reusable { total needsEndDateChoice endDates { endDate count daysLeft } }
    }
    query Both($school: ID!, $product: ID!) {
      schoolProduct(school: $school, product: $product) { id product { name } school { name } availability { ...Box } }
      school(id: $school) { product(id: $product) { id product { name } school { name } availability { ...Box } } }
    }`;
  const variables = () => ({ school: gid('School', demo.ids.ekskolan), product: gid('Product', demo.ids.matematik) });

  it('answers as school { product } does', async () => {
    const data = dataOf(await test.request(demo.tokens.schoolAdmin, AVAILABILITY, variables()));
    expect(data.schoolProduct.availability.assignable).toBe(17);
    expect(data.schoolProduct).toEqual(data.school.product);
  });

  it("answers null to those who may not read the school's licenses, and for an unknown product", async () => {
    const ONE = /* GraphQL */ `
      query One($school: ID!, $product: ID!) { schoolProduct(school: $school, product: $product) { id availability { assignable } } }`;
    for (const token of [demo.tokens.student, demo.tokens.teacher, demo.tokens.otherOrganisationAdmin]) {
      expect(dataOf(await test.request(token, ONE, variables())).schoolProduct).toBeNull();
    }
    expect(dataOf(await test.request(demo.tokens.organisationAdmin, ONE, variables())).schoolProduct.availability.assignable).toBe(17);
    const unknown = { ...variables(), product: gid('Product', '00000000-0000-7000-8000-000000000000') };
    expect(dataOf(await test.request(demo.tokens.schoolAdmin, ONE, unknown)).schoolProduct).toBeNull();
  });
});

describe("a school product's license list", () => {
  const PAGE = /* GraphQL */ `
    query Page($school: ID!, $product: ID!, $first: Int!, $after: String) {
      school(id: $school) {
        product(id: $product) {
          licenses(first: $first, after: $after) {
            pageInfo { startCursor endCursor hasNextPage }
            edges { cursor node { id } }
          }
        }
      }
    }`;

  it("continues right after any edge's cursor, and pageInfo holds the first and last edge's cursors", async () => {
    const page = async (first: number, after?: string) =>
      dataOf(
        await test.request(demo.tokens.schoolAdmin, PAGE, {
          school: gid('School', demo.ids.ekskolan),
          product: gid('Product', demo.ids.matematik),
          first,
          after,
        }),
      ).school.product.licenses;
    const all = await page(100);
    const ids = all.edges.map((edge: any) => edge.node.id);
    expect(ids.length).toBeGreaterThan(3);
    expect(all.pageInfo.startCursor).toBe(all.edges[0].cursor);
    expect(all.pageInfo.endCursor).toBe(all.edges.at(-1).cursor);
    expect(new Set(all.edges.map((edge: any) => edge.cursor)).size).toBe(ids.length);
    for (const [index, edge] of all.edges.entries()) {
      const next = await page(2, edge.cursor);
      expect(next.edges.map((e: any) => e.node.id)).toEqual(ids.slice(index + 1, index + 3));
    }
  });

  const WINDOW = /* GraphQL */ `
    query Window($school: ID!, $product: ID!, $first: Int, $after: String, $last: Int, $before: String) {
      school(id: $school) {
        product(id: $product) {
          licenses(first: $first, after: $after, last: $last, before: $before) {
            totalCount
            pageInfo { startCursor endCursor hasNextPage hasPreviousPage }
            edges { cursor node { id } }
          }
        }
      }
    }`;
  const window = (variables: Record<string, unknown>) =>
    test.request(demo.tokens.schoolAdmin, WINDOW, { school: gid('School', demo.ids.ekskolan), product: gid('Product', demo.ids.matematik), ...variables });

  it('pages backwards before any cursor, with pageInfo as Relay defines it, and refuses the windows Pothos refuses', async () => {
    const all = dataOf(await window({ first: 100 })).school.product.licenses;
    const ids = all.edges.map((edge: any) => edge.node.id);
    expect(all.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: false });
    expect(all.totalCount).toBe(ids.length);
    for (const [index, edge] of all.edges.entries()) {
      const previous = dataOf(await window({ last: 2, before: edge.cursor })).school.product.licenses;
      expect(previous.edges.map((e: any) => e.node.id)).toEqual(ids.slice(Math.max(0, index - 2), index));
      expect(previous.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: index > 2 });
      expect(previous.pageInfo.endCursor).toBe(index > 0 ? all.edges[index - 1].cursor : null);
      expect(previous.totalCount).toBe(ids.length);
    }
    const last = dataOf(await window({ last: 2 })).school.product.licenses;
    expect(last.edges.map((e: any) => e.node.id)).toEqual(ids.slice(-2));
    expect(last.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true, startCursor: all.edges.at(-2).cursor });
    const both = await window({ first: 2, before: all.edges[3].cursor });
    expect(both.errors?.[0]?.message).toBe('Arguments "before" and "first" are not supported at the same time');
  });
});

describe('Query.school', () => {
  const SCHOOL = /* GraphQL */ `
    query School($id: ID!) { school(id: $id) { id name schoolUnitCode externalId endedAt } }`;

  it('answers every user with the schools visibleSchools lets them see, and null for the others', async () => {
    const prisma = test.db.prisma;
    const schools = await prisma.school.findMany();
    let seen = 0;
    let hidden = 0;
    for (const user of await prisma.user.findMany()) {
      const token = await signUserToken(TEST_AUTH, user.id, { now: test.clock.now() });
      const actor = await userActor(prisma, user.id).catch(() => null);
      for (const school of schools) {
        const response = await test.request(token, SCHOOL, { id: gid('School', school.id) });
        if (!actor) {
          expect(response.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
          continue;
        }
        const expected = await prisma.school.findFirst({ where: { AND: [{ id: school.id }, visibleSchools(actor)] } });
        expect(dataOf(response).school, `${user.email} ${school.name}`).toEqual(
          expected && {
            id: gid('School', expected.id),
            name: expected.name,
            schoolUnitCode: expected.schoolUnitCode,
            externalId: expected.externalId,
            endedAt: expected.endedAt?.toISOString() ?? null,
          },
        );
        if (expected) seen++;
        else hidden++;
      }
    }
    expect(seen).toBeGreaterThan(2);
    expect(hidden).toBeGreaterThan(2);
  });
});
