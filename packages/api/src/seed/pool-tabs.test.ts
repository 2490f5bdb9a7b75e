// GraphiQL's tabs for moving licenses and for renewal with reservations run as they open.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoGraphiQL, type DemoData } from './demo.ts';
import { startStandardScenario, type TestApi } from '../testing/harness.ts';

describe('the demo tabs for moving licenses, renewal and reservations', () => {
  let test: TestApi;
  let demo: DemoData;

  beforeAll(async () => {
    ({ test, demo } = await startStandardScenario());
  });
  afterAll(() => test.close());

  const runTab = (marker: string) => async (operationName: string) => {
    const tab = demoGraphiQL(demo).defaultTabs!.find((each) => each.query!.includes(marker))!;
    const response = await test.api.fetch('http://api.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...JSON.parse(tab.headers!) },
      body: JSON.stringify({ query: tab.query, variables: JSON.parse(tab.variables!), operationName }),
    });
    return (await response.json()) as { data: any; errors?: unknown };
  };

  it('moves two new licenses from Ekskolan to Björkskolan', async () => {
    const moved = await runTab('mutation MoveLicenses')('MoveLicenses');
    expect(moved.errors).toBeUndefined();
    expect(moved.data.moveLicenses).toMatchObject({ __typename: 'MoveLicensesPayload', moved: 2, toAvailability: { newLicenses: 2 } });
  });

  it('lists what to renew and reserves a delayed order for class 7A', async () => {
    const run = runTab('mutation ReserveForClass');
    const expiring = await run('Expiring');
    expect(expiring.errors).toBeUndefined();
    expect(expiring.data.expiringLicenses.length).toBeGreaterThan(0);
    const placed = await run('ReserveForClass');
    expect(placed.errors).toBeUndefined();
    expect(placed.data.placeOrder).toMatchObject({ __typename: 'OrderPayload', order: { status: 'AWAITING_DELIVERY', reservedForGroup: { name: '7A' } } });
  });
});
