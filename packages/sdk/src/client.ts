import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import {
  Client,
  fetchExchange,
  makeOperation,
  mapExchange,
  subscriptionExchange,
  type AnyVariables,
  type Exchange,
  type Operation,
  type OperationResult,
} from '@urql/core';
import { createClient as createSseClient } from 'graphql-sse';
import { retryExchange } from '@urql/exchange-retry';
import { LicenseApiError } from './errors.js';
import {
  ApiKeysDocument,
  CreateApiKeyDocument,
  RevokeApiKeyDocument,
  AssignLicenseDocument,
  AssignLicenseToGroupDocument,
  EndGroupLicenseRuleDocument,
  GroupLicensingDocument,
  AuditEventsDocument,
  AvailabilityDocument,
  CreateWebhookEndpointDocument,
  DeleteWebhookEndpointDocument,
  EventFeedDocument,
  EndSchoolMembershipDocument,
  EntitlementDocument,
  ExpiringLicensesDocument,
  MoveLicensesDocument,
  GroupMembersDocument,
  ImportRosterDocument,
  ProductsDocument,
  RemoveMyLicenseDocument,
  ReusablePoolDocument,
  RevokeLicenseDocument,
  SchoolGroupsDocument,
  SchoolMembersDocument,
  SearchUsersDocument,
  SchoolProductLicensesDocument,
  SchoolsDocument,
  ViewerDocument,
  type AssignLicenseToGroupMutation,
  type AssignmentFieldsFragment,
  type GroupLicensePolicy,
  type GroupLicenseRuleFieldsFragment,
  type LicenseWaiterFieldsFragment,
  type AuditEventFieldsFragment,
  type CreateWebhookEndpointInput,
  type CreateApiKeyInput,
  type ApiKeyFieldsFragment,
  type CreateWebhookEndpointMutation,
  type EntitlementQuery,
  type EventFieldsFragment,
  type EventKind,
  type ExpiringLicensesFieldsFragment,
  type MoveKind,
  type GroupFieldsFragment,
  type GroupKind,
  type GroupMembershipFieldsFragment,
  type GroupRole,
  type ImportRosterInput,
  type ImportRosterMutation,
  type LicenseAvailabilityFieldsFragment,
  type LicenseFieldsFragment,
  type LicenseState,
  type ProductFieldsFragment,
  type ReusableLicensePoolFieldsFragment,
  type SchoolFieldsFragment,
  type SchoolMembershipFieldsFragment,
  type RosterChange,
  type SchoolRole,
  type UserFieldsFragment,
  type ViewerQuery,
} from './gql/graphql.js';
import { DEFAULT_PAGE_SIZE, walkPages, type Connection, type PageOptions, type PageVariables } from './paging.js';
import { toFailure, toResult, type Result } from './results.js';

/** Where the token comes from: a fixed one, or a function asked before every request. */
export type LicenseClientAuth =
  | {
      /** A user's JWT or an API key (`slk_…`), sent as `Authorization: Bearer <token>`. */
      token: string;
      getToken?: never;
    }
  | {
      token?: never;
      /** Called before every request (and every retry): return a fresh token, e.g. after a refresh. */
      getToken: () => string | null | undefined | Promise<string | null | undefined>;
    };

/**
 * How the client retries requests that failed on the network: queries, and mutations whose `input`
 * carries an `idempotencyKey` (which the helpers send). Other mutations and subscriptions are sent
 * once, and business or GraphQL errors are never retried.
 */
export interface RetryOptions {
  /** How many times a request is sent at most, the first time included (default 3). */
  maxAttempts?: number;
  /** The first wait before retrying, in ms; it grows with each attempt (default 300). */
  initialDelayMs?: number;
  /** The longest wait between attempts, in ms (default 5000). */
  maxDelayMs?: number;
}

/** Options of {@link createLicenseClient}. */
export type LicenseClientOptions = LicenseClientAuth & {
  /** The API's GraphQL endpoint, e.g. `https://licenses.example/graphql`. */
  url: string;
  /**
   * The fetch to send requests with; default `globalThis.fetch`. Pass a server's own fetch (e.g.
   * graphql-yoga's `yoga.fetch`) to talk to it in process.
   */
  fetch?: (input: string | URL | Request, init?: RequestInit) => Promise<Response>;
  /**
   * Send only the hash of each of the SDK's documents (`extensions.persistedQuery.sha256Hash`),
   * for an API that accepts only the operations of the SDK's persisted-documents manifest.
   */
  persisted?: boolean;
  /**
   * Retries of network failures of what is safe to send again: queries, and mutations whose
   * `input.idempotencyKey` is set; `false` for none. Other mutations (e.g. `createWebhookEndpoint`,
   * `createApiKey`) are sent once: a lost answer throws a network {@link LicenseApiError}.
   */
  retry?: RetryOptions | false;
};

