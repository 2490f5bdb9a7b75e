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
      variables: {
        organisation: encodeGlobalID('Organisation', demo.ids.nordstad),
        graduateLicensePolicy: 'KEEP_UNTIL_END_DATE',
        input: {
          organisation: encodeGlobalID('Organisation', demo.ids.nordstad),
          format: 'SS12000',
          ss12000Mode: 'DELTA',
          dryRun: true,
          ss12000Document: {
            organisations: [{ id: 'sch-ekskolan', displayName: 'Ekskolan', organisationType: 'Skolenhet', schoolUnitCode: '20000001' }],
            persons: [
              {
                id: 'usr-alva',
                givenName: 'Alva',
                familyName: 'Elev',
                emails: [{ value: 'alva.student@ekskolan.example', type: 'Skola elev' }],
                enrolments: [{ enroledAt: { id: 'sch-ekskolan' }, schoolYear: 7 }],
              },
              {
                id: 'usr-omar',
                givenName: 'Omar',
                familyName: 'Elev',
                emails: [{ value: 'omar.student@ekskolan.example', type: 'Skola elev' }],
                enrolments: [{ enroledAt: { id: 'sch-ekskolan' }, schoolYear: 7 }],
              },
            ],
            groups: [
              {
                id: 'cls-7b',
                displayName: '7B',
                groupType: 'Klass',
                schoolYear: 7,
                organisation: { id: 'sch-ekskolan' },
                groupMemberships: [{ person: { id: 'usr-alva' } }, { person: { id: 'usr-omar' } }],
              },
            ],
          },
        },
      },
      query: `# 7. As the LMS integration (an API key of Nordstad): sync a roster. Files (OneRoster CSV, SS 12000
# pages) go as a multipart upload, which GraphiQL cannot send; an SS 12000 integration may send
# the JSON itself as ss12000Document, as here. A dry run: the diff (Ekskolan linked by its school
# unit code, two students, class 7B) and nothing written. Set "dryRun": false to apply it; run it
# again and it changes nothing. Its ids are those of examples/roster/, the OneRoster set
# examples/lms-sync.mjs syncs: either may run after the other. A mistake (remove a person's
# givenName) gives recordErrors with their JSON pointer. At the school-year rollover,
# GraduatePolicy decides whether graduates keep their licenses until their end dates or give them
# back to the pool. See docs/ROSTER-SYNC.md.
mutation SyncRoster($input: ImportRosterInput!) {
  importRoster(input: $input) {
    __typename
    ... on ImportRosterPayload {
      dryRun
      refused
      mode
      summary { schools { created updated ended } users { created updated ended } schoolMemberships { created updated ended } groups { created updated ended } groupMemberships { created updated ended } }
      changes { entity kind key pointer }
      recordErrors { code message pointer field }
      revokedLicenses licensesGivenByRules membersQueued
    }
    ... on Error { code message field }
  }
}

mutation GraduatePolicy($organisation: ID!, $graduateLicensePolicy: GraduateLicensePolicy!) {
  updateOrganisation(input: { organisation: $organisation, graduateLicensePolicy: $graduateLicensePolicy }) {
    __typename
    ... on OrganisationPayload { change organisation { name graduateLicensePolicy } }
    ... on Error { code message field }
  }
}
`,
    },
    {
      token: demo.keys.integration,
      variables: { after: null, kinds: null, input: { url: 'http://127.0.0.1:4001/webhooks/licenses', kinds: ['LICENSE_ASSIGNED', 'LICENSE_REVOKED'] } },
      query: `# 8. As the LMS integration: what changed. The change feed, oldest first; keep the last endCursor
# and pass it as "after" next time to catch up. Or be told as it happens: register a webhook
# endpoint (its secret is shown once; verify deliveries with the SDK's verifyWebhook), then see
# its delivery log. See docs/EVENTS.md; examples/lms-sync.mjs does all of it.
query Events($after: String, $kinds: [EventKind!]) {
  events(after: $after, kinds: $kinds, first: 20) {
    pageInfo { hasNextPage endCursor }
    edges { node { id type school user license actor data createdAt } }
  }
}

mutation RegisterWebhook($input: CreateWebhookEndpointInput!) {
  createWebhookEndpoint(input: $input) {
    __typename
    ... on CreateWebhookEndpointPayload { secret endpoint { id url kinds enabled } }
    ... on Error { code message field }
  }
}

query Webhooks {
  webhookEndpoints(first: 10) {
    edges { node { url enabled failuresInRow deliveries(first: 10) { edges { node { status attempts lastStatusCode event { type } } } } } }
  }
}
`,
    },
    {
      token: demo.tokens.organisationAdmin,
      variables: {
        input: { fromSchool: school, toSchool: encodeGlobalID('School', demo.ids.bjorkskolan), product, count: 2, kind: 'NEW', endDate: null },
      },
      query: `# 9. As Olivia, admin of Nordstad: move 2 new Matematik 7 licenses from Ekskolan to Björkskolan.
# They keep their dates; assigned and expired licenses never move. kind REUSABLE moves started
# ones, with an endDate chosen from the pool when it has several (END_DATE_REQUIRED lists them).
mutation MoveLicenses($input: MoveLicensesInput!) {
  moveLicenses(input: $input) {
    __typename
    ... on MoveLicensesPayload {
      moved
      licenses { state autoStartOn endDate school { name } }
      fromAvailability { newLicenses reusable { total } }
      toAvailability { newLicenses reusable { total } }
    }
    ... on EndDateChoiceError { code message availableEndDates { endDate count } }
    ... on Error { code message field }
  }
}
`,
    },
    {
      token: demo.tokens.schoolAdmin,
      variables: {
        school,
        order: {
          school,
          product: encodeGlobalID('Product', demo.ids.engelska),
          quantity: 5,
          reserveForGroup: encodeGlobalID('Group', demo.ids.class7A),
          renewalOf: null,
        },
      },
      query: `# 10. As Sara: which licenses end within the next year (renew them before they run out), and a
# delayed order that keeps its licenses for class 7A's students: the supplier's delivery assigns
# them at once (tab 5 delivers another order), and the notification tells who got one.
# Mark an order as a renewal with renewalOf: { endDate: "YYYY-MM-DD" } from the list.
query Expiring($school: ID!) {
  expiringLicenses(school: $school, within: 365) {
    product { name }
    licenses
    assigned
    endDates { endDate daysLeft licenses assigned }
  }
}

mutation ReserveForClass($order: PlaceOrderInput!) {
  placeOrder(input: $order) {
    __typename
    ... on OrderPayload { order { id status reservedForGroup { name } renewalOf { endDate } } }
    ... on Error { code message field }
  }
}
`,
    },
    {
      token: demo.keys.integration,
      variables: { user: encodeGlobalID('User', demo.ids.studentWithoutLicense), product },
      query: `# 11. As the LMS (an organisation API key): may this student open Matematik 7 now? The call an
# LMS makes at every launch, answered in one statement; holds turns true once a license is assigned (tab 2).
query Entitlement($user: ID!, $product: ID!) {
  entitlement(user: $user, product: $product) { holds license endDate daysLeft }
}
`,
    },
    {
      token: demo.tokens.schoolAdmin,
      variables: {
        input: { group: encodeGlobalID('Group', demo.ids.class7A), product, policy: 'REUSABLE_FIRST', dryRun: true },
        group: encodeGlobalID('Group', demo.ids.class7A),
      },
      query: `# 12. As Sara: give class 7A Matematik 7. The dry run shows each student's outcome (the end
# date they would get, or why they would wait) and writes nothing. Set "dryRun": false (and
# "keep": true for a standing rule: students who join later get one, leavers give theirs back),
# then read the class's rules and waiting list.
mutation AssignToClass($input: AssignLicenseToGroupInput!) {
  assignLicenseToGroup(input: $input) {
    __typename
    ... on AssignLicenseToGroupPayload {
      dryRun assignedCount waitingCount
      rule { id policy keepOnLeave }
      outcomes { user { name } outcome endDate waitReason error { code message } }
    }
    ... on Error { code message field }
  }
}

query ClassLicensing($group: ID!) {
  node(id: $group) {
    ... on Group {
      name
      licenseRules { id policy roles keepOnLeave product { name } }
      waitingList { position reason queuedAt user { name } product { name } }
    }
  }
}
`,
    },
    {
      token: demo.tokens.organisationAdmin,
      variables: {
        organisation: encodeGlobalID('Organisation', demo.ids.nordstad),
        input: { organisation: encodeGlobalID('Organisation', demo.ids.nordstad), name: 'Vår lärplattform', kind: 'ORGANISATION_READ' },
        revoke: { apiKey: demo.ids.retiredApiKey ? encodeGlobalID('ApiKey', demo.ids.retiredApiKey) : null },
      },
      query: `# 13. As Olivia, admin of Nordstad: the organisation's API keys. Issue one for an integration
# (the key is shown only now: an integration sends it as Authorization: Bearer <key>), list the
# active ones, and revoke one: refused from its next request, and its subscriptions end.
# "apiKey" below is Gamla lärplattformen's, a platform Nordstad no longer uses (put an id from
# Keys there to revoke another). Only the organisation's administrators may; its integrations
# may not mint keys.
mutation IssueKey($input: CreateApiKeyInput!) {
  createApiKey(input: $input) {
    __typename
    ... on CreateApiKeyPayload { key apiKey { id name kind createdAt } }
    ... on Error { code message field }
  }
}

query Keys($organisation: ID!) {
  node(id: $organisation) {
    ... on Organisation { apiKeys(first: 20) { edges { node { id name kind createdAt } } } }
  }
}

mutation RevokeKey($revoke: RevokeApiKeyInput!) {
  revokeApiKey(input: $revoke) {
    __typename
    ... on RevokeApiKeyPayload { apiKey { name revokedAt } }
    ... on Error { code message field }
  }
}
`,
    },
  ];
}
