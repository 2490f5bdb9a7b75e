// The example operations GraphiQL opens with: the demo story, step by step.
import { encodeGlobalID } from '@pothos/plugin-relay';
import type { DemoData } from './demo.ts';

export interface DemoOperation {
  query: string;
  variables: Record<string, unknown>;
  token: string;
}

export function demoOperations(demo: DemoData): DemoOperation[] {
  const school = encodeGlobalID('School', demo.ids.ekskolan);
  const product = encodeGlobalID('Product', demo.ids.matematik);
  const user = encodeGlobalID('User', demo.ids.studentWithoutLicense);
  return [
    {
      token: demo.tokens.schoolAdmin,
      variables: { school, product },
      query: `# 1. As Sara, admin of Ekskolan: what can I assign of Matematik 7?
# The (i) box: new licenses, and reusable started licenses per end date.
query Availability($school: ID!, $product: ID!) {
  school(id: $school) {
    name
    product(id: $product) {
      product { name validityMonths }
      availability {
        newLicenses
        assignable
        assigned
        awaitingDelivery
        autoStartingSoon
        nextAutoStartOn
        reusable { total needsEndDateChoice endDates { endDate count daysLeft } }
      }
    }
  }
}
`,
    },
    {
      token: demo.tokens.schoolAdmin,
      variables: { input: { school, product, user, reuseStarted: true, endDate: null } },
      query: `# 2. Reuse a started license for Svante. With several end dates and none chosen, the answer
# is END_DATE_REQUIRED with the end dates (days, YYYY-MM-DD) to choose from. Copy one into
# "endDate" and run again.
mutation ReuseStartedLicense($input: AssignLicenseInput!) {
  assignLicense(input: $input) {
    __typename
    ... on AssignLicensePayload {
      license { id state startedAt endDate }
      assignment { assignedAt user { name } }
    }
    ... on EndDateChoiceError { code message availableEndDates { endDate count } }
    ... on Error { code message field }
  }
}
`,
    },
    {
      token: demo.tokens.schoolAdmin,
      variables: { school, product, license: demo.ids.heldLicense ? encodeGlobalID('License', demo.ids.heldLicense) : null },
      query: `# 3. Who holds which license, with its end date (a day in the school's time zone) and days left.
# Revoke one with revokeLicense ("license" below is one that is held): it keeps its end date and
# goes back to the reusable pool.
query Licenses($school: ID!, $product: ID!) {
  school(id: $school) {
    product(id: $product) {
      licenses(first: 50, assigned: true) {
        totalCount
        edges { node { id state endDate daysLeft holder { name } } }
      }
    }
  }
}

mutation Revoke($license: ID!) {
  revokeLicense(input: { license: $license }) {
    __typename
    ... on LicensePayload { license { state reusable endDate } }
    ... on Error { code message }
  }
}
`,
    },
    {
      token: demo.tokens.teacher,
      variables: { license: demo.ids.heldByTeacher ? encodeGlobalID('License', demo.ids.heldByTeacher) : null },
      query: `# 4. As Tove, a teacher: my licenses. A teacher may give one back with removeMyLicense
# ("license" below is the one she holds): it keeps its end date and becomes reusable at the school.
# A student gets FORBIDDEN.
query MyLicenses {
  viewer {
    name
    user {
      memberships { role school { name } }
      licenses { license { id product { name } endDate daysLeft } }
    }
  }
}

mutation RemoveMyLicense($license: ID!) {
  removeMyLicense(input: { license: $license }) {
    __typename
    ... on LicensePayload { license { state reusable endDate product { name } } }
    ... on Error { code message }
  }
}
`,
    },
    {
      token: demo.keys.supplier,
      variables: { order: encodeGlobalID('Order', demo.ids.awaitingOrder) },
      query: `# 5. As the supplier Bokförlaget Nord: deliver the delayed Engelska Plus order. Every admin of
# the school and of Nordstad gets a notification.
mutation Deliver($order: ID!) {
  deliverOrder(input: { order: $order }) {
    __typename
    ... on OrderPayload { order { status deliveredAt quantity school { name } } }
    ... on Error { code message }
  }
}
`,
    },
    {
      token: demo.tokens.schoolAdmin,
      variables: { token: demo.activationToken },
      query: `# 6. As Sara: my notifications, and redeeming the activation link from AppStudio's e-mail.
query Notifications {
  viewer { unreadNotificationCount notifications(first: 10) { edges { node { message createdAt readAt } } } }
}

mutation Redeem($token: String!) {
  redeemActivationLink(input: { token: $token }) {
    __typename
    ... on OrderPayload { order { status quantity product { name } } }
    ... on Error { code message }
  }
}
`,
    },
    {
      token: demo.keys.integration,
      variables: { user: encodeGlobalID('User', demo.ids.studentWithoutLicense), product },
      query: `# 7. As the LMS (an organisation API key): may this student open Matematik 7 now? The call an
# LMS makes at every launch, answered in one statement; holds turns true once a license is assigned (tab 2).
query Entitlement($user: ID!, $product: ID!) {
  entitlement(user: $user, product: $product) { holds license endDate daysLeft }
}
`,
    },
  ];
}
