// GraphQL over HTTP: graphql-http's server audits against the real server on a real port.
// Every MUST audit passes; SHOULD and MAY audits that fail are listed here on purpose.
import { openTestDatabase, type TestDatabase } from '@school-licenses/db/testing';
import { serverAudits } from 'graphql-http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.ts';
import { TEST_AUTH, TEST_START } from '../testing/harness.ts';
import { listen, type Listening } from '../testing/http.ts';
import { createApi } from '../yoga.ts';

describe('GraphQL over HTTP spec (graphql-http server audits)', () => {
  let db: TestDatabase;
  let server: Listening;

  beforeAll(async () => {
    db = await openTestDatabase();
    // The audits ask for `__type`: introspection on, as a server that publishes its schema.
    server = await listen(
      createApi({ prisma: db.prisma, clock: new ManualClock(TEST_START), auth: TEST_AUTH, graphiql: false, limits: { introspection: true } }),
    );
  });
  afterAll(async () => {
    await server?.close();
    await db?.close();
  });

  const audits = serverAudits({ url: () => server.url });
  for (const audit of audits.filter((a) => a.name.startsWith('MUST'))) {
    it(audit.name, async () => {
      const result = await audit.fn();
      expect(result.status === 'ok' ? 'ok' : `${result.status}: ${'reason' in result ? result.reason : ''}`).toBe('ok');
    });
  }

  it('SHOULD and MAY audits: the ones that fail are known', async () => {
    const failing: string[] = [];
    for (const audit of audits.filter((a) => !a.name.startsWith('MUST'))) {
      const result = await audit.fn();
      if (result.status !== 'ok') failing.push(audit.name);
    }
    expect(failing).toEqual([]);
  });
});
