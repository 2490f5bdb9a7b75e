// Query.entitlement: whether a user holds a product now, in one statement after authentication (one
// in all for a user token or API key seen before),
// for whoever may see the user, and right past an end date whether or not the sweep has run.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DemoData } from '../seed/demo.ts';
import { dataOf, startStandardScenario, type TestApi } from '../testing/harness.ts';
import { gid, userGid } from '../testing/ids.ts';
import { organisationKeyOf } from '../testing/scenarios.ts';

const ENTITLEMENT = /* GraphQL */ `
  query Entitlement($user: ID!, $product: ID!) { entitlement(user: $user, product: $product) { holds license endDate daysLeft } }`;

const backend = process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite';

describe(`entitlement on ${backend}`, () => {
  const statements: string[] = [];
  let test: TestApi;
  let demo: DemoData;
  let product: string;
  let holder: { id: string; licenseId: string; endDate: Date };

  beforeAll(async () => {
    ({ test, demo } = await startStandardScenario({ onQuery: (sql) => statements.push(sql) }));
    product = gid('Product', demo.ids.matematik);
    const saga = await test.db.prisma.user.findFirstOrThrow({ where: { email: 'saga.student@ekskolan.example' } });
    const license = await test.db.prisma.license.findFirstOrThrow({ where: { assignedUserId: saga.id, productId: demo.ids.matematik } });
    holder = { id: gid('User', saga.id), licenseId: license.id, endDate: license.endDate };
  });
  afterAll(() => test.close());

  const ask = async (token: string, user: string) => {
    statements.length = 0;
    const data = dataOf(await test.request(token, ENTITLEMENT, { user, product }));
    return { entitlement: data.entitlement, statements: [...statements] };
  };

  it('tells a holder, their school and an integration that they hold it, with its end date, in one statement after authentication, and one in all for a credential seen before', async () => {
    const expected = { holds: true, license: gid('License', holder.licenseId), endDate: holder.endDate.toISOString().slice(0, 10) };
    for (const token of [demo.tokens.student, demo.tokens.schoolAdmin, demo.tokens.organisationAdmin]) {
      const { entitlement, statements: sent } = await ask(token, holder.id);
      expect(entitlement).toMatchObject(expected);
      expect(entitlement.daysLeft).toBeGreaterThan(0);
      expect(sent, sent.join('\n')).toHaveLength(2);
      // The token seen before: its user's row is read in the same statement (auth/confirmed-actor.ts).
      const again = await ask(token, holder.id);
      expect(again.entitlement).toEqual(entitlement);
      expect(again.statements, again.statements.join('\n')).toHaveLength(1);
    }
    // An LMS's key, as its launches send it: read before its first check, then in the check's own statement.
    const lms = await ask(demo.keys.integration, holder.id);
    expect(lms.entitlement).toMatchObject(expected);
    expect(lms.statements, lms.statements.join('\n')).toHaveLength(2);
    const launch = await ask(demo.keys.integration, holder.id);
    expect(launch.entitlement).toEqual(lms.entitlement);
    expect(launch.statements, launch.statements.join('\n')).toHaveLength(1);
  });

  it('answers false for a user without the product, and null for a user who is not yours to see', async () => {
    const without = await ask(demo.tokens.schoolAdmin, gid('User', demo.ids.studentWithoutLicense));
    expect(without.entitlement).toEqual({ holds: false, license: null, endDate: null, daysLeft: null });
    expect((await ask(demo.tokens.otherOrganisationAdmin, holder.id)).entitlement).toBeNull();
    // A student sees only themself.
    const other = await userGid(test.db.prisma, 'sixten.student@ekskolan.example');
    expect((await ask(demo.tokens.student, other)).entitlement).toBeNull();
  });

  it('refuses a key revoked after its checks, and from then on before anything is read', async () => {
    const { key, id } = await organisationKeyOf(test.db.prisma, test.clock, demo.ids.ekskolan, 'Revoked LMS', 'ORGANISATION_READ');
    const SCHOOL = `query ($school: ID!) { school(id: $school) { name } }`;
    const variables = { school: gid('School', demo.ids.ekskolan) };
    const send = async (query: string, values: Record<string, unknown>) => {
      statements.length = 0;
      const response = await test.request(key, query, values);
      return { response, statements: [...statements] };
    };
    expect((await ask(key, holder.id)).statements).toHaveLength(2);
    expect((await ask(key, holder.id)).statements).toHaveLength(1);
    await test.db.prisma.apiCredential.update({ where: { id }, data: { revokedAt: test.clock.now() } });
    // Remembered still: the school is read, then the key, and the answer is refused.
    const first = await send(SCHOOL, variables);
    expect(first.response.status).toBe(401);
    expect(first.response.data ?? null).toBeNull();
    expect(first.statements, first.statements.join('\n')).toHaveLength(2);
    // Forgotten since: the key is read before anything else, and refused there.
    for (const [query, values] of [
      [SCHOOL, variables],
      [ENTITLEMENT, { user: holder.id, product }],
    ] as const) {
      const again = await send(query, values);
      expect(again.response.status).toBe(401);
      expect(again.response.errors?.[0]?.message).toBe('Unknown or revoked API key.');
      expect(again.statements, again.statements.join('\n')).toHaveLength(1);
    }
  });

  it('answers false from the day after the end date, before any sweep', async () => {
    // An API key, which does not expire with the clock as a signed-in user's token does.
    const asLms = async () => {
      const response = await test.api.fetch('http://api.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${demo.keys.integration}` },
        body: JSON.stringify({ query: ENTITLEMENT, variables: { user: holder.id, product } }),
      });
      return ((await response.json()) as any).data.entitlement;
    };
    // Noon UTC of the end date is its afternoon in Stockholm: the last usable day.
    test.clock.set(new Date(holder.endDate.getTime() + 12 * 3_600_000));
    expect(await asLms()).toMatchObject({ holds: true, daysLeft: 1 });
    test.clock.advanceDays(1);
    expect(await asLms()).toEqual({ holds: false, license: null, endDate: null, daysLeft: null });
  });
});
