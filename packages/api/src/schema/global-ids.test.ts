// Our global IDs are Pothos' own: clients and the SDK may build them with Pothos' encodeGlobalID.
import { encodeGlobalID } from '@pothos/plugin-relay';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
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
});
