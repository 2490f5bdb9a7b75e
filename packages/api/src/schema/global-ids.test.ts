// Our global IDs are Pothos' own: clients and the SDK may build them with Pothos' encodeGlobalID.
import { encodeGlobalID } from '@pothos/plugin-relay';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataOf, startTestApi, TEST_AUTH, type TestApi } from '../testing/harness.ts';
import { ASSIGN_LICENSE, REVOKE_LICENSE } from '../testing/operations.ts';
import { licensePool, tokenOf, type LicensePool } from '../testing/scenarios.ts';
import { decodeId, encodeId } from './global-ids.ts';

describe('global IDs', () => {
  it('encodes every type name and id exactly as Pothos does, ASCII or not', () => {
    const typename = fc.oneof(fc.constantFrom('License', 'User', 'SchoolProduct'), fc.string({ unit: 'binary', maxLength: 20 }));
    const id = fc.oneof(
      fc.uuid(),
      fc.tuple(fc.uuid(), fc.uuid()).map(([school, product]) => `${school}:${product}`),
      fc.string({ unit: 'binary', maxLength: 60 }),
      fc.integer(),
    );
    fc.assert(
      fc.property(typename, id, (type, raw) => {
        expect(encodeId(type, raw)).toBe(encodeGlobalID(type, raw));
      }),
      { numRuns: 2_000 },
    );
    // Both paths are taken: ASCII through btoa, the rest through Pothos (é, ü and Ö are not ASCII).
    expect(encodeId('Användare', 'Öst')).toBe(encodeGlobalID('Användare', 'Öst'));
    expect(encodeId('License', '0190a5f2-0000-7000-8000-000000000001')).toBe(encodeGlobalID('License', '0190a5f2-0000-7000-8000-000000000001'));
  });

  it('decodes what it encodes, and names nothing for an id that is not a UUID', () => {
    const license = '0190a5f2-0000-7000-8000-000000000001';
    expect(decodeId(encodeId('License', license))).toEqual({ typename: 'License', id: license });
    expect(decodeId(encodeId('SchoolProduct', `${license}:${license}`))).toEqual({ typename: 'SchoolProduct', id: `${license}:${license}` });
    expect(decodeId(encodeId('License', 'DROP TABLE'))).toEqual({ typename: 'License', id: '00000000-0000-0000-0000-000000000000' });
  });

  it('takes two UUIDs only for the composite types, one for every other', () => {
    const [a, b] = ['0190a5f2-0000-7000-8000-000000000001', '0190a5f2-0000-7000-8000-000000000002'];
    const nil = '00000000-0000-0000-0000-000000000000';
    for (const type of ['SchoolProduct', 'ReusableLicensePool', 'LicenseAvailability']) {
      expect(decodeId(encodeId(type, `${a}:${b}`))).toEqual({ typename: type, id: `${a}:${b}` });
      expect(decodeId(encodeId(type, `${a}:${b}:${a}`)).id).toBe(nil);
    }
    for (const type of ['License', 'School', 'User', 'Order', 'Product', 'Group']) {
      expect(decodeId(encodeId(type, `${a}:${b}`))).toEqual({ typename: type, id: nil });
    }
  });
});

const backend = process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite';

describe(`an ID with two UUIDs for a type that takes one, on ${backend}`, () => {
  let test: TestApi;
  let pool: LicensePool;
  let admin: string;
  beforeAll(async () => {
    test = await startTestApi();
    pool = await licensePool(test.db.prisma, test.clock, { licenses: 2, students: 1 });
    admin = await tokenOf(TEST_AUTH, test.clock, pool.adminId);
  });
  afterAll(() => test.close());

  // Real ids on both sides: the first is the school's, so nothing but the shape is wrong.
  const twoIds = (type: string) => encodeId(type, `${pool.schoolId}:${pool.productId}`);

  it('names nothing, as an unknown UUID does', async () => {
    const read = await test.request(admin, 'query($id: ID!, $school: ID!) { node(id: $id) { id } school(id: $school) { id } }', {
      id: twoIds('License'),
      school: twoIds('School'),
    });
    expect(read.errors).toBeUndefined();
    expect(read.data).toEqual({ node: null, school: null });
    const revoked = dataOf(await test.request(admin, REVOKE_LICENSE, { input: { license: twoIds('License') } })).revokeLicense;
    expect(revoked).toMatchObject({ __typename: 'LicenseError', code: 'NOT_FOUND' });
    // assignLicense answers as for a UUID of no school (NOT_FOUND) or of no user of the school.
    const assign = async (input: Record<string, unknown>) =>
      dataOf(await test.request(admin, ASSIGN_LICENSE, { input: { product: pool.gids.product, reuseStarted: false, ...input } })).assignLicense;
    const unknown = (type: string) => encodeId(type, '0190a5f2-0000-7000-8000-00000000abcd');
    const student = pool.gids.students[0];
    expect(await assign({ school: twoIds('School'), user: student })).toMatchObject({ code: 'NOT_FOUND', field: 'school' });
    expect(await assign({ school: twoIds('School'), user: student })).toEqual(await assign({ school: unknown('School'), user: student }));
    const byUser = await assign({ school: pool.gids.school, user: twoIds('User') });
    expect(byUser).toMatchObject({ __typename: 'LicenseError', code: 'USER_NOT_IN_SCHOOL' });
    expect(byUser).toEqual(await assign({ school: pool.gids.school, user: unknown('User') }));
  });
});
