// GraphQL operations the test files send, in process (TestApi.request) or over HTTP (mutate).
// Every mutation takes one `$input` and selects its payload and the typed error, so a test sees a
// refusal as data.
import { postGraphQL } from './http.ts';

export const PLACE_ORDER = /* GraphQL */ `
  mutation PlaceOrder($input: PlaceOrderInput!) {
    placeOrder(input: $input) {
      __typename
      ... on OrderPayload {
        order {
          id status deliveryMode quantity deliveredAt
          preAssignedUsers { name }
          licenses(first: 100) { totalCount edges { node { id state startedAt endDate holder { name } } } }
        }
      }
      ... on Error { code message field }
    }
  }`;

export const DELIVER_ORDER = /* GraphQL */ `
  mutation DeliverOrder($input: OrderInput!) {
    deliverOrder(input: $input) {
      __typename
      ... on OrderPayload { order { id status deliveredAt licenses { totalCount } } }
      ... on Error { code message field }
    }
  }`;

export const CREATE_ACTIVATION_LINK = /* GraphQL */ `
  mutation CreateActivationLink($input: CreateActivationLinkInput!) {
    createActivationLink(input: $input) {
      __typename
      ... on ActivationLinkPayload { token expiresAt order { id status } }
      ... on Error { code message field }
    }
  }`;

export const REDEEM_ACTIVATION_LINK = /* GraphQL */ `
  mutation RedeemActivationLink($input: RedeemActivationLinkInput!) {
    redeemActivationLink(input: $input) {
      __typename
      ... on OrderPayload { order { id status deliveredAt licenses { totalCount } } }
      ... on Error { code message field }
    }
  }`;

export const ASSIGN_LICENSE = /* GraphQL */ `
  mutation AssignLicense($input: AssignLicenseInput!) {
    assignLicense(input: $input) {
      __typename
      ... on AssignLicensePayload { license { id state startedAt endDate daysLeft reusable holder { name } } assignment { id state user { name } } }
      ... on EndDateChoiceError { availableEndDates { endDate count } }
      ... on Error { code message field }
    }
  }`;

export const ASSIGN_LICENSES = /* GraphQL */ `
  mutation AssignLicenses($input: AssignLicensesInput!) {
    assignLicenses(input: $input) {
      __typename
      ... on AssignLicensesPayload {
        dryRun assignedCount
        outcomes {
          user { name } assigned endDate license { id holder { name } }
          error { __typename code message field ... on EndDateChoiceError { availableEndDates { endDate count } } }
        }
      }
      ... on Error { code message field }
    }
  }`;

export const MOVE_LICENSES = /* GraphQL */ `
  mutation MoveLicenses($input: MoveLicensesInput!) {
    moveLicenses(input: $input) {
      __typename
      ... on MoveLicensesPayload { moved licenses { id state school { id } } }
      ... on Error { code message field }
    }
  }`;

export const REVOKE_LICENSE = /* GraphQL */ `
  mutation RevokeLicense($input: LicenseInput!) {
    revokeLicense(input: $input) {
      __typename
      ... on LicensePayload { license { id state endDate reusable holder { name } } }
      ... on Error { code message field }
    }
  }`;

export const REMOVE_MY_LICENSE = /* GraphQL */ `
  mutation RemoveMyLicense($input: LicenseInput!) {
    removeMyLicense(input: $input) {
      __typename
      ... on LicensePayload { license { id state endDate reusable } }
      ... on Error { code message field }
    }
  }`;

export const MARK_NOTIFICATIONS_READ = /* GraphQL */ `
  mutation MarkNotificationsRead($input: MarkNotificationsReadInput) {
    markNotificationsRead(input: $input) {
      __typename
      ... on MarkNotificationsReadPayload { markedCount }
      ... on Error { code message field }
    }
  }`;