/** The variables argument: optional when the document has no required variables. */
export type VariablesArgs<Variables> = {} extends Variables ? [variables?: Variables] : [variables: Variables];

/** One school, as the paging helpers return it. */
export type SchoolNode = SchoolFieldsFragment & { organisation: { id: string; name: string } };

/** What `availability()` answers: the product and the (i) box of "Manage licenses". */
export interface ProductAvailability {
  product: ProductFieldsFragment;
  availability: LicenseAvailabilityFieldsFragment;
}

/** What `entitlement()` answers: whether the user holds a license of the product now. */
export type Entitlement = NonNullable<EntitlementQuery['entitlement']>;

/** Input of {@link LicenseClient.assignLicense}. Global IDs, as the API returns them. */
export interface AssignLicenseArgs {
  /** The school whose license is given. */
  school: string;
  /** The product. */
  product: string;
  /** A student or teacher of the school. */
  user: string;
  /** true: reuse a started license from the pool, keeping its end date. false: start a new one now. */
  reuseStarted: boolean;
  /**
   * With `reuseStarted`: the end date chosen from the pool, a day as the API lists it
   * (`YYYY-MM-DD`, in the school's time zone). May be left out only when the pool has exactly one
   * end date; otherwise the result is `END_DATE_REQUIRED`. Anything but a day (e.g. an instant)
   * is a typed `INVALID_INPUT` on `endDate`, as is an end date with `reuseStarted: false`.
   */
  endDate?: string | null;
  /**
   * Makes retries safe: the same key returns the first result and assigns nothing more. The
   * client makes one per call when none is given, so its own network retries never assign twice.
   * An empty or blank key is refused: a typed `INVALID_INPUT` on `idempotencyKey`.
   */
  idempotencyKey?: string;
}

/** Input of {@link LicenseClient.revokeLicense} and {@link LicenseClient.removeMyLicense}. */
export interface LicenseArgs {
  /** The license's global ID. */
  license: string;
  /** Makes retries safe (one is made per call when none is given), as for `assignLicense`. */
  idempotencyKey?: string;
}

/** Input of {@link LicenseClient.assignLicenseToGroup}. Global IDs, as the API returns them. */
export interface AssignLicenseToGroupArgs {
  /** The group (a class, a teaching group). */
  group: string;
  /** The product. */
  product: string;
  /** Where licenses come from: REUSABLE_FIRST, REUSABLE_WITH_END_DATE (with `endDate`), NEW_FIRST, ONLY_NEW. */
  policy: GroupLicensePolicy;
  /** With REUSABLE_WITH_END_DATE only: the end date (`YYYY-MM-DD`) of the reusable licenses to take. */
  endDate?: string | null;
  /** The group roles that get a license (default `['STUDENT']`). */
  roles?: GroupRole[] | null;
  /** Keep the product given: a standing rule for members who join (and leave) later. */
  keep?: boolean;
  /** With `keep`: members who leave the group keep their license. */
  keepOnLeave?: boolean;
  /** Show each member's outcome and end date, and write nothing. */
  dryRun?: boolean;
  /** Makes retries safe (one is made per call when none is given), as for `assignLicense`. */
  idempotencyKey?: string;
}

/** Each member's outcome of `assignLicenseToGroup`, and the standing rule made with `keep`. */
export type GroupAssignment = Omit<Extract<AssignLicenseToGroupMutation['assignLicenseToGroup'], { __typename: 'AssignLicenseToGroupPayload' }>, '__typename'>;

/** A group's standing rules and waiting list (in line order). */
export interface GroupLicensing {
  licenseRules: GroupLicenseRuleFieldsFragment[];
  waitingList: LicenseWaiterFieldsFragment[];
}

/** The license and its new assignment, after `assignLicense` succeeded. */
export interface AssignLicenseSuccess {
  license: LicenseFieldsFragment;
  assignment: AssignmentFieldsFragment;
}

