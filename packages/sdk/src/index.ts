// @school-licenses/sdk: the typed client of the school licenses GraphQL API.
export {
  createLicenseClient,
  type AssignLicenseArgs,
  type AssignLicenseSuccess,
  type AssignLicenseToGroupArgs,
  type GroupAssignment,
  type GroupLicensing,
  type CreatedWebhookEndpoint,
  type Entitlement,
  type EventFeedArgs,
  type LicenseArgs,
  type LicenseChange,
  type LicenseClient,
  type LicenseClientAuth,
  type LicenseClientOptions,
  type MoveLicensesArgs,
  type MoveLicensesSuccess,
  type LicenseFilter,
  type ProductAvailability,
  type RetryOptions,
  type RosterImportReport,
  type SchoolMembershipChange,
  type SchoolNode,
  type VariablesArgs,
} from './client.js';
export { LicenseApiError, type LicenseApiErrorKind, type LicenseApiGraphQLError } from './errors.js';
export { verifyWebhook, WebhookVerificationError, type WebhookEvent } from './webhooks.js';
export { walkPages, type Connection, type PageOptions, type PageVariables } from './paging.js';
export {
  assertNever,
  toFailure,
  toResult,
  type EndDateChoiceCode,
  type EndDateChoiceFailure,
  type ErrorMember,
  type Failure,
  type Result,
  type RuleCode,
  type RuleFailure,
} from './results.js';
// Every generated document (e.g. `AssignLicenseDocument`), fragment type, enum and input type.
export * from './gql/graphql.js';
