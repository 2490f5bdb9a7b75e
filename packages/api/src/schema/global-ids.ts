// Relay global IDs as Pothos makes them (base64 of `Type:id`), with the two changes the relay
// plugin's encodeGlobalID/decodeGlobalID options exist for.
import { decodeGlobalID, encodeGlobalID } from '@pothos/plugin-relay';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const NIL_UUID = '00000000-0000-0000-0000-000000000000';
const ASCII = /^[\x00-\x7f]*$/;

/**
 * The same ID as Pothos' encodeGlobalID. Our IDs are ASCII (type names and UUIDs), for which
 * `btoa` gives the same base64 several times faster than Pothos' Buffer round trip: the admin
 * view encodes about 2,000 IDs per answer (BENCHMARKS.md). Anything else goes to Pothos.
 */
export function encodeId(typename: string, id: string | number | bigint): string {
  // The parts are tested, not the joined text: testing a joined string flattens it first, which
  // cost as much as btoa itself. A number's or bigint's digits are ASCII.
  return ASCII.test(typename) && (typeof id !== 'string' || ASCII.test(id)) ? btoa(`${typename}:${id}`) : encodeGlobalID(typename, id);
}

/**
 * The types whose inner id is composite: a school's product (and its pool and availability) is
 * `<schoolId>:<productId>` (schoolProductKey, data/school-products.ts). Every other type's is one UUID.
 */
const COMPOSITE_TYPES: ReadonlySet<string> = new Set(['SchoolProduct', 'ReusableLicensePool', 'LicenseAvailability']);

/**
 * Every row ID is a UUID, or two for the composite types: an ID whose inner part is not what its
 * type takes names nothing (NOT_FOUND, or null from node()), instead of failing the database
 * query with an internal error.
 */
export function decodeId(globalID: string): { typename: string; id: string } {
  const decoded = decodeGlobalID(globalID);
  const parts = decoded.id.split(':');
  const wanted = COMPOSITE_TYPES.has(decoded.typename) ? 2 : 1;
  return parts.length === wanted && parts.every((part) => UUID.test(part)) ? decoded : { ...decoded, id: NIL_UUID };
}