/** Input of {@link LicenseClient.moveLicenses}. Global IDs, as the API returns them. */
export interface MoveLicensesArgs {
  fromSchool: string;
  /** Another school of the same organisation. */
  toSchool: string;
  product: string;
  /** How many unassigned licenses: all move, or none (`NO_LICENSE_AVAILABLE` on `count`). */
  count: number;
  /** `NEW` (not started) or `REUSABLE` (started, unexpired, held by nobody). */
  kind: MoveKind;
  /** `REUSABLE`: the end date of the pool to move (`YYYY-MM-DD`); needed when there are several. */
  endDate?: string | null;
  /** Makes retries safe (one is made per call when none is given), as for `assignLicense`. */
  idempotencyKey?: string;
}

/** The licenses moved, and what each school can assign now. */
export interface MoveLicensesSuccess {
  moved: number;
  licenses: LicenseFieldsFragment[];
  fromAvailability: LicenseAvailabilityFieldsFragment;
  toAvailability: LicenseAvailabilityFieldsFragment;
}

/** The license after a revoke or a teacher's removal: now reusable if it has time left. */
export interface LicenseChange {
  license: LicenseFieldsFragment;
}

/** What a roster write did, and the membership after it. */
export interface SchoolMembershipChange {
  change: RosterChange;
  membership: SchoolMembershipFieldsFragment;
}

/** Filters of {@link LicenseClient.licenses}. */
export interface LicenseFilter extends PageOptions {
  school: string;
  product: string;
  /** Only assigned (true) or unassigned (false) licenses. */
  assigned?: boolean;
  /** Only licenses in this state now. */
  state?: LicenseState;
  /** Only the license assigned to this user. */
  user?: string;
  /** Only licenses whose end date is this day (`YYYY-MM-DD`) or later. */
  endDateFrom?: string;
  /** Only licenses whose end date is this day (`YYYY-MM-DD`) or earlier. */
  endDateTo?: string;
}

/** The typed client of the school licenses API. Create one with {@link createLicenseClient}. */
export interface LicenseClient {
  /** The underlying urql client, for documents of your own or for urql's framework bindings. */
  readonly urql: Client;

  /** Runs any query document; throws {@link LicenseApiError} when the request fails as a whole. */
  query<Data, Variables extends AnyVariables>(document: TypedDocumentNode<Data, Variables>, ...args: VariablesArgs<Variables>): Promise<Data>;

  /**
   * Runs any mutation document; throws {@link LicenseApiError} when the request fails as a whole.
   * Business errors come back in the data, as the document's result union.
   */
  mutate<Data, Variables extends AnyVariables>(document: TypedDocumentNode<Data, Variables>, ...args: VariablesArgs<Variables>): Promise<Data>;

  /** Who the token belongs to: a user (with schools, roles and licenses), an integration or a supplier. */
  viewer(): Promise<ViewerQuery['viewer']>;

  /**
   * What can be assigned of a product at a school now, and what is coming: new licenses, reusable
   * started ones per end date, awaiting delivery, auto-starting soon. Null when the school's
   * licenses are not yours to read or the product is unknown. One statement after authentication.
   */
  availability(args: { school: string; product: string }): Promise<ProductAvailability | null>;

  /**
   * The reusable started licenses of a product at a school, grouped by end date (earliest first).
   * `needsEndDateChoice` tells whether {@link LicenseClient.assignLicense} with `reuseStarted` needs
   * an `endDate`. Null when the school is not yours to see or the product is unknown.
   */
  reusablePool(args: { school: string; product: string }): Promise<ReusableLicensePoolFieldsFragment | null>;

  /**
   * Whether a user holds a license of a product now: `{ holds, license, endDate, daysLeft }` (the
   * last three null when none is held). The call an LMS makes at every launch, one statement after
   * authentication. Null when the user is not yours to see. An ID that is not one, or one of
   * another type, throws a {@link LicenseApiError} with code `INVALID_INPUT` on `user` or `product`.
   */
  entitlement(args: { user: string; product: string }): Promise<Entitlement | null>;

  /**
   * Gives a user a license: a new one (`reuseStarted: false`, it starts now) or a reusable started
   * one with the chosen `endDate`. Returns `{ ok: true, license, assignment }` or a failure to
   * switch on by `code`; `END_DATE_REQUIRED` and `END_DATE_NOT_AVAILABLE` carry the end dates to
   * choose from.
   */
  assignLicense(args: AssignLicenseArgs): Promise<Result<AssignLicenseSuccess>>;

  /**
   * Takes a license back from its holder (administrators). A started license keeps its end date and
   * becomes reusable. Fails with e.g. `LICENSE_NOT_ASSIGNED`, `FORBIDDEN`, `NOT_FOUND`.
   * (Like every helper returning a {@link Result}: a caller without the role gets a typed `FORBIDDEN`,
   * and an input no field can take, such as an end date that is not a day, a typed `INVALID_INPUT`.)
   */
  revokeLicense(args: LicenseArgs): Promise<Result<LicenseChange>>;

