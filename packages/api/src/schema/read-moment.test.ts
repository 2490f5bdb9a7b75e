// One request is read at one moment: its license states, end dates, page filters and availability
// counts agree with each other even when the clock moves while the answer is being built.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMonths, type Clock } from '../clock.ts';
import type { DemoData } from '../seed/demo.ts';
import { dataOf, TEST_AUTH, startStandardScenario, type GraphQLResponse, type TestApi } from '../testing/harness.ts';
import { gid } from '../testing/ids.ts';
import { createApi } from '../yoga.ts';

const LIST_AND_COUNTS = /* GraphQL */ `
  query ListAndCounts($school: ID!, $product: ID!) {
    school(id: $school) {
      product(id: $product) {
        availability { newLicenses expired }
        licenses(first: 100) { totalCount edges { node { state endDate } } }
        started: licenses(state: STARTED, first: 100) { edges { node { state } } }
      }
    }
  }`;

/** A clock that moves a month further every time it is asked. */
class RacingClock implements Clock {
  calls = 0;
  private readonly start: Date;
  constructor(start: Date) {
    this.start = start;
  }
  now(): Date {
    return addMonths(this.start, this.calls++);
  }
}

describe('the moment a request is read at', () => {
  let test: TestApi;
  let demo: DemoData;
  beforeAll(async () => {
    ({ test, demo } = await startStandardScenario());
  });
  afterAll(() => test.close());

  it('is one for every field of the answer, even with a clock that moves a month at every read', async () => {
    const clock = new RacingClock(test.clock.now());
    const api = createApi({ prisma: test.db.prisma, clock, auth: TEST_AUTH, graphiql: false });
    const response = await api.fetch('http://api.test/graphql', {
      method: 'POST',
      // An API key: a user token would expire as this clock races ahead.
      headers: { 'content-type': 'application/json', authorization: `Bearer ${demo.keys.integration}` },
      body: JSON.stringify({ query: LIST_AND_COUNTS, variables: { school: gid('School', demo.ids.ekskolan), product: gid('Product', demo.ids.matematik) } }),
    });
    const { product } = dataOf((await response.json()) as GraphQLResponse).school;
    const states = product.licenses.edges.map((edge: any) => edge.node.state);
    expect(states.length).toBe(product.licenses.totalCount);
    expect(states.filter((state: string) => state === 'NEW').length).toBe(product.availability.newLicenses);
    expect(states.filter((state: string) => state === 'EXPIRED').length).toBe(product.availability.expired);
    expect(product.started.edges.length).toBe(states.filter((state: string) => state === 'STARTED').length);
    expect(product.started.edges.every((edge: any) => edge.node.state === 'STARTED')).toBe(true);
    // The demo product has new licenses now, so a month's move would have shown.
    expect(product.availability.newLicenses).toBeGreaterThan(0);
    expect(clock.calls).toBeGreaterThan(0);
  });
});