export const NOTIFICATIONS = /* GraphQL */ `
  query Notifications($unreadOnly: Boolean) {
    viewer {
      unreadNotificationCount
      notifications(unreadOnly: $unreadOnly, first: 50) {
        totalCount
        edges { node { id kind message readAt order { id } } }
      }
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

/**
 * The nested admin view: a school, every product with its availability and a page of licenses with
 * their holders. The statement-count test and the benchmark (packages/bench) send it.
 */
export const ADMIN_VIEW = /* GraphQL */ `
  query AdminView($school: ID!, $first: Int!, $after: String) {
    school(id: $school) {
      id
      name
      products {
        product { id name supplierName }
        availability {
          newLicenses assignable assigned expired awaitingDelivery autoStartingSoon nextAutoStartOn
          reusable { total endDates { endDate count } }
        }
        licenses(first: $first, after: $after) {
          totalCount
          pageInfo { hasNextPage endCursor }
          edges { node { id state endDate holder { id name } } }
        }
      }
    }
  }`;

// The roster and the catalogue (roster.test.ts, catalogue.test.ts).

const SCHOOL = 'id name schoolUnitCode externalId endedAt';
const USER = 'id name email externalId endedAt';
const GROUP = 'id name kind schoolYear externalId endedAt school { id }';

/** One roster or catalogue mutation, with its payload and the typed error. */
const rosterMutation = (name: string, inputType: string, payload: string) => /* GraphQL */ `
  mutation($input: ${inputType}!) {
    ${name}(input: $input) {
      __typename
      ... on ${payload}
      ... on Error { code message field }
    }
  }`;

export const CREATE_SCHOOL = rosterMutation('createSchool', 'CreateSchoolInput', `SchoolPayload { change school { ${SCHOOL} } }`);
export const UPDATE_SCHOOL = rosterMutation('updateSchool', 'UpdateSchoolInput', `SchoolPayload { change school { ${SCHOOL} } }`);
export const END_SCHOOL = rosterMutation('endSchool', 'SchoolInput', `SchoolPayload { change school { ${SCHOOL} } }`);
export const CREATE_USER = rosterMutation('createUser', 'CreateUserInput', `UserPayload { change user { ${USER} memberships { role school { id } } } }`);
export const UPDATE_USER = rosterMutation('updateUser', 'UpdateUserInput', `UserPayload { change user { ${USER} } }`);
export const END_USER = rosterMutation('endUser', 'UserInput', `UserPayload { change user { ${USER} } }`);
export const SET_SCHOOL_MEMBERSHIP = rosterMutation(
  'setSchoolMembership',
  'SetSchoolMembershipInput',
  'SchoolMembershipPayload { change membership { role startedAt endedAt user { id } school { id } } }',
);
export const END_SCHOOL_MEMBERSHIP = rosterMutation(
  'endSchoolMembership',
  'SchoolMembershipInput',
  'SchoolMembershipPayload { change membership { role startedAt endedAt user { id } school { id } } }',
);
export const CREATE_GROUP = rosterMutation('createGroup', 'CreateGroupInput', `GroupPayload { change group { ${GROUP} } }`);
export const UPDATE_GROUP = rosterMutation('updateGroup', 'UpdateGroupInput', `GroupPayload { change group { ${GROUP} } }`);
export const END_GROUP = rosterMutation('endGroup', 'GroupInput', `GroupPayload { change group { ${GROUP} } }`);
export const SET_GROUP_MEMBERSHIP = rosterMutation(
  'setGroupMembership',
  'SetGroupMembershipInput',
  'GroupMembershipPayload { change membership { role startedAt endedAt user { id } group { id } } }',
);
export const END_GROUP_MEMBERSHIP = rosterMutation(
  'endGroupMembership',
  'GroupMembershipInput',
  'GroupMembershipPayload { change membership { role startedAt endedAt user { id } group { id } } }',
);

const PRODUCT = 'id name description validityMonths deliveryMode retiredAt supplierName';
export const CREATE_PRODUCT = rosterMutation('createProduct', 'CreateProductInput', `ProductPayload { product { ${PRODUCT} } }`);
export const UPDATE_PRODUCT = rosterMutation('updateProduct', 'UpdateProductInput', `ProductPayload { product { ${PRODUCT} } }`);
export const RETIRE_PRODUCT = rosterMutation('retireProduct', 'ProductInput', `ProductPayload { product { ${PRODUCT} } }`);
export const IMPORT_ROSTER = /* GraphQL */ `
  mutation ImportRoster($input: ImportRosterInput!) {
    importRoster(input: $input) {
      __typename
      ... on ImportRosterPayload {
        importId dryRun refused resumed mode revokedLicenses licensesGivenByRules membersQueued
        summary {
          schools { created updated ended }
          users { created updated ended }
          schoolMemberships { created updated ended }
          groups { created updated ended }
          groupMemberships { created updated ended }
        }
        changes { entity kind key file line pointer }
        recordErrors { code message file line pointer field }
      }
      ... on Error { code message field }
    }
  }`;

// Class licensing (group-licensing.test.ts, the concurrency cases).
const GROUP_RULE = 'id policy endDate roles keepOnLeave createdBy endedAt group { id } product { id }';
export const ASSIGN_LICENSE_TO_GROUP = rosterMutation(
  'assignLicenseToGroup',
  'AssignLicenseToGroupInput',
  `AssignLicenseToGroupPayload { dryRun assignedCount waitingCount rule { ${GROUP_RULE} }
     outcomes { user { id } outcome endDate waitReason license { id endDate } error { code field } } }`,
);
export const END_GROUP_LICENSE_RULE = rosterMutation(
  'endGroupLicenseRule',
  'GroupLicenseRuleInput',
  `GroupLicenseRulePayload { ended rule { ${GROUP_RULE} } }`,
);
export const GROUP_LICENSING = /* GraphQL */ `
  query GroupLicensing($group: ID!) {
    node(id: $group) {
      ... on Group {
        licenseRules { ${GROUP_RULE} }
        waitingList { id position reason state policy queuedAt user { id } product { id } rule { id } }
      }
    }
  }`;