  /** A teacher gives back their own license, which becomes reusable (students get `FORBIDDEN`). */
  removeMyLicense(args: LicenseArgs): Promise<Result<LicenseChange>>;

  /**
   * Gives every current member of a group (students by default) who holds no license of the
   * product one, by the policy; those for whom none is left join the waiting list. `dryRun` shows
   * each member's outcome (`ASSIGNED` with its end date, `ALREADY_HOLDS`, `WAITING` with its
   * reason, `NOT_ELIGIBLE`) and writes nothing; `keep` makes the group's standing rule.
   */
  assignLicenseToGroup(args: AssignLicenseToGroupArgs): Promise<Result<GroupAssignment>>;

  /** Ends a group's standing rule (its waiters leave the list; licenses given stay). Safe to repeat. */
  endGroupLicenseRule(args: { rule: string }): Promise<Result<{ ended: boolean; rule: GroupLicenseRuleFieldsFragment }>>;

  /** A group's standing rules and waiting list; null when the group is not yours to see. */
  groupLicensing(args: { group: string; includeEnded?: boolean }): Promise<GroupLicensing | null>;

  /**
   * Moves unassigned licenses of a product between two schools of one organisation, keeping their
   * dates (organisation administrators, read-write organisation keys). Fails with e.g.
   * `NO_LICENSE_AVAILABLE`, `END_DATE_REQUIRED` (with the end dates to choose from), `FORBIDDEN`.
   */
  moveLicenses(args: MoveLicensesArgs): Promise<Result<MoveLicensesSuccess>>;

  /**
   * A school's started licenses ending within a window (`within` days, or `until` a day; the next
   * 30 days without either), per product, optionally of one product or held by one group's
   * members: what to renew. Null when the school is not yours to read.
   */
  expiringLicenses(args: {
    school: string;
    product?: string;
    group?: string;
    within?: number;
    until?: string;
  }): Promise<ExpiringLicensesFieldsFragment[] | null>;

  /**
   * Iterates over the pages of any connection: `document` must take `$after` (and `$first`, which
   * is set to `pageSize`); `select` picks the connection out of the data (null ends the walk).
   */
  pages<Data, Variables extends PageVariables & AnyVariables, Node>(
    document: TypedDocumentNode<Data, Variables>,
    variables: Omit<Variables, 'after' | 'first'>,
    select: (data: Data) => Connection<Node> | null | undefined,
    options?: PageOptions,
  ): AsyncGenerator<Connection<Node>, void, undefined>;

  /** Like {@link LicenseClient.pages}, one node at a time. */
  nodes<Data, Variables extends PageVariables & AnyVariables, Node>(
    document: TypedDocumentNode<Data, Variables>,
    variables: Omit<Variables, 'after' | 'first'>,
    select: (data: Data) => Connection<Node> | null | undefined,
    options?: PageOptions,
  ): AsyncGenerator<Node, void, undefined>;

  /** Every school you can see (all of your organisation's, for its administrators and integrations). */
  schools(options?: PageOptions): AsyncGenerator<SchoolNode, void, undefined>;

  /** The catalogue of products schools can order. */
  products(options?: PageOptions): AsyncGenerator<ProductFieldsFragment, void, undefined>;

  /** The members of a school, optionally of one role (administrators of the school); with `includeEnded` also those who left. */
  members(args: { school: string; role?: SchoolRole; includeEnded?: boolean } & PageOptions): AsyncGenerator<SchoolMembershipFieldsFragment, void, undefined>;

  /** The users you may see, by name; with `search`, those whose name or e-mail contains it. */
  users(args?: { search?: string; includeEnded?: boolean } & PageOptions): AsyncGenerator<UserFieldsFragment, void, undefined>;

  /** A school's classes and teaching groups, by name, optionally of one kind. */
  groups(args: { school: string; kind?: GroupKind; includeEnded?: boolean } & PageOptions): AsyncGenerator<GroupFieldsFragment, void, undefined>;

  /** The members of a group you may see (the school's administrators, the group's teachers). */
  groupMembers(args: { group: string; role?: GroupRole; includeEnded?: boolean } & PageOptions): AsyncGenerator<GroupMembershipFieldsFragment, void, undefined>;

  /**
   * A user leaves a school (administrators): their groups there end and their licenses there are
   * revoked (`LEFT_SCHOOL`), started ones keeping their end dates. Safe to repeat (`UNCHANGED`).
   */
  endSchoolMembership(args: { school: string; user: string }): Promise<Result<SchoolMembershipChange>>;

