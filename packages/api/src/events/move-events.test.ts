// A move between schools reaches both schools' subscribers: the relay publishes a license.moved
// event for the giving and for the receiving school, which availabilityChanged listens to.
import type { Event } from '@school-licenses/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DemoData } from '../seed/demo.ts';
import { dataOf, startStandardScenario, type TestApi } from '../testing/harness.ts';
import { gid } from '../testing/ids.ts';
import { MOVE_LICENSES } from '../testing/operations.ts';

const backend = process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite';

describe(`a move's events reach both schools on ${backend}`, () => {
  let test: TestApi;
  let demo: DemoData;

  beforeAll(async () => {
    ({ test, demo } = await startStandardScenario({ events: true }));
    await test.relay!.flush();
  });
  afterAll(() => test.close());

  it('publishes license.moved for the giving and the receiving school, with the product', async () => {
    const published: Event[] = [];
    const iterator = test.events.subscribe('event')[Symbol.asyncIterator]();
    const reading = (async () => {
      for (;;) {
        const next = await iterator.next();
        if (next.done) return;
        published.push(next.value);
      }
    })();
    const moved = dataOf(
      await test.request(demo.tokens.organisationAdmin, MOVE_LICENSES, {
        input: {
          fromSchool: gid('School', demo.ids.ekskolan),
          toSchool: gid('School', demo.ids.bjorkskolan),
          product: gid('Product', demo.ids.matematik),
          count: 1,
          kind: 'NEW',
        },
      }),
    ).moveLicenses;
    expect(moved.__typename).toBe('MoveLicensesPayload');
    await test.relay!.flush();
    await iterator.return?.();
    await reading;
    const moves = published.filter((event) => event.kind === 'license.moved');
    expect(moves.map((event) => [event.schoolId, event.productId]).sort()).toEqual(
      [
        [demo.ids.ekskolan, demo.ids.matematik],
        [demo.ids.bjorkskolan, demo.ids.matematik],
      ].sort(),
    );
  });
});
