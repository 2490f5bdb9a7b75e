// Bad input: malformed IDs, IDs of the wrong type, malformed dates, impossible quantities, unknown
// enum values, empty lists. Each is a typed error or a GraphQL error that says what is wrong,
// never a 500 or an internal error, and never a half-written change.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DemoData } from '../seed/demo.ts';
import { startStandardScenario, type GraphQLResponse, type TestApi } from '../testing/harness.ts';
import { gid, userGid } from '../testing/ids.ts';
import {
  ASSIGN_LICENSE,
  ASSIGN_LICENSES,
  CREATE_ACTIVATION_LINK,
  MARK_NOTIFICATIONS_READ,
  PLACE_ORDER,
  REDEEM_ACTIVATION_LINK,
  REVOKE_LICENSE,
} from '../testing/operations.ts';
import { outcomeOf } from '../testing/outcome.ts';
import { countRows, rowChanges } from '../testing/rows.ts';

const backend = process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite';

/** A GraphQL error about the request itself (validation, variables, IDs), not an internal one. */
const REQUEST_ERROR = 'request error';
/** A day that is not one: a GraphQL error with code INVALID_INPUT on field endDate, before any resolver. */
const INVALID_END_DATE = 'INVALID_INPUT on endDate';

describe(`bad input on ${backend}`, () => {
  let test: TestApi;
  let demo: DemoData;
  let school: string;
  let matematik: string;
  let svante: string;

  beforeAll(async () => {
    ({ test, demo } = await startStandardScenario());
    school = gid('School', demo.ids.ekskolan);
    matematik = gid('Product', demo.ids.matematik);
    svante = await userGid(test.db.prisma, 'svante.student@ekskolan.example');
  });
  afterAll(() => test.close());

  /** A typed error's code, or REQUEST_ERROR for a client error; anything internal fails the test. */
  function verdict(response: GraphQLResponse, field: string): string {
    expect(response.status, JSON.stringify(response)).toBeLessThan(500);
    for (const error of response.errors ?? []) {
      expect(error.extensions?.code, JSON.stringify(error)).not.toBe('INTERNAL_SERVER_ERROR');
      expect(error.message).not.toMatch(/Unexpected error|prisma|invalid input syntax|uuid/i);
    }
    const [first] = response.errors ?? [];
    const extensions = first?.extensions as { code?: string; field?: string } | undefined;
    if (extensions?.code === 'INVALID_INPUT') return `INVALID_INPUT on ${extensions.field}`;
    if (response.errors?.length) return REQUEST_ERROR;
    return outcomeOf(response, field);
  }

  const assign = (input: Record<string, unknown>) => ({ input: { school, product: matematik, user: svante, reuseStarted: false, ...input } });
  const order = (input: Record<string, unknown>) => ({ input: { school, product: matematik, quantity: 1, ...input } });
  const notBase64 = '%%%not-an-id%%%';
  const unknownUuid = '00000000-0000-4000-8000-000000000000';

  const cases: { name: string; query: string; field: string; variables: () => Record<string, unknown>; expected: string; token?: () => string }[] = [
    {
      name: 'a global ID that is not base64',
      query: ASSIGN_LICENSE,
      field: 'assignLicense',
      variables: () => assign({ school: notBase64 }),
      expected: 'INVALID_INPUT on school',
    },
    {
      name: 'a global ID without a type',
      query: ASSIGN_LICENSE,
      field: 'assignLicense',
      variables: () => assign({ user: Buffer.from('just-text').toString('base64') }),
      expected: 'INVALID_INPUT on user',
    },
    {
      name: 'a global ID of the wrong type',
      query: ASSIGN_LICENSE,
      field: 'assignLicense',
      variables: () => assign({ school: matematik }),
      expected: 'INVALID_INPUT on school',
    },
    {
      name: 'a global ID whose inner ID is not a UUID',
      query: ASSIGN_LICENSE,
      field: 'assignLicense',
      variables: () => assign({ school: gid('School', 'ekskolan') }),
      expected: 'NOT_FOUND',
    },
    {
      name: 'a product ID that does not exist',
      query: ASSIGN_LICENSE,
      field: 'assignLicense',
      variables: () => assign({ product: gid('Product', unknownUuid) }),
      expected: 'NOT_FOUND',
    },
    {
      name: 'a user ID whose inner ID is not a UUID',
      query: ASSIGN_LICENSE,
      field: 'assignLicense',
      variables: () => assign({ user: gid('User', 'svante') }),
      expected: 'USER_NOT_IN_SCHOOL',
    },
    {
      name: 'a license ID whose inner ID is not a UUID',
      query: REVOKE_LICENSE,
      field: 'revokeLicense',
      variables: () => ({ input: { license: gid('License', '42') } }),
      expected: 'NOT_FOUND',
    },
    {
      name: 'a malformed end date',
      query: ASSIGN_LICENSE,
      field: 'assignLicense',
      variables: () => assign({ reuseStarted: true, endDate: '31/12/2026' }),
      expected: INVALID_END_DATE,
    },
    {
      name: 'an end date that is not a date at all',
      query: ASSIGN_LICENSE,
      field: 'assignLicense',
      variables: () => assign({ reuseStarted: true, endDate: 'soon' }),
      expected: INVALID_END_DATE,
    },
    {
      name: 'an impossible end date',
      query: ASSIGN_LICENSE,
      field: 'assignLicense',
      variables: () => assign({ reuseStarted: true, endDate: '2026-02-30' }),
      expected: INVALID_END_DATE,
    },
    {
      name: 'an instant given as an end date',
      query: ASSIGN_LICENSE,
      field: 'assignLicense',
      variables: () => assign({ reuseStarted: true, endDate: '2027-06-01T00:00:00.000Z' }),
      expected: INVALID_END_DATE,
    },
    {
      name: 'an end date given as a number',
      query: ASSIGN_LICENSE,
      field: 'assignLicense',
      variables: () => assign({ reuseStarted: true, endDate: 20270601 }),
      expected: INVALID_END_DATE,
    },
    {
      name: 'an end date in a bulk assignment',
      query: ASSIGN_LICENSES,
      field: 'assignLicenses',
      variables: () => ({ input: { school, product: matematik, users: [svante], reuseStarted: true, endDate: '2027-06-01T00:00' } }),
      expected: INVALID_END_DATE,
    },
    {
      name: 'an end date with reuseStarted false',
      query: ASSIGN_LICENSE,
      field: 'assignLicense',
      variables: () => assign({ reuseStarted: false, endDate: '2027-06-01' }),
      expected: 'INVALID_INPUT',
    },
    {
      name: 'reuseStarted missing',
      query: ASSIGN_LICENSE,
      field: 'assignLicense',
      variables: () => ({ input: { school, product: matematik, user: svante } }),
      expected: REQUEST_ERROR,
    },
    {
      name: 'an idempotency key that is too long',
      query: ASSIGN_LICENSE,
      field: 'assignLicense',
      variables: () => assign({ idempotencyKey: 'k'.repeat(201) }),
      expected: 'INVALID_INPUT',
    },
    {
      name: 'an empty idempotency key',
      query: ASSIGN_LICENSE,
      field: 'assignLicense',
      variables: () => assign({ idempotencyKey: '' }),
      expected: 'INVALID_INPUT',
    },
    {
      name: 'an idempotency key of spaces only',
      query: PLACE_ORDER,
      field: 'placeOrder',
      variables: () => order({ idempotencyKey: ' \u00a0 ' }),
      expected: 'INVALID_INPUT',
    },
    { name: 'a quantity of zero', query: PLACE_ORDER, field: 'placeOrder', variables: () => order({ quantity: 0 }), expected: 'INVALID_INPUT' },
    { name: 'a negative quantity', query: PLACE_ORDER, field: 'placeOrder', variables: () => order({ quantity: -5 }), expected: 'INVALID_INPUT' },
    { name: 'a quantity above 10 000', query: PLACE_ORDER, field: 'placeOrder', variables: () => order({ quantity: 10_001 }), expected: 'INVALID_INPUT' },
    { name: 'a quantity beyond a 32-bit Int', query: PLACE_ORDER, field: 'placeOrder', variables: () => order({ quantity: 2 ** 40 }), expected: REQUEST_ERROR },
    { name: 'a fractional quantity', query: PLACE_ORDER, field: 'placeOrder', variables: () => order({ quantity: 1.5 }), expected: REQUEST_ERROR },
    { name: 'a quantity as text', query: PLACE_ORDER, field: 'placeOrder', variables: () => order({ quantity: 'ten' }), expected: REQUEST_ERROR },
    {
      name: 'pre-assignment of an ID that is not a user',
      query: PLACE_ORDER,
      field: 'placeOrder',
      variables: () => order({ preAssignTo: [school] }),
      expected: 'INVALID_INPUT on preAssignTo',
    },
    {
      name: 'an empty user list',
      query: ASSIGN_LICENSES,
      field: 'assignLicenses',
      variables: () => ({ input: { school, product: matematik, users: [], reuseStarted: false } }),
      expected: 'INVALID_INPUT',
    },
    {
      name: 'more than 100 users',
      query: ASSIGN_LICENSES,
      field: 'assignLicenses',
      variables: () => ({ input: { school, product: matematik, users: Array(101).fill(svante), reuseStarted: false } }),
      expected: 'INVALID_INPUT',
    },
    {
      name: 'a user list with a malformed ID',
      query: ASSIGN_LICENSES,
      field: 'assignLicenses',
      variables: () => ({ input: { school, product: matematik, users: [svante, notBase64], reuseStarted: false } }),
      expected: 'INVALID_INPUT on users',
    },
    {
      name: 'an unknown activation token of 10 000 characters',
      query: REDEEM_ACTIVATION_LINK,
      field: 'redeemActivationLink',
      variables: () => ({ input: { token: 'act_'.padEnd(10_000, 'x') } }),
      expected: 'ACTIVATION_LINK_INVALID',
    },
    {
      name: 'a link valid for 0 days',
      query: CREATE_ACTIVATION_LINK,
      field: 'createActivationLink',
      token: () => demo.keys.activationSupplier,
      variables: () => ({ input: { order: gid('Order', demo.ids.awaitingOrder), validForDays: 0 } }),
      expected: 'INVALID_INPUT',
    },
    {
      name: 'a link valid for 100 years',
      query: CREATE_ACTIVATION_LINK,
      field: 'createActivationLink',
      token: () => demo.keys.activationSupplier,
      variables: () => ({ input: { order: gid('Order', demo.ids.awaitingOrder), validForDays: 36_500 } }),
      expected: 'INVALID_INPUT',
    },
    {
      name: 'notifications that are not notifications',
      query: MARK_NOTIFICATIONS_READ,
      field: 'markNotificationsRead',
      variables: () => ({ input: { notifications: [school] } }),
      expected: 'INVALID_INPUT on notifications',
    },
  ];

  it.each(cases)('$name → $expected, nothing written', async ({ query, field, variables, expected, token }) => {
    const before = await countRows(test.db.prisma);
    const response = await test.request(token?.() ?? demo.tokens.schoolAdmin, query, variables());
    expect(verdict(response, field), JSON.stringify(response)).toBe(expected);
    expect(rowChanges(before, await countRows(test.db.prisma))).toEqual({});
  });

  const queries: { name: string; query: string; variables?: Record<string, unknown>; invalid?: string }[] = [
    {
      name: 'an unknown enum value in the query',
      query: `query($s: ID!, $p: ID!) { school(id: $s) { product(id: $p) { licenses(state: ACTIVE) { totalCount } } } }`,
    },
    {
      name: 'an unknown enum value in a variable',
      query: `query($s: ID!, $p: ID!, $state: LicenseState) { school(id: $s) { product(id: $p) { licenses(state: $state) { totalCount } } } }`,
      variables: { state: 'REUSABLE' },
    },
    {
      name: 'a malformed date in a filter',
      query: `query($s: ID!, $p: ID!) { school(id: $s) { product(id: $p) { licenses(endDateFrom: "next year") { totalCount } } } }`,
      invalid: 'endDateFrom',
    },
    {
      name: 'an instant in a filter variable',
      query: `query($s: ID!, $p: ID!, $to: LocalDate) { school(id: $s) { product(id: $p) { licenses(endDateTo: $to) { totalCount } } } }`,
      variables: { to: '2027-06-01T00:00:00Z' },
      invalid: 'to',
    },
    { name: 'a negative page size', query: `query($s: ID!, $p: ID!) { school(id: $s) { product(id: $p) { licenses(first: -1) { totalCount } } } }` },
    { name: 'a cursor that is not one', query: `query($s: ID!, $p: ID!) { school(id: $s) { product(id: $p) { licenses(after: "garbage") { totalCount } } } }` },
    { name: 'an unknown field', query: `{ viewer { password } }` },
    { name: 'a syntax error', query: `{ viewer { name ` },
    { name: 'node(id:) of a malformed ID', query: `{ node(id: "${notBase64}") { id } }`, invalid: 'id' },
    { name: 'node(id:) of an ID with a non-UUID inside', query: `{ node(id: "${gid('License', 'nope')}") { id } }` },
    { name: 'node(id:) of an unknown type', query: `{ node(id: "${gid('Invoice', unknownUuid)}") { id } }` },
    { name: 'school(id:) given a user ID', query: `query($u: ID!) { school(id: $u) { name } }`, invalid: 'id' },
  ];

  it.each(queries)('$name: a client error or nothing, never an internal error', async ({ query, variables, invalid }) => {
    const response = await test.request(demo.tokens.schoolAdmin, query, { s: school, p: matematik, u: svante, ...variables });
    const outcome = verdict(response, 'node');
    expect(invalid ? [`INVALID_INPUT on ${invalid}`] : [REQUEST_ERROR, 'null']).toContain(outcome);
  });

  it('a subscription given an ID that is not one is refused on its field as well, before any stream', async () => {
    const response = await test.api.fetch('http://api.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${demo.tokens.schoolAdmin}` },
      body: JSON.stringify({
        query: 'subscription($s: ID!, $p: ID!) { availabilityChanged(school: $s, product: $p) { assignable } }',
        variables: { s: school, p: 'nope' },
      }),
    });
    const text = await response.text();
    const payload = JSON.parse(/^data: (.*)$/m.exec(text)![1]!) as GraphQLResponse;
    expect(payload.errors?.[0]).toMatchObject({ message: '"nope" is not an ID.', extensions: { code: 'INVALID_INPUT', field: 'product' } });
  });

  it('an end date written in the document is refused on its field as well', async () => {
    const response = await test.request(
      demo.tokens.schoolAdmin,
      `mutation($s: ID!, $p: ID!, $u: ID!) { assignLicense(input: { school: $s, product: $p, user: $u, reuseStarted: true, endDate: "2027-06-01T00:00:00Z" }) { __typename } }`,
      { s: school, p: matematik, u: svante },
    );
    expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'INVALID_INPUT', field: 'endDate' });
    expect(response.errors?.[0]?.message).toMatch(/is not a day: give one as YYYY-MM-DD/);
  });

  it('answers aliases that are names of Object.prototype, __proto__ included, as any other alias', async () => {
    const response = await test.request(
      demo.tokens.schoolAdmin,
      `query($s: ID!) {
      __proto__: school(id: $s) { name } constructor: school(id: $s) { toString: name } hasOwnProperty: viewer { name }
    }`,
      { s: school },
    );
    const data = response.data as Record<string, { name?: string; toString?: string }>;
    expect(Object.keys(data)).toEqual(['__proto__', 'constructor', 'hasOwnProperty']);
    expect(Object.getOwnPropertyDescriptor(data, '__proto__')?.value).toEqual({ name: 'Ekskolan' });
    expect(data.constructor).toEqual({ toString: 'Ekskolan' });
    expect(data.hasOwnProperty).toEqual({ name: expect.any(String) });
  });
});
