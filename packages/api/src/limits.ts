// What keeps one request, or one client, from taking the server down: body size, aliases, page
// size, introspection, a per-credential rate limit, request ids and masked errors. Small yoga
// plugins of our own (see docs/RELIABILITY.md for what each guarantees and the test that proves it).
// Depth, breadth and cost are limited by the Pothos complexity plugin (schema/builder.ts).
import { randomUUID } from 'node:crypto';
import {
  getNamedType,
  GraphQLError,
  Kind,
  NoSchemaIntrospectionCustomRule,
  TypeInfo,
  visit,
  visitWithTypeInfo,
  type DocumentNode,
  type GraphQLSchema,
  type ValidationRule,
} from 'graphql';
import { createGraphQLError, maskError, type Plugin, type YogaLogger } from 'graphql-yoga';
import { actorKey, type Actor } from './domain/actor.ts';
import { MAX_PAGE_SIZE } from './schema/builder.ts';

export interface ApiLimits {
  /** Largest request body in bytes (413 above it). */
  maxBodyBytes: number;
  /** Most aliased fields in one document. */
  maxAliases: number;
  /** Most operations in one batched request (a JSON array); 0 turns batching off. */
  maxBatch: number;
  /** Per-credential token bucket; undefined: no rate limit. */
  rateLimit?: RateLimitOptions | undefined;
  /** Schema introspection (__schema, __type); off for production if you like. */
  introspection: boolean;
}

export interface RateLimitOptions {
  /** Sustained requests per minute per credential. */
  perMinute: number;
  /** How many requests may come at once before the sustained rate applies. */
  burst: number;
}

export const DEFAULT_LIMITS: ApiLimits = {
  maxBodyBytes: 100_000,
  maxAliases: 30,
  maxBatch: 10,
  rateLimit: undefined,
  introspection: true,
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

/**
 * Unexpected errors (database errors, bugs) answer "Unexpected error." with the request id, and
 * nothing of the cause: no stack, no SQL. The cause is logged with the request id (useRequestId).
 */
export function maskUnexpectedError(error: unknown, message: string): Error {
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

/** Every response carries `x-request-id`; a masked error names it and its cause is logged with it. */
export function useRequestId(base: Pick<Console, 'error'> = console): Plugin {
  return {
    onResultProcess: ({ request, result }) => {
      const requestId = requestIdOf(request);
      for (const single of Array.isArray(result) ? result : [result]) {
        const errors = (single as { errors?: GraphQLError[] }).errors;
        if (!errors) continue;
        (single as { errors?: GraphQLError[] }).errors = errors.map((error) => {
          if (!causes.has(error)) return error;
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
      response.headers.set('x-request-id', requestIdOf(request));
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
 * Bodies above the limit are refused before they are read: 413, or 411 when chunked. Node's HTTP
 * parser reads no more than Content-Length bytes as the body, so this is the whole limit.
 */
export function useBodyLimit(maxBytes: number): Plugin {
  return {
    onRequest: ({ request, endResponse }) => {
      const length = request.headers.get('content-length');
      if (length !== null) {
        if (!/^\d+$/.test(length) || Number(length) > maxBytes) {
          endResponse(jsonError(413, 'REQUEST_TOO_LARGE', `The request body is larger than ${maxBytes} bytes.`));
        }
      } else if (request.headers.get('transfer-encoding')) {
        endResponse(jsonError(411, 'LENGTH_REQUIRED', 'Send the request body with a Content-Length header.'));
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Aliases and introspection: validation rules (cached with the document, as they depend on it only)

export function maxAliasesRule(max: number): ValidationRule {
  return (context) => {
    let aliases = 0;
    return {
      Field(node) {
        if (node.alias && ++aliases === max + 1) {
          context.reportError(new GraphQLError(`The operation uses more than ${max} aliases.`, { nodes: node, extensions: { code: 'TOO_MANY_ALIASES' } }));
        }
      },
    };
  };
}

export function useValidationRules(limits: ApiLimits): Plugin {
  const rules: ValidationRule[] = [maxAliasesRule(limits.maxAliases)];
  if (!limits.introspection) rules.push(NoSchemaIntrospectionCustomRule);
  return {
    onValidate: ({ addValidationRule }) => {
      for (const rule of rules) addValidationRule(rule);
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

// A document's page-size arguments depend on the document and schema only, and yoga reuses the
// parsed document of a repeated query, so they are found once per document rather than per request.
const pageSizeArgumentsBySchema = new WeakMap<GraphQLSchema, WeakMap<DocumentNode, PageSizeArgument[]>>();

function pageSizeArguments(schema: GraphQLSchema, document: DocumentNode): PageSizeArgument[] {
  let byDocument = pageSizeArgumentsBySchema.get(schema);
  if (!byDocument) pageSizeArgumentsBySchema.set(schema, (byDocument = new WeakMap()));
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

export function usePageSizeLimit(max = MAX_PAGE_SIZE): Plugin {
  return {
    onExecute: ({ args, setResultAndStopExecution }) => {
      const problems = pageSizeViolations(args.schema, args.document, args.variableValues as Record<string, unknown>, max);
      if (problems.length) {
        setResultAndStopExecution({
          errors: problems.map((message) => new GraphQLError(message, { extensions: { code: 'PAGE_SIZE_TOO_LARGE' } })),
        });
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Rate limit: an in-process token bucket per credential

export class RateLimiter {
  readonly #buckets = new Map<string, { tokens: number; at: number }>();
  readonly #perMs: number;
  readonly options: RateLimitOptions;
  private readonly now: () => number;

  constructor(options: RateLimitOptions, now: () => number = () => performance.now()) {
    this.options = options;
    this.now = now;
    this.#perMs = options.perMinute / 60_000;
  }

  /** Takes one token of the key's bucket; returns how many seconds to wait when there is none. */
  take(key: string): { ok: true } | { ok: false; retryAfterSeconds: number } {
    const now = this.now();
    const bucket = this.#buckets.get(key) ?? { tokens: this.options.burst, at: now };
    bucket.tokens = Math.min(this.options.burst, bucket.tokens + (now - bucket.at) * this.#perMs);
    bucket.at = now;
    this.#buckets.set(key, bucket);
    if (this.#buckets.size > 10_000) this.#forgetFull(now);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / this.#perMs / 1000)) };
  }

  /** Buckets that have filled up again are the same as new ones: drop them. */
  #forgetFull(now: number) {
    for (const [key, bucket] of this.#buckets) {
      if (bucket.tokens + (now - bucket.at) * this.#perMs >= this.options.burst) this.#buckets.delete(key);
    }
  }

  /** Throws RATE_LIMITED (HTTP 429, Retry-After) when the actor has no token left. */
  check(actor: Actor | null): void {
    if (!actor) return;
    const taken = this.take(actorKey(actor));
    if (!taken.ok) {
      throw createGraphQLError(`Too many requests for this credential: try again in ${taken.retryAfterSeconds} s.`, {
        extensions: {
          code: 'RATE_LIMITED',
          retryAfterSeconds: taken.retryAfterSeconds,
          http: { status: 429, headers: { 'retry-after': String(taken.retryAfterSeconds) } },
        },
      });
    }
  }
}
