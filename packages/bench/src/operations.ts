// The benchmark's requests: the same GraphQL documents go to the API and to the hand-written
// baseline, which recognises them by operation name and answers with the same JSON.
// The admin view is the API's test document, which its statement-count test sends too.
import { encodeGlobalID } from '@pothos/plugin-relay';
import { ADMIN_VIEW } from '@school-licenses/api/testing/operations';
import type { Manifest } from './data-set.ts';

export const AVAILABILITY = /* GraphQL */ `
  query Availability($school: ID!, $product: ID!) {
    schoolProduct(school: $school, product: $product) {
      availability {
        newLicenses assignable assigned expired awaitingDelivery autoStartingSoon nextAutoStartOn
        reusable { total needsEndDateChoice endDates { endDate count } }
      }
    }
  }`;

/** The entitlement check an LMS makes at every launch of a product. */
export const ENTITLEMENT = /* GraphQL */ `
  query Entitlement($user: ID!, $product: ID!) {
    entitlement(user: $user, product: $product) { holds endDate daysLeft }
  }`;

export const ASSIGN = /* GraphQL */ `
  mutation Assign($input: AssignLicenseInput!) {
    assignLicense(input: $input) {
      __typename
      ... on AssignLicensePayload {
        license { id state startedAt endDate reusable holder { id name } }
        assignment { id state assignedAt user { id name } }
      }
      ... on Error { code message field }
    }
  }`;

export const REVOKE = /* GraphQL */ `
  mutation Revoke($license: ID!) {
    revokeLicense(input: { license: $license }) {
      __typename
      ... on LicensePayload { license { id state endDate reusable holder { id name } } }
      ... on Error { code message field }
    }
  }`;

/** Nothing to read, no credential: what a request costs a server before any data (bench.ts, `floor`). */
export const FLOOR = /* GraphQL */ `
  query Floor { __typename }`;

export const OPERATIONS = {
  Floor: FLOOR,
  AdminView: ADMIN_VIEW,
  Availability: AVAILABILITY,
  Entitlement: ENTITLEMENT,
  Assign: ASSIGN,
  Revoke: REVOKE,
} as const;
export type OperationName = keyof typeof OPERATIONS;

/** The page size of the admin view in the benchmark. */
export const VIEW_PAGE_SIZE = 50;

export function body(operationName: OperationName, variables: Record<string, unknown>): string {
  return JSON.stringify({ operationName, query: OPERATIONS[operationName], variables });
}

/** The admin view of each school of the data set, one body per school. */
export function viewBodies(manifest: Manifest): string[] {
  return manifest.schools.map((school) => body('AdminView', { school: encodeGlobalID('School', school.id), first: VIEW_PAGE_SIZE }));
}

/** The entitlement check of holders of licenses (user and product ids), one body per holder. */
export function entitlementBodies(manifest: Manifest): string[] {
  return manifest.holders.map(({ userId, productId }) =>
    body('Entitlement', { user: encodeGlobalID('User', userId), product: encodeGlobalID('Product', productId) }),
  );
}

/** The availability of each product of each school of the data set, one body per school product. */
export function availabilityBodies(manifest: Manifest): string[] {
  return manifest.schools.flatMap((school) =>
    school.products.map((product) => body('Availability', { school: encodeGlobalID('School', school.id), product: encodeGlobalID('Product', product.id) })),
  );
}
