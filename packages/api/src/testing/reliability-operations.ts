// The mutations the reliability tests send, each selecting its payload and the typed error.
import { postGraphQL } from './http.ts';

export const ASSIGN = /* GraphQL */ `
  mutation Assign($input: AssignLicenseInput!) {
    assignLicense(input: $input) {
      __typename
      ... on AssignLicensePayload { license { id endDate } assignment { id } }
      ... on Error { code message field }
    }
  }`;

export const ASSIGN_MANY = /* GraphQL */ `
  mutation AssignMany($input: AssignLicensesInput!) {
    assignLicenses(input: $input) {
      __typename
      ... on AssignLicensesPayload { assignedCount outcomes { assigned license { id } error { code } } }
      ... on Error { code message field }
    }
  }`;

export const REVOKE = /* GraphQL */ `
  mutation Revoke($input: LicenseInput!) {
    revokeLicense(input: $input) {
      __typename
      ... on LicensePayload { license { id reusable } }
      ... on Error { code message field }
    }
  }`;

export const PLACE = /* GraphQL */ `
  mutation Place($input: PlaceOrderInput!) {
    placeOrder(input: $input) {
      __typename
      ... on OrderPayload { order { id status } }
      ... on Error { code message field }
    }
  }`;

export const DELIVER = /* GraphQL */ `
  mutation Deliver($input: OrderInput!) {
    deliverOrder(input: $input) {
      __typename
      ... on OrderPayload { order { id status } }
      ... on Error { code message field }
    }
  }`;

export const CREATE_LINK = /* GraphQL */ `
  mutation CreateLink($input: CreateActivationLinkInput!) {
    createActivationLink(input: $input) {
      __typename
      ... on ActivationLinkPayload { token }
      ... on Error { code message field }
    }
  }`;

export const REDEEM = /* GraphQL */ `
  mutation Redeem($input: RedeemActivationLinkInput!) {
    redeemActivationLink(input: $input) {
      __typename
      ... on OrderPayload { order { id status } }
      ... on Error { code message field }
    }
  }`;

export const REMOVE_MINE = /* GraphQL */ `
  mutation RemoveMine($input: LicenseInput!) {
    removeMyLicense(input: $input) {
      __typename
      ... on LicensePayload { license { id reusable } }
      ... on Error { code message field }
    }
  }`;

/** The outcome of a mutation field: its __typename and, for a typed error, its code. */
export interface Outcome {
  status: number;
  typename: string | undefined;
  code: string | undefined;
  value: any;
  errors: unknown;
}

export async function mutate(url: string, token: string, query: string, input: Record<string, unknown>, headers?: Record<string, string>): Promise<Outcome> {
  const response = await postGraphQL(url, token, query, { input }, headers);
  const value = response.data ? Object.values(response.data as object)[0] : undefined;
  return { status: response.status, typename: value?.__typename, code: value?.code, value, errors: response.errors };
}

/** How many outcomes had each typename or error code. */
export function tally(outcomes: Outcome[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const o of outcomes) {
    const key = o.code ?? o.typename ?? `HTTP ${o.status} ${JSON.stringify(o.errors)}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}