  /** A school's licenses of a product, earliest end date first, optionally filtered. */
  licenses(args: LicenseFilter): AsyncGenerator<LicenseFieldsFragment, void, undefined>;

  /** Recorded changes you may see, newest first, optionally of one school, license or user. */
  auditEvents(args?: { school?: string; license?: string; user?: string } & PageOptions): AsyncGenerator<AuditEventFieldsFragment, void, undefined>;

  /**
   * The change feed: committed events you may see after `after`, oldest first, each with its
   * cursor. Keep the last cursor and pass it next time to catch up on what happened meanwhile.
   */
  events(args?: EventFeedArgs): AsyncGenerator<{ cursor: string; event: EventFieldsFragment }, void, undefined>;

  /**
   * Imports an organisation's roster (organisation administrators, read-write integrations): OneRoster
   * CSV or SS 12000 JSON files as `File`s or `Blob`s (sent as a multipart request), or an SS 12000
   * `ss12000Document`. With `dryRun` it returns the diff and writes nothing. Files with errors come
   * back `refused` with their `recordErrors` (written: nothing); refusals of the caller, such as
   * `FORBIDDEN`, as a failure.
   */
  importRoster(input: ImportRosterInput): Promise<Result<RosterImportReport>>;

  /**
   * Registers a webhook endpoint for the events of `kinds` (all you may see when left out). Keep the
   * returned `secret` to verify deliveries with {@link verifyWebhook}; it is not shown again.
   */
  createWebhookEndpoint(input: CreateWebhookEndpointInput): Promise<Result<CreatedWebhookEndpoint>>;

  /** Removes a webhook endpoint of yours (`NOT_FOUND` when it is not, or no longer, there). */
  deleteWebhookEndpoint(args: { endpoint: string }): Promise<Result<{ deletedEndpointId: string }>>;

  /** The organisation's API keys, newest first (its administrators only; anyone else gets none). */
  apiKeys(args: { organisation: string; includeRevoked?: boolean } & PageOptions): AsyncGenerator<ApiKeyFieldsFragment, void, undefined>;

  /**
   * Issues an API key for one of the organisation's integrations (`ORGANISATION_READ` or
   * `ORGANISATION_READ_WRITE`; its administrators only). The returned `key` is shown this once.
   */
  createApiKey(input: CreateApiKeyInput): Promise<Result<{ key: string; apiKey: ApiKeyFieldsFragment }>>;

  /**
   * Revokes an API key of the organisation: refused from its next request, and its live
   * subscriptions end with `CREDENTIAL_REVOKED`. Revoking a revoked key changes nothing.
   */
  revokeApiKey(args: { apiKey: string }): Promise<Result<{ apiKey: ApiKeyFieldsFragment }>>;

  /**
   * Live updates of a subscription document (e.g. `AvailabilityChangedDocument`), over
   * Server-Sent Events. Returns a function that stops them. An error that ends the stream (e.g.
   * `TOKEN_EXPIRED`, `CREDENTIAL_REVOKED`, a bad ID, or `UNAUTHENTICATED` with status 401 when the
   * token is refused) reaches `onError` once; a network failure ends it too (it is not retried).
   */
  subscribe<Data, Variables extends AnyVariables>(
    document: TypedDocumentNode<Data, Variables>,
    variables: Variables,
    onData: (data: Data) => void,
    onError?: (error: LicenseApiError) => void,
  ): () => void;
}

/** What {@link LicenseClient.importRoster} reports: the summary, the changes, the errors of the files. */
export type RosterImportReport = Omit<Extract<ImportRosterMutation['importRoster'], { __typename: 'ImportRosterPayload' }>, '__typename'>;

/** A registered webhook endpoint and its secret (`whsec_…`, shown this once: keep it to verify deliveries). */
export type CreatedWebhookEndpoint = Omit<
  Extract<CreateWebhookEndpointMutation['createWebhookEndpoint'], { __typename: 'CreateWebhookEndpointPayload' }>,
  '__typename'
>;

/** Filters of {@link LicenseClient.events}. */
export interface EventFeedArgs extends PageOptions {
  /** The cursor of the last event handled; from the start when left out. */
  after?: string | null;
  kinds?: EventKind[];
  school?: string;
  product?: string;
  /** Only events at or after this moment (ISO 8601). */
  since?: string;
}

