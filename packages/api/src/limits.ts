// What keeps one request, or one client, from taking the server down: body size, tokens,
// aliases, directives, page size, introspection, a per-credential rate limit, a parse cache
// bounded by bytes, request ids and masked errors. graphql-armor's plugins where they cover a
// limit, small yoga plugins of our own for the rest (docs/RELIABILITY.md: what each guarantees
// and the test that proves it).
// Depth, breadth and cost are counted as the Pothos complexity plugin counts them (its
// fieldComplexity in schema/builder.ts), once per document and shape of variables (useOperationLimits).
import { randomUUID } from 'node:crypto';
import {
  getNamedType,
  getOperationAST,
  GraphQLError,
  Kind,
  NoSchemaIntrospectionCustomRule,
  TypeInfo,
  visit,
  visitWithTypeInfo,
  type DocumentNode,
  type GraphQLSchema,
  type Token,
  type TypeNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import { complexityFromQuery } from '@pothos/plugin-complexity';
import { maxAliasesPlugin } from '@escape.tech/graphql-armor-max-aliases';
import { maxDirectivesPlugin } from '@escape.tech/graphql-armor-max-directives';
import { maxTokensPlugin } from '@escape.tech/graphql-armor-max-tokens';
import { LRUCache } from 'lru-cache';
import { createGraphQLError, maskError, type Plugin, type YogaLogger } from 'graphql-yoga';
import { actorKey, type Actor } from './domain/actor.ts';
import { requestPath } from './request-path.ts';
import { DEFAULT_MAX_FILE_BYTES } from './roster/files.ts';
import { COMPLEXITY_LIMIT, complexityError, MAX_PAGE_SIZE } from './schema/builder.ts';

export interface ApiLimits {
  /** Largest request body in bytes (413 above it). */
  maxBodyBytes: number;
  /**
   * Largest multipart request (files for importRoster) in bytes. One above maxBodyBytes is read
   * only from a valid credential that may import a roster (useBodyLimit's `admit`, yoga.ts).
   */
  maxUploadBytes: number;
  /** Largest file of a roster import, in bytes. */
  maxImportFileBytes: number;
  /** Most tokens in one document, counted while it is parsed. */
  maxTokens: number;
  /** Most aliased fields in one operation. */
  maxAliases: number;
  /** Most directives in one operation. */
  maxDirectives: number;
  /** Bytes the cache of parsed documents may hold (errors: a quarter more). */
  parseCacheBytes: number;
  /** Most operations in one batched request (a JSON array); 0 turns batching off. */
  maxBatch: number;
  /** Per-credential token bucket; undefined: no rate limit. */
  rateLimit?: RateLimitOptions | undefined;
  /** Per client address, for requests without a valid credential, checked before authentication; undefined: none. */
  addressRateLimit?: RateLimitOptions | undefined;
  /** Schema introspection (__schema, __type); off for production if you like. */
  introspection: boolean;
  /** Milliseconds after which a request starts no more changes (TIME_BUDGET_EXCEEDED); 0: no budget. */
  timeBudgetMs: number;
}

export interface RateLimitOptions {
  /** Sustained requests per minute per credential. */
  perMinute: number;
  /** How many requests may come at once before the sustained rate applies. */
  burst: number;
}

export const DEFAULT_LIMITS: ApiLimits = {
  maxBodyBytes: 100_000,
  maxUploadBytes: 200 * 1024 * 1024,
  maxImportFileBytes: DEFAULT_MAX_FILE_BYTES,
  maxTokens: 1_000,
  maxAliases: 30,
  maxDirectives: 50,
  parseCacheBytes: 16_000_000,
  maxBatch: 10,
  rateLimit: undefined,
  addressRateLimit: undefined,
  introspection: false,
  timeBudgetMs: 30_000,
};

// ---------------------------------------------------------------------------------------------
// Request ids and error masking

const requestIds = new WeakMap<Request, string>();

/** The id of a request: the client's `x-request-id` when it is sane, else a new one. */
export function requestIdOf(request: Request): string {
  let id = requestIds.get(request);
  if (!id) {
    const given = request.headers.get('x-request-id');
    id = given && /^[\w.:-]{1,100}$/.test(given) ? given : randomUUID();
    requestIds.set(request, id);
  }
  return id;
}

// Masking happens where the request is not at hand, so a masked error remembers its cause until
// the result of its request is processed; there it gets the request id and the cause is logged.
// (No AsyncLocalStorage: on Node 20 it slowed every promise of every request. Node 24 implements it
// without promise hooks, but this way needs none, on any runtime.)
const causes = new WeakMap<GraphQLError, unknown>();
const awaitingRequestId = new WeakSet<object>();

// PostgreSQL's refusals for want of time or room: lock_timeout, statement_timeout (and a cancel),
// idle_in_transaction_session_timeout, too many connections, starting up.
const OVERLOAD_SQLSTATES = new Set(['55P03', '57014', '25P03', '53300', '57P03']);
// Prisma: no connection from the pool in time (P2024); a transaction past its time or closed (P2028).
const OVERLOAD_PRISMA_CODES = new Set(['P2024', 'P2028']);
const RETRY_AFTER_SECONDS = 1;

/** Whether an error is the database being too busy (a full pool, a timeout), not a bug. */
export function isOverload(error: unknown): boolean {
  for (let cause = error, depth = 0; typeof cause === 'object' && cause !== null && depth < 5; depth++) {
    const { code, meta, message, originalCode } = cause as { code?: unknown; meta?: any; message?: unknown; originalCode?: unknown };
    if (typeof code === 'string' && (OVERLOAD_PRISMA_CODES.has(code) || OVERLOAD_SQLSTATES.has(code))) return true;
    for (const sqlState of [originalCode, meta?.code, meta?.driverAdapterError?.cause?.originalCode, /Code: `(\w{5})`/.exec(String(message))?.[1]]) {
      if (typeof sqlState === 'string' && OVERLOAD_SQLSTATES.has(sqlState)) return true;
    }
    // pg's pool, when no connection came free within connectionTimeoutMillis.
    if (typeof message === 'string' && message.startsWith('timeout exceeded when trying to connect')) return true;
    cause = (cause as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * Unexpected errors (database errors, bugs) answer "Unexpected error." with the request id, and
 * nothing of the cause: no stack, no SQL. The cause is logged with the request id (useRequestId).
 * The database being too busy is overload, not an error: 503 SERVICE_UNAVAILABLE with Retry-After,
 * logged in one line.
 */
export function maskUnexpectedError(error: unknown, message: string): Error {
  if (isOverload(error)) {
    const answer = createGraphQLError(`The service is busy: try again in ${RETRY_AFTER_SECONDS} s.`, {
      extensions: {
        code: 'SERVICE_UNAVAILABLE',
        retryAfterSeconds: RETRY_AFTER_SECONDS,
        http: { status: 503, headers: { 'retry-after': String(RETRY_AFTER_SECONDS) } },
      },
    });
    causes.set(
      answer,
      `overloaded: ${String((error as Error).message)
        .trim()
        .split('\n')
        .at(-1)}`,
    );
    if (typeof error === 'object' && error !== null) awaitingRequestId.add(error);
    return answer;
  }
  const masked = maskError(error, message, false);
  if (masked === error) return masked;
  const graphQLError = masked as GraphQLError;
  const answer = createGraphQLError(message, {
    nodes: graphQLError.nodes,
    path: graphQLError.path,
    extensions: graphQLError.extensions,
  });
  causes.set(answer, error);
  if (typeof error === 'object' && error !== null) awaitingRequestId.add(error);
  return answer;
}

/** What a refused request leaves in the log: one line, its request id, status and code, never a stack. */
export function logRefusal(base: Pick<Console, 'info'>, requestId: string, status: number, code: string, message: string): void {
  base.info(`[request ${requestId}] refused ${status} ${code}: ${truncate(message.split('\n')[0]!, 200)}`);
}

const MAX_MESSAGE = 300;

/** Text echoed from a client (in messages and logs) is cut to this many characters. */
export function truncate(text: string, max = 100): string {
  return text.length > max ? `${text.slice(0, max)}… (${text.length} characters)` : text;
}

/**
 * Every response carries `x-request-id`; a masked error names it and its cause is logged with it;
 * a refused request (an error with a code) is logged in one line, with the status the client got:
 * a request error is a 400 for a client that accepts `application/graphql-response+json`, and a
 * 200 for one that accepts only `application/json` (GraphQL over HTTP), which is decided after this.
 */
export function useRequestId(base: Pick<Console, 'error' | 'info'> = console): Plugin {
  const refusals = new WeakMap<Request, { code: string; message: string }[]>();
  return {
    onResultProcess: ({ request, result }) => {
      const requestId = requestIdOf(request);
      for (const single of Array.isArray(result) ? result : [result]) {
        const errors = (single as { errors?: GraphQLError[] }).errors;
        if (!errors) continue;
        (single as { errors?: GraphQLError[] }).errors = errors.map((error) => {
          if (!causes.has(error)) {
            const code = String(error.extensions?.code ?? 'BAD_REQUEST');
            const pending = refusals.get(request);
            if (pending) pending.push({ code, message: error.message });
            else refusals.set(request, [{ code, message: error.message }]);
            // Every error has a code, and a message that echoes input is cut short.
            if (error.extensions?.code && error.message.length <= MAX_MESSAGE) return error;
            return createGraphQLError(truncate(error.message, MAX_MESSAGE), {
              nodes: error.nodes,
              path: error.path,
              extensions: { ...error.extensions, code },
            });
          }
          base.error(`[request ${requestId}]`, causes.get(error));
          return createGraphQLError(`${error.message} (request id ${requestId})`, {
            nodes: error.nodes,
            path: error.path,
            extensions: { ...error.extensions, requestId },
          });
        });
      }
    },
    onResponse: ({ request, response }) => {
      const requestId = requestIdOf(request);
      response.headers.set('x-request-id', requestId);
      for (const { code, message } of refusals.get(request) ?? []) logRefusal(base, requestId, response.status, code, message);
    },
  };
}

/** Yoga's logger. The causes of masked errors are left to useRequestId, which knows the request. */
export function requestLogger(base: Pick<Console, 'debug' | 'info' | 'warn' | 'error'> = console): YogaLogger {
  return {
    debug: () => {},
    info: (...args: unknown[]) => base.info(...args),
    warn: (...args: unknown[]) => base.warn(...args),
    error: (...args: unknown[]) => {
      if (args.length === 1 && typeof args[0] === 'object' && args[0] !== null && awaitingRequestId.has(args[0])) return;
      base.error(...args);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Body size

function jsonError(status: number, code: string, message: string, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify({ errors: [{ message, extensions: { code } }] }), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
  });
}

/**
 * Whether a multipart body larger than MAX_BODY_BYTES (up to MAX_UPLOAD_BYTES) may be read, decided
 * before it is: true reads it, false refuses it as any other body over MAX_BODY_BYTES (413), an
 * error refuses it with the error's status (a failed credential: 401, or 429 once its address's
 * bucket is empty). yoga.ts admits a valid credential that may import a roster.
 */
export type UploadAdmission = (request: Request, serverContext: unknown) => Promise<boolean | GraphQLError>;

/**
 * Bodies above the limit are refused before they are read: 413, or 411 when chunked. Node's HTTP
 * parser reads no more than Content-Length bytes as the body, so this is the whole limit. A
 * multipart body (the files of importRoster) may be larger, up to `maxUploadBytes`, when `admit`
 * says so before it is read; a body within `maxBodyBytes` is not asked about (no authentication
 * here: the context authenticates it as any other request).
 */
export function useBodyLimit(maxBodyBytes: number, maxUploadBytes = maxBodyBytes, log: Pick<Console, 'info'> = console, admit?: UploadAdmission): Plugin {
  const refuse = (request: Request, status: number, code: string, message: string, headers?: Record<string, string>) => {
    logRefusal(log, requestIdOf(request), status, code, message);
    return jsonError(status, code, message, headers);
  };
  const tooLarge = (request: Request, maxBytes: number, why = '') =>
    refuse(request, 413, 'REQUEST_TOO_LARGE', `The request body is larger than ${maxBytes} bytes.${why}`);
  const uploadsOnly = ` Larger multipart requests (the files of importRoster, up to ${maxUploadBytes} bytes) only with the credential of an organisation administrator or a read-write API key.`;
  return {
    onRequest: ({ request, serverContext, endResponse }) => {
      const length = request.headers.get('content-length');
      if (length === null) {
        if (request.headers.get('transfer-encoding')) {
          endResponse(refuse(request, 411, 'LENGTH_REQUIRED', 'Send the request body with a Content-Length header.'));
        }
        return;
      }
      // Files come as multipart requests (importRoster), which never exceed maxUploadBytes.
      const multipart = request.headers.get('content-type')?.startsWith('multipart/form-data') ?? false;
      const bytes = /^\d+$/.test(length) ? Number(length) : Number.POSITIVE_INFINITY;
      const maxBytes = multipart ? Math.min(maxBodyBytes, maxUploadBytes) : maxBodyBytes;
      if (bytes <= maxBytes) return;
      if (!multipart || bytes > maxUploadBytes) return endResponse(tooLarge(request, multipart ? maxUploadBytes : maxBodyBytes));
      // Larger than any other body: only from a sender who may send files, known before the body is read.
      if (!admit) return endResponse(tooLarge(request, maxBodyBytes));
      return admit(request, serverContext).then((admitted) => {
        if (admitted === true) return;
        if (admitted === false) return endResponse(tooLarge(request, maxBodyBytes, uploadsOnly));
        const http = admitted.extensions.http as { status?: number; headers?: Record<string, string> } | undefined;
        endResponse(refuse(request, http?.status ?? 400, String(admitted.extensions.code ?? 'BAD_REQUEST'), admitted.message, http?.headers));
      });
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Client addresses: anonymous and failed-auth requests, before authentication

/** The address the request came from (the TCP peer; behind a proxy, the proxy's). */
export function clientAddress(serverContext: unknown): string {
  return (serverContext as { req?: { socket?: { remoteAddress?: string } } } | undefined)?.req?.socket?.remoteAddress ?? 'unknown';
}

/**
 * A token bucket per client address for requests without a valid credential: a request without
 * one pays a token before anything else is done (before its body is parsed); one whose
 * credential fails pays when it fails, and is answered 429 instead of 401 once the bucket is
 * empty (yoga.ts). A valid credential pays its own bucket only, so an attack from a shared
 * address does not lock out the integrations behind it.
 */
export function useAddressRateLimit(limiter: RateLimit, log: Pick<Console, 'info'> = console): Plugin {
  return {
    // A request with a credential, nearly every one, is done here: no URL to read, no promise to wait for.
    onRequest: ({ request, serverContext, endResponse }) => {
      if (request.headers.get('authorization')) return;
      const path = requestPath(request.url);
      if (path === '/health' || path === '/ready' || path === '/metrics') return;
      const refuse = (refused: GraphQLError | undefined) => {
        if (!refused) return;
        const status = 429;
        logRefusal(log, requestIdOf(request), status, 'RATE_LIMITED', refused.message);
        endResponse(jsonError(status, 'RATE_LIMITED', refused.message, { 'retry-after': String(refused.extensions.retryAfterSeconds) }));
      };
      const refused = limiter.charge(clientAddress(serverContext), 1, 'address');
      return refused instanceof Promise ? refused.then(refuse) : refuse(refused);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The document: tokens (while parsing), aliases, directives and introspection (validation rules,
// cached with the document), graphql-armor's plugins with our typed errors; the parse cache by bytes

/** A document refused by a limit: HTTP 400 with a code, one log line, no stack. */
function documentLimitError(code: string, message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code, http: { status: 400 } } });
}

/**
 * The token limit counts as the lexer reads, so the parser stops before it recurses deep: a
 * 2,700-level nested document is refused after `maxTokens` tokens instead of overflowing the stack.
 */
export function useDocumentLimits(limits: ApiLimits): Plugin[] {
  const reportTo = (code: string, message: (found: string) => string) => (context: ValidationContext | null, error: GraphQLError) => {
    const found = /found (\d+)/.exec(error.message)?.[1] ?? 'more';
    context?.reportError(documentLimitError(code, message(found)));
  };
  const rules: ValidationRule[] = limits.introspection ? [] : [NoSchemaIntrospectionCustomRule];
  return [
    maxTokensPlugin({
      n: limits.maxTokens,
      propagateOnRejection: false,
      onReject: [
        () => {
          throw documentLimitError('TOO_MANY_TOKENS', `The document has more than ${limits.maxTokens} tokens: ask for less in one request.`);
        },
      ],
    }),
    maxAliasesPlugin({
      n: limits.maxAliases,
      allowList: [],
      propagateOnRejection: false,
      onReject: [reportTo('TOO_MANY_ALIASES', (found) => `The operation uses ${found} aliases, more than ${limits.maxAliases}.`)],
    }),
    maxDirectivesPlugin({
      n: limits.maxDirectives,
      propagateOnRejection: false,
      onReject: [reportTo('TOO_MANY_DIRECTIVES', (found) => `The operation uses ${found} directives, more than ${limits.maxDirectives}.`)],
    }),
    { onValidate: ({ addValidationRule }) => rules.forEach(addValidationRule) },
  ];
}

// A parsed document keeps every token (about 300 bytes each) and its source; yoga's own cache
// holds 1,024 documents whatever their size, so 10,000 distinct 100 kB documents kept 190 MB.
const BYTES_PER_TOKEN = 400;

function tokenCount(document: DocumentNode): number {
  let count = 0;
  for (let token: Token | null | undefined = document.loc?.startToken; token; token = token.next) count++;
  return count;
}

/** yoga's parse cache, bounded by the bytes its documents and errors hold; validations are remembered by useValidationCache. */
export function parseCache(maxBytes: number): {
  documentCache: LRUCache<string, DocumentNode>;
  errorCache: LRUCache<string, object>;
  validationCache: false;
} {
  return {
    validationCache: false,
    documentCache: new LRUCache<string, DocumentNode>({
      maxSize: maxBytes,
      maxEntrySize: maxBytes / 8,
      sizeCalculation: (document, source) => 2 * source.length + BYTES_PER_TOKEN * tokenCount(document),
    }),
    // A syntax error keeps its source.
    errorCache: new LRUCache<string, object>({
      maxSize: maxBytes / 4,
      maxEntrySize: maxBytes / 32,
      sizeCalculation: (_error, source) => 2 * source.length + 1_000,
    }),
  };
}

/**
 * What is known of each parsed document of a schema, by document: kept while the document is (the
 * parse cache reuses the parsed document of a repeated query), so it is worked out once per
 * document rather than per request.
 */
function documentMemo<T>(): (schema: GraphQLSchema) => WeakMap<DocumentNode, T> {
  const bySchema = new WeakMap<GraphQLSchema, WeakMap<DocumentNode, T>>();
  return (schema) => {
    let byDocument = bySchema.get(schema);
    if (!byDocument) bySchema.set(schema, (byDocument = new WeakMap()));
    return byDocument;
  };
}

/**
 * The validation errors of each parsed document (none: valid), remembered while the document is
 * (the parse cache keeps it). Yoga's own validation cache found them by the names of every
 * validation rule, joined into one key at each request: 2.6% of an availability request's CPU in
 * process. An API's rules are the same for every request, so the document alone is the key. Last
 * of the plugins, so it keeps the errors as the others left them, as yoga's cache did.
 */
export function useValidationCache(): Plugin {
  const validations = documentMemo<readonly Error[]>();
  return {
    onValidate: ({ params: { schema, documentAST }, setResult }) => {
      const byDocument = validations(schema);
      const known = byDocument.get(documentAST);
      if (known) return void setResult(known);
      return ({ result }) => void byDocument.set(documentAST, result);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Page size: `first`/`last` above the maximum is an error, not silently fewer items

/** A `first` or `last` argument of a connection field: its literal, or the variable it reads. */
interface PageSizeArgument {
  field: string;
  argument: 'first' | 'last';
  literal?: number;
  variable?: { name: string; defaultValue: number | undefined };
}

// A document's page-size arguments depend on the document and schema only.
const pageSizeArgumentsOf = documentMemo<PageSizeArgument[]>();

function pageSizeArguments(schema: GraphQLSchema, document: DocumentNode): PageSizeArgument[] {
  const byDocument = pageSizeArgumentsOf(schema);
  const cached = byDocument.get(document);
  if (cached) return cached;
  const defaults = new Map<string, number>();
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
    for (const variable of definition.variableDefinitions ?? []) {
      if (variable.defaultValue?.kind === Kind.INT) defaults.set(variable.variable.name.value, Number(variable.defaultValue.value));
    }
  }
  const found: PageSizeArgument[] = [];
  const typeInfo = new TypeInfo(schema);
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Argument(node) {
        const argument = node.name.value;
        if (argument !== 'first' && argument !== 'last') return;
        const field = typeInfo.getFieldDef();
        if (!field || !getNamedType(field.type).name.endsWith('Connection')) return;
        if (node.value.kind === Kind.INT) found.push({ field: field.name, argument, literal: Number(node.value.value) });
        else if (node.value.kind === Kind.VARIABLE) {
          const name = node.value.name.value;
          found.push({ field: field.name, argument, variable: { name, defaultValue: defaults.get(name) } });
        }
      },
    }),
  );
  byDocument.set(document, found);
  return found;
}

/** The connection arguments over the maximum, as literals or through variables. */
export function pageSizeViolations(
  schema: GraphQLSchema,
  document: DocumentNode,
  variables: Record<string, unknown> | null | undefined,
  max = MAX_PAGE_SIZE,
): string[] {
  const problems: string[] = [];
  for (const { field, argument, literal, variable } of pageSizeArguments(schema, document)) {
    let value: unknown = literal;
    if (variable) value = variables && variable.name in variables ? variables[variable.name] : variable.defaultValue;
    if (typeof value === 'number' && (value > max || value < 0)) {
      problems.push(`${field}(${argument}: ${value}): a page has 0 to ${max} items; use the cursors for more.`);
    }
  }
  return problems;
}

/** PAGE_SIZE_TOO_LARGE for each connection argument over the maximum (useOperationLimits). */
function pageSizeErrors(args: OperationArgs, max: number): GraphQLError[] {
  return pageSizeViolations(args.schema, args.document, args.variableValues as Record<string, unknown>, max).map(
    (message) => new GraphQLError(message, { extensions: { code: 'PAGE_SIZE_TOO_LARGE' } }),
  );
}

// ---------------------------------------------------------------------------------------------
// Rate limit: an in-process token bucket per credential (one process); shared by every instance
// in PostgreSQL or Redis (rate-limit-store.ts)

/** A rate limit: charges a key's budget, or answers the refusal (RATE_LIMITED). */
export interface RateLimit {
  charge(key: string, cost: number, who: string): GraphQLError | undefined | Promise<GraphQLError | undefined>;
}

/** RATE_LIMITED: HTTP 429 with Retry-After. */
export function rateLimitRefusal(retryAfterSeconds: number, who: string): GraphQLError {
  return createGraphQLError(`Too many requests for this ${who}: try again in ${retryAfterSeconds} s.`, {
    extensions: {
      code: 'RATE_LIMITED',
      retryAfterSeconds,
      http: { status: 429, headers: { 'retry-after': String(retryAfterSeconds) } },
    },
  });
}

export class RateLimiter implements RateLimit {
  readonly #buckets = new Map<string, { tokens: number; at: number }>();
  readonly #perMs: number;
  readonly options: RateLimitOptions;
  private readonly now: () => number;

  constructor(options: RateLimitOptions, now: () => number = () => performance.now()) {
    this.options = options;
    this.now = now;
    this.#perMs = options.perMinute / 60_000;
  }

  /** Takes `cost` tokens of the key's bucket; returns how many seconds to wait when there are too few. */
  take(key: string, cost = 1): { ok: true } | { ok: false; retryAfterSeconds: number } {
    const now = this.now();
    const bucket = this.#buckets.get(key) ?? { tokens: this.options.burst, at: now };
    bucket.tokens = Math.min(this.options.burst, bucket.tokens + (now - bucket.at) * this.#perMs);
    bucket.at = now;
    this.#buckets.set(key, bucket);
    if (this.#buckets.size > 10_000) this.#forgetFull(now);
    // An operation dearer than the whole bucket can still run once the bucket is full.
    const charge = Math.min(cost, this.options.burst);
    if (bucket.tokens >= charge) {
      bucket.tokens -= charge;
      return { ok: true };
    }
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((charge - bucket.tokens) / this.#perMs / 1000)) };
  }

  /** Buckets that have filled up again are the same as new ones: drop them. */
  #forgetFull(now: number) {
    for (const [key, bucket] of this.#buckets) {
      if (bucket.tokens + (now - bucket.at) * this.#perMs >= this.options.burst) this.#buckets.delete(key);
    }
  }

  /** RATE_LIMITED (HTTP 429, Retry-After) when the key has too few tokens left for the cost. */
  charge(key: string, cost: number, who: string): GraphQLError | undefined {
    return this.#refusal(this.take(key, cost), who);
  }

  #refusal(taken: ReturnType<RateLimiter['take']>, who: string): GraphQLError | undefined {
    return taken.ok ? undefined : rateLimitRefusal(taken.retryAfterSeconds, who);
  }
}

/** A credential's bucket pays a token per this much of an operation's cost (schema/builder.ts). */
export const COST_PER_TOKEN = 1_000;

/** What the complexity plugin counts of an operation: its cost, its depth, its most fields side by side. */
export interface OperationComplexity {
  complexity: number;
  depth: number;
  breadth: number;
}

// An operation's complexity depends on its document and on the values of the variables that reach
// its counted arguments: first/last and the lists of bulk inputs (fieldComplexity), never on an ID
// or a String (a list of them is its own type). So it is counted once per document, operation and
// values of its other variables, the ID and String variables left out: every availability request
// is one count. A document whose other values keep changing stops being remembered past this many.
const MAX_SHAPES_PER_OPERATION = 64;
const UNCOUNTED_VARIABLE_TYPES = new Set(['ID', 'String']);

interface CountedOperation {
  /** The operation alone with its fragments, as complexityFromQuery counts its first operation. */
  only: DocumentNode;
  /** The variables whose values can change the count. */
  counted: string[];
  byShape: Map<string, OperationComplexity>;
}
const countedOperations = documentMemo<Map<string, CountedOperation | null>>();

function countedOperation(schema: GraphQLSchema, document: DocumentNode, operationName: string | null | undefined): CountedOperation | null {
  const byDocument = countedOperations(schema);
  let byName = byDocument.get(document);
  if (!byName) byDocument.set(document, (byName = new Map()));
  const name = operationName ?? '';
  let counted = byName.get(name);
  if (counted !== undefined) return counted;
  const operation = getOperationAST(document, operationName);
  if (operation) {
    const fragments = document.definitions.filter((definition) => definition.kind === Kind.FRAGMENT_DEFINITION);
    const only: DocumentNode = document.definitions.length === fragments.length + 1 ? document : { ...document, definitions: [operation, ...fragments] };
    const variables = (operation.variableDefinitions ?? []).filter(
      ({ type }) => !((type.kind === Kind.NON_NULL_TYPE ? type.type : type).kind === Kind.NAMED_TYPE && UNCOUNTED_VARIABLE_TYPES.has(getNamedTypeName(type))),
    );
    counted = { only, counted: variables.map((definition) => definition.variable.name.value), byShape: new Map() };
  } else {
    counted = null;
  }
  byName.set(name, counted);
  return counted;
}

function getNamedTypeName(type: TypeNode): string {
  return type.kind === Kind.NAMED_TYPE ? type.name.value : getNamedTypeName(type.type);
}

/**
 * The complexity of the operation a request runs, as the complexity plugin counts it (with
 * schema/builder.ts's fieldComplexity); null when its variables are refused (execution then says why).
 */
export function operationComplexity(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: unknown,
  ctx: object,
): OperationComplexity | null {
  const operation = countedOperation(schema, document, operationName);
  if (!operation) return null;
  const values = (variables ?? {}) as Record<string, unknown>;
  // A variable left out (its default applies) and one sent as null count differently.
  const shape = operation.counted.map((name) => (name in values ? JSON.stringify(values[name]) : '')).join(',');
  let result = operation.byShape.get(shape);
  if (result) return result;
  try {
    const { complexity, depth, breadth } = complexityFromQuery(operation.only, { schema, ctx, variables: values });
    result = { complexity, depth, breadth };
  } catch {
    return null; // Bad variables: execution refuses them.
  }
  if (operation.byShape.size < MAX_SHAPES_PER_OPERATION) operation.byShape.set(shape, result);
  return result;
}

/** The refusal of an operation over the limit (the complexity plugin's order: depth, breadth, cost), or null. */
export function complexityRefusal(counted: OperationComplexity, limit: OperationComplexity = COMPLEXITY_LIMIT): GraphQLError | null {
  const kind =
    counted.depth > limit.depth ? 'depth' : counted.breadth > limit.breadth ? 'breadth' : counted.complexity > limit.complexity ? 'complexity' : null;
  if (!kind) return null;
  return complexityError(kind, { ...counted, maxDepth: limit.depth, maxBreadth: limit.breadth, maxComplexity: limit.complexity });
}

interface OperationArgs {
  schema: GraphQLSchema;
  document: DocumentNode;
  operationName?: string | null | undefined;
  variableValues?: unknown;
  contextValue: unknown;
}

function complexityErrors(args: OperationArgs, limit: OperationComplexity): GraphQLError[] {
  const counted = operationComplexity(args.schema, args.document, args.operationName, args.variableValues, args.contextValue as object);
  const refused = counted && complexityRefusal(counted, limit);
  return refused ? [refused] : [];
}

/**
 * Before an operation runs: pages of more than `maxPageSize` items (PAGE_SIZE_TOO_LARGE), then
 * operations deeper, broader or dearer than `complexity` (a subscription's too) are refused. One
 * hook for both: each is a few lookups by document, and every request passes here.
 */
export function useOperationLimits({ maxPageSize = MAX_PAGE_SIZE, complexity = COMPLEXITY_LIMIT as OperationComplexity } = {}): Plugin {
  return {
    onExecute: ({ args, setResultAndStopExecution }) => {
      const pageSizes = pageSizeErrors(args, maxPageSize);
      const errors = pageSizes.length ? pageSizes : complexityErrors(args, complexity);
      if (errors.length) setResultAndStopExecution({ errors });
    },
    onSubscribe: ({ args, setResultAndStopExecution }) => {
      const errors = complexityErrors(args, complexity);
      if (errors.length) setResultAndStopExecution({ errors });
    },
  };
}

/** Each credential's token bucket pays for each operation by its cost: a token per COST_PER_TOKEN. */
export function useCostRateLimit(limiter: RateLimit): Plugin {
  return {
    onExecute: ({ args, setResultAndStopExecution }) => {
      const actor = (args.contextValue as { actor?: Actor | null }).actor;
      if (!actor) return;
      const cost = operationComplexity(args.schema, args.document, args.operationName, args.variableValues, args.contextValue as object)?.complexity ?? 0;
      const refused = limiter.charge(actorKey(actor), Math.max(1, Math.ceil(cost / COST_PER_TOKEN)), 'credential');
      if (refused instanceof Promise) {
        return refused.then((error) => {
          if (error) setResultAndStopExecution({ errors: [error] });
        });
      }
      if (refused) setResultAndStopExecution({ errors: [refused] });
    },
  };
}