/** A key for one logical request, the same on every retry of it. */
function newIdempotencyKey(): string {
  const crypto = globalThis.crypto;
  if (typeof crypto?.randomUUID === 'function') return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * The caller's idempotency key, or a new one when none is given. An empty or blank key is sent as
 * it is, for the API to refuse (a typed INVALID_INPUT on idempotencyKey) rather than replaced: it
 * is almost always a key that was meant to be set and was not, and a key made in its place would
 * hide that the caller's own retries (another call, another process) are not deduplicated.
 */
function idempotencyKeyOr(given: string | undefined): string {
  return given ?? newIdempotencyKey();
}

/**
 * Whether an operation that failed on the network may be sent again: a query, or a mutation whose
 * `input` carries an idempotency key (the API answers its repeat with the first result). Any other
 * mutation may have run before its answer was lost, and a subscription's failure ends its stream.
 */
function safeToRepeat(operation: Operation): boolean {
  if (operation.kind === 'query') return true;
  if (operation.kind !== 'mutation') return false;
  const key = (operation.variables as { input?: { idempotencyKey?: unknown } | null } | undefined)?.input?.idempotencyKey;
  return typeof key === 'string' && key.trim() !== '';
}

/** In persisted mode, sends the document's hash instead of its text (the APQ extension). */
const persistedExchange: Exchange = mapExchange({
  onOperation(operation) {
    const hash = (operation.query as { __meta__?: { hash?: unknown } }).__meta__?.hash;
    if (typeof hash !== 'string' || operation.kind === 'teardown') return operation;
    return makeOperation(
      operation.kind,
      { ...operation, extensions: { ...operation.extensions, persistedQuery: { version: 1, sha256Hash: hash } } },
      operation.context,
    );
  },
});

/**
 * The API refuses a value no resolver can take (an end date that is not a day, e.g. an instant)
 * before running the mutation, with a GraphQL error coded INVALID_INPUT that names the field. The
 * helpers return it as the same typed `INVALID_INPUT` failure a business rule answers with.
 */
async function typedFailures<T extends object>(run: () => Promise<Result<T>>): Promise<Result<T>> {
  try {
    return await run();
  } catch (error) {
    const first = error instanceof LicenseApiError && error.kind === 'graphql' ? error.graphQLErrors[0] : undefined;
    if (first?.code === 'INVALID_INPUT') return { ok: false, code: 'INVALID_INPUT', message: first.message, field: first.field ?? null };
    throw error;
  }
}

/**
 * Creates the typed client of the school licenses API.
 *
 * @example
 * ```ts
 * const client = createLicenseClient({ url: 'https://licenses.example/graphql', token: apiKey });
 * const result = await client.assignLicense({ school, product, user, reuseStarted: true, endDate: null });
 * ```
 */
export function createLicenseClient(options: LicenseClientOptions): LicenseClient {
  const { token, getToken } = options;
  if (token === undefined && getToken === undefined) throw new TypeError('createLicenseClient needs a token or getToken');
  const send = options.fetch;
  const authorizedFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const bearer = token ?? (await getToken?.());
    const headers = new Headers(init?.headers);
    if (bearer) headers.set('authorization', `Bearer ${bearer}`);
    return (send ?? globalThis.fetch)(input, { ...init, headers });
  };

  const exchanges: Exchange[] = [];
  if (options.persisted) exchanges.push(persistedExchange);
  if (options.retry !== false) {
    exchanges.push(
      retryExchange({
        maxNumberAttempts: options.retry?.maxAttempts ?? 3,
        initialDelayMs: options.retry?.initialDelayMs ?? 300,
        maxDelayMs: options.retry?.maxDelayMs ?? 5_000,
        randomDelay: true,
        // Only failures to reach the API (GraphQL and business errors would fail the same again),
        // and only of what is safe to send twice.
        retryIf: (error, operation) => Boolean(error.networkError) && safeToRepeat(operation),
      }),
    );
  }
  // Subscriptions over Server-Sent Events (GraphQL over SSE, distinct connections), with the same token.
  const sse = createSseClient({ url: options.url, fetchFn: authorizedFetch, retryAttempts: 0 });
  exchanges.push(
    subscriptionExchange({
      forwardSubscription: (request) => ({
        subscribe: (sink) => {
          const observer: typeof sink = {
            next: (value) => sink.next(value),
            complete: () => sink.complete(),
            // A refusal before the stream (e.g. 401 UNAUTHENTICATED) is a response with GraphQL errors.
            error: (error: unknown) => void LicenseApiError.fromRefusedStream(error).then((refusal) => sink.error(refusal)),
          };
          return { unsubscribe: sse.subscribe({ ...request, query: request.query ?? '' }, observer) };
        },
      }),
    }),
  );
  exchanges.push(fetchExchange);

  const urql = new Client({
    url: options.url,
    exchanges,
    fetch: authorizedFetch as typeof fetch,
    // POST for every operation; no cache: every call reads the API's state now.
    preferGetMethod: false,
    requestPolicy: 'network-only',
  });

  const unwrap = <Data>(result: OperationResult<Data>): Data => {
    if (result.error) throw LicenseApiError.fromCombinedError(result.error);
    if (result.data === undefined || result.data === null) throw new LicenseApiError('the API answered without data', { kind: 'no-data' });
    return result.data;
  };

  const client: LicenseClient = {
    urql,
    async query(document, ...[variables]) {
      return unwrap(await urql.query(document, (variables ?? {}) as never).toPromise());
    },
    async mutate(document, ...[variables]) {
      return unwrap(await urql.mutation(document, (variables ?? {}) as never).toPromise());
    },

    async viewer() {
      return (await client.query(ViewerDocument)).viewer;
    },
    async availability({ school, product }) {
      const data = await client.query(AvailabilityDocument, { school, product });
      return data.schoolProduct;
    },
    async reusablePool({ school, product }) {
      const data = await client.query(ReusablePoolDocument, { school, product });
      return data.school?.product?.reusablePool ?? null;
    },
    async entitlement({ user, product }) {
      return (await client.query(EntitlementDocument, { user, product })).entitlement;
    },
    assignLicense({ idempotencyKey, endDate, ...input }) {
      return typedFailures(async () => {
        const data = await client.mutate(AssignLicenseDocument, {
          input: { ...input, endDate: endDate ?? null, idempotencyKey: idempotencyKeyOr(idempotencyKey) },
        });
        return toResult(data.assignLicense);
      });
    },
    revokeLicense({ license, idempotencyKey }) {
      const input = { license, idempotencyKey: idempotencyKeyOr(idempotencyKey) };
      return typedFailures(async () => toResult((await client.mutate(RevokeLicenseDocument, { input })).revokeLicense));
    },
    removeMyLicense({ license, idempotencyKey }) {
      const input = { license, idempotencyKey: idempotencyKeyOr(idempotencyKey) };
      return typedFailures(async () => toResult((await client.mutate(RemoveMyLicenseDocument, { input })).removeMyLicense));
    },
    assignLicenseToGroup({ idempotencyKey, dryRun, ...input }) {
      return typedFailures(async () => {
        const data = await client.mutate(AssignLicenseToGroupDocument, {
          // A dry run writes nothing: no key, so it can be repeated as the pool changes.
          input: { ...input, dryRun: dryRun ?? false, idempotencyKey: dryRun ? null : idempotencyKeyOr(idempotencyKey) },
        });
        return toResult(data.assignLicenseToGroup);
      });
    },
    endGroupLicenseRule(input) {
      return typedFailures(async () => toResult((await client.mutate(EndGroupLicenseRuleDocument, { input })).endGroupLicenseRule));
    },
    async groupLicensing({ group, includeEnded }) {
      const { node } = await client.query(GroupLicensingDocument, { group, includeEnded: includeEnded ?? null });
      return node?.__typename === 'Group' ? { licenseRules: node.licenseRules, waitingList: node.waitingList } : null;
    },
    moveLicenses({ idempotencyKey, endDate, ...input }) {
      return typedFailures(async () => {
        const data = await client.mutate(MoveLicensesDocument, {
          input: { ...input, endDate: endDate ?? null, idempotencyKey: idempotencyKeyOr(idempotencyKey) },
        });
        return toResult(data.moveLicenses);
      });
    },
    async expiringLicenses(args) {
      return (await client.query(ExpiringLicensesDocument, args)).expiringLicenses ?? null;
    },

    pages(document, variables, select, pageOptions) {
      const first = pageOptions?.pageSize ?? DEFAULT_PAGE_SIZE;
      return walkPages(async (after) => select(await client.query(document, { ...variables, first, after } as never)));
    },
    async *nodes(document, variables, select, pageOptions) {
      for await (const page of client.pages(document, variables, select, pageOptions)) {
        for (const edge of page.edges) yield edge.node;
      }
    },

    schools(pageOptions) {
      return client.nodes(SchoolsDocument, {}, (data) => data.schools, pageOptions);
    },
    products(pageOptions) {
      return client.nodes(ProductsDocument, {}, (data) => data.products, pageOptions);
    },
    members({ school, role, includeEnded, pageSize }) {
      return client.nodes(SchoolMembersDocument, { school, role: role ?? null, includeEnded: includeEnded ?? null }, (data) => data.school?.members, {
        pageSize,
      });
    },
    users({ search, includeEnded, pageSize } = {}) {
      return client.nodes(SearchUsersDocument, { search: search ?? null, includeEnded: includeEnded ?? null }, (data) => data.users, { pageSize });
    },
    groups({ school, kind, includeEnded, pageSize }) {
      return client.nodes(SchoolGroupsDocument, { school, kind: kind ?? null, includeEnded: includeEnded ?? null }, (data) => data.school?.groups, {
        pageSize,
      });
    },
    groupMembers({ group, role, includeEnded, pageSize }) {
      return client.nodes(
        GroupMembersDocument,
        { group, role: role ?? null, includeEnded: includeEnded ?? null },
        (data) => (data.node?.__typename === 'Group' ? data.node.members : null),
        { pageSize },
      );
    },
    endSchoolMembership(input) {
      return typedFailures(async () => toResult((await client.mutate(EndSchoolMembershipDocument, { input })).endSchoolMembership));
    },
    licenses({ pageSize, ...filter }) {
      return client.nodes(SchoolProductLicensesDocument, filter, (data) => data.school?.product?.licenses, { pageSize });
    },
    async *events({ pageSize, after, ...filter } = {}) {
      let cursor = after ?? null;
      for (;;) {
        const { events } = await client.query(EventFeedDocument, { ...filter, after: cursor, first: pageSize ?? DEFAULT_PAGE_SIZE });
        for (const edge of events.edges) yield { cursor: edge.cursor, event: edge.node };
        if (!events.pageInfo.hasNextPage || !events.pageInfo.endCursor) return;
        cursor = events.pageInfo.endCursor;
      }
    },
    importRoster(input) {
      return typedFailures(async () => toResult((await client.mutate(ImportRosterDocument, { input })).importRoster));
    },
    createWebhookEndpoint(input) {
      return typedFailures(async () => {
        const { createWebhookEndpoint: result } = await client.mutate(CreateWebhookEndpointDocument, { input });
        return result.__typename === 'CreateWebhookEndpointPayload' ? toResult(result) : toFailure({ ...result, __typename: 'LicenseError' });
      });
    },
    deleteWebhookEndpoint(input) {
      return typedFailures(async () => {
        const { deleteWebhookEndpoint: result } = await client.mutate(DeleteWebhookEndpointDocument, { input });
        return result.__typename === 'DeleteWebhookEndpointPayload' ? toResult(result) : toFailure({ ...result, __typename: 'LicenseError' });
      });
    },
    apiKeys({ organisation, includeRevoked, pageSize }) {
      return client.nodes(
        ApiKeysDocument,
        { organisation, includeRevoked: includeRevoked ?? null },
        (data) => (data.node?.__typename === 'Organisation' ? data.node.apiKeys : null),
        { pageSize },
      );
    },
    createApiKey(input) {
      return typedFailures(async () => {
        const { createApiKey: result } = await client.mutate(CreateApiKeyDocument, { input });
        return result.__typename === 'CreateApiKeyPayload' ? toResult(result) : toFailure({ ...result, __typename: 'LicenseError' });
      });
    },
    revokeApiKey(input) {
      return typedFailures(async () => {
        const { revokeApiKey: result } = await client.mutate(RevokeApiKeyDocument, { input });
        return result.__typename === 'RevokeApiKeyPayload' ? toResult(result) : toFailure({ ...result, __typename: 'LicenseError' });
      });
    },
    subscribe(document, variables, onData, onError) {
      let last: OperationResult | undefined;
      const { unsubscribe } = urql.subscription(document, variables).subscribe((result) => {
        // When the server ends a stream, urql repeats its last result with `hasNext: false` (every
        // event before has `hasNext: true`): the data or the error (TOKEN_EXPIRED,
        // CREDENTIAL_REVOKED, …) delivered already. A network failure has no such twin.
        const repeated =
          result.hasNext === false &&
          !result.error?.networkError &&
          last !== undefined &&
          result.data === last.data &&
          result.error?.message === last.error?.message;
        last = result;
        if (repeated) return;
        if (result.error) onError?.(LicenseApiError.fromCombinedError(result.error));
        else if (result.data) onData(result.data);
      });
      return unsubscribe;
    },
    auditEvents({ pageSize, ...filter } = {}) {
      return client.nodes(AuditEventsDocument, filter, (data) => data.auditEvents, { pageSize });
    },
  };
  return client;
}
