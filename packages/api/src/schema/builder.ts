// Only configures the builder; the types live one file per domain type beside it.
import SchemaBuilder from '@pothos/core';
import ComplexityPlugin from '@pothos/plugin-complexity';
import ErrorsPlugin from '@pothos/plugin-errors';
import PrismaPlugin from '@pothos/plugin-prisma';
import RelayPlugin from '@pothos/plugin-relay';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import type PrismaTypes from '@school-licenses/db/pothos-types';
import { getDatamodel } from '@school-licenses/db/pothos-types';
import { getNamedType, getNullableType, GraphQLError, GraphQLScalarType, isListType, Kind, type ValueNode } from 'graphql';
import { createGraphQLError } from 'graphql-yoga';
import { DateTimeResolver, JSONResolver } from 'graphql-scalars';
import { isAdmin } from '../domain/actor.ts';
import { formatDay, parseDay } from '../domain/days.ts';
import type { Context } from './context.ts';
import { decodeId, encodeId } from './global-ids.ts';
import { clientOf } from './run.ts';

export const MAX_PAGE_SIZE = 100;

/** The most an operation may cost, nest and hold side by side (the complexity plugin's counts). */
export const COMPLEXITY_LIMIT = { complexity: 25_000, depth: 12, breadth: 150 } as const;

/** A clear, typed refusal of an operation over COMPLEXITY_LIMIT (not a masked "Unexpected error"), before any resolver runs. */
export function complexityError(
  kind: string,
  result: { depth: number; breadth: number; complexity: number; maxDepth?: number; maxBreadth?: number; maxComplexity?: number },
): GraphQLError {
  const what = String(kind).toLowerCase() as 'depth' | 'breadth' | 'complexity';
  const limit = { depth: result.maxDepth, breadth: result.maxBreadth, complexity: result.maxComplexity }[what];
  const actual = result[what];
  const code = { depth: 'QUERY_TOO_DEEP', breadth: 'QUERY_TOO_BROAD', complexity: 'QUERY_TOO_COMPLEX' }[what];
  return createGraphQLError(`The operation's ${what} is ${actual}, above the limit of ${limit}: ask for less in one request.`, {
    extensions: { code, limit, actual },
  });
}

/** What each item of a list argument (a user of a bulk assignment, an ID of nodes) adds to the cost. */
const INPUT_ITEM_COST = 10;

/** How many items the lists in a field's arguments hold, at any depth of its input objects. */
function inputItems(value: unknown): number {
  if (Array.isArray(value)) return value.reduce((sum: number, item) => sum + 1 + inputItems(item), 0);
  if (typeof value !== 'object' || value === null || value instanceof Date) return 0;
  let sum = 0;
  for (const item of Object.values(value)) sum += inputItems(item);
  return sum;
}

export const builder = new SchemaBuilder<{
  Context: Context;
  PrismaTypes: PrismaTypes;
  AuthScopes: {
    /** Any valid user token or API key. */
    authenticated: boolean;
    /** A signed-in person (student, teacher or admin). */
    user: boolean;
    /** An administrator of at least one school, or a read-write integration. */
    admin: boolean;
    /** A supplier's integration. */
    supplier: boolean;
  };
  Scalars: {
    DateTime: { Input: Date; Output: Date };
    /** A day, as the Date of its 00:00 UTC (domain/days.ts). */
    LocalDate: { Input: Date; Output: Date };
    JSON: { Input: unknown; Output: unknown };
    File: { Input: File; Output: never };
  };
  DefaultFieldNullability: false;
}>({
  plugins: [ScopeAuthPlugin, ErrorsPlugin, PrismaPlugin, RelayPlugin, ComplexityPlugin],
  defaultFieldNullability: false,
  scopeAuth: {
    // A type's scopes are checked once per object returned, not once per field of it: a page
    // of 1,000 licenses costs 1,000 checks instead of one per field (see BENCHMARKS.md).
    runScopesOnType: true,
    authScopes: (ctx) => ({
      authenticated: ctx.actor !== null,
      user: ctx.actor?.kind === 'user',
      admin: ctx.actor !== null && isAdmin(ctx.actor),
      supplier: ctx.actor?.kind === 'supplier',
    }),
    unauthorizedError: (_parent, ctx) =>
      ctx.actor
        ? createGraphQLError('You are not allowed to do this.', { extensions: { code: 'FORBIDDEN' } })
        : createGraphQLError('Authentication required: send Authorization: Bearer <token>.', {
            extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } },
          }),
  },
  prisma: {
    client: clientOf,
    dmmf: getDatamodel(),
    exposeDescriptions: true,
    filterConnectionTotalCount: true,
    maxConnectionSize: MAX_PAGE_SIZE,
    defaultConnectionSize: 20,
    onUnusedQuery: null,
  },
  relay: {
    clientMutationId: 'omit',
    encodeGlobalID: encodeId,
    decodeGlobalID: decodeId,
    cursorType: 'String',
    idFieldOptions: { description: 'A global, opaque ID: pass it to node(id:) or to any argument that takes this type.' },
    nodeTypeOptions: { description: 'An object with a global ID, which node(id:) fetches.' },
    pageInfoTypeOptions: { description: 'Where a page of a list stands, for fetching the next or previous page.' },
    hasNextPageFieldOptions: { description: 'Whether there are more items after this page.' },
    hasPreviousPageFieldOptions: { description: 'Whether there are items before this page.' },
    startCursorFieldOptions: { description: 'The cursor of the first item of the page.' },
    endCursorFieldOptions: { description: 'The cursor of the last item of the page: pass it as `after` for the next page.' },
    firstArgOptions: { description: `How many items to return from the start (at most ${MAX_PAGE_SIZE}; default 20).` },
    afterArgOptions: { description: 'Return the items after this cursor.' },
    lastArgOptions: { description: `How many items to return from the end (at most ${MAX_PAGE_SIZE}).` },
    beforeArgOptions: { description: 'Return the items before this cursor.' },
    defaultConnectionTypeOptions: { description: 'One page of a list, with its position.' },
    defaultEdgeTypeOptions: { description: 'An item of a page, with its cursor.' },
    edgesFieldOptions: { description: 'The items of the page, each with its cursor.' },
    pageInfoFieldOptions: { description: 'Where the page stands.' },
    cursorFieldOptions: { description: 'The position of this item, for `after` and `before`.' },
    nodeFieldOptions: { description: 'The item.' },
    nodeQueryOptions: { description: 'Fetches any object by its global ID; null when it does not exist or is not yours to see.' },
    nodesQueryOptions: { description: 'Fetches many objects by global ID, in order; null for those that do not exist or are not yours to see.' },
  },
  errors: {
    defaultTypes: [],
    directResult: true,
    defaultUnionOptions: {
      description:
        'The payload when the change was made, or the business error that refused it (nothing was changed). A signed-in caller the operation is not for gets FORBIDDEN here (NOT_FOUND when it may not even see what the input names); only an unauthenticated request, or a value no input field can take (INVALID_INPUT with extensions.field), is a top-level GraphQL error.',
      name: ({ fieldName }) => `${fieldName.charAt(0).toUpperCase()}${fieldName.slice(1)}Result`,
    },
  },
  complexity: {
    defaultComplexity: 1,
    defaultListMultiplier: 10,
    // A connection costs what its page can hold (first/last, else the default page of 20), not a
    // flat 10: 100 schools × 100 members × 100 assignments must count as a million.
    fieldComplexity: (args, _ctx, field) => {
      // A bulk input is as much work as its items: assignLicenses of 100 users costs 1,000 more.
      const items = inputItems(args);
      if (items) return { field: 1 + INPUT_ITEM_COST * items, multiplier: 1 };
      if (getNamedType(field.type).name.endsWith('Connection')) {
        const page = [args.first, args.last].find((n): n is number => typeof n === 'number');
        return { field: 1, multiplier: Math.max(1, page ?? 20) };
      }
      // A connection's edges are its page, already counted above.
      if (field.name === 'edges' && getNamedType(field.type).name.endsWith('Edge')) return { field: 1, multiplier: 1 };
      return isListType(getNullableType(field.type)) ? { field: 1, multiplier: 10 } : 1;
    },
    limit: COMPLEXITY_LIMIT,
    complexityError,
    // The plugin would count each request's operation again in its root fields (3% of an
    // availability request's CPU, its arguments' global IDs decoded once more); limits.ts
    // (useComplexityLimit) counts each document and shape of variables once, with this
    // fieldComplexity, and refuses before execution.
    disabled: true,
  },
});

/**
 * graphql-scalars' DateTime, writing the ISO string JSON would write anyway. Its own serializer
 * returns the Date and leaves the string to JSON.stringify, which then calls toJSON on each of an
 * answer's thousands of dates: the admin view's answer took 3.1 ms to write instead of 1.8 ms.
 */
function serializeDateTime(value: unknown): string {
  return isoString(DateTimeResolver.coerceOutputValue(value) as Date);
}
// graphql 17 calls coerceOutputValue, the executor of graphql-yoga still calls serialize.
const DateTimeScalar = new GraphQLScalarType<Date, string>({
  ...DateTimeResolver.toConfig(),
  serialize: serializeDateTime,
  coerceOutputValue: serializeDateTime,
});

/**
 * The ISO strings of the moments written lately. toISOString costs about a microsecond, and the
 * licenses of an answer share a few end dates: a thousand of them cost a millisecond without this.
 */
const isoStrings = new Map<number, string>();
const MAX_ISO_STRINGS = 10_000;
function isoString(date: Date): string {
  const time = date.getTime();
  let text = isoStrings.get(time);
  if (text === undefined) {
    if (isoStrings.size >= MAX_ISO_STRINGS) isoStrings.clear();
    text = date.toISOString();
    isoStrings.set(time, text);
  }
  return text;
}
builder.addScalarType('DateTime', DateTimeScalar, {
  description: 'A moment in time, as an ISO 8601 string in UTC, e.g. 2027-08-31T00:00:00.000Z.',
});
builder.addScalarType('JSON', JSONResolver, { description: 'Any JSON value.' });
// graphql-yoga parses multipart requests (the GraphQL multipart request spec) into Web File objects.
builder.scalarType('File', {
  description: 'A file sent as a part of a multipart request (the GraphQL multipart request spec). Input only.',
  serialize: () => {
    throw new Error('File is an input type only.');
  },
});

/**
 * A day that is not a day (an instant, "2027-02-30", a number) is refused before any resolver
 * runs, as INVALID_INPUT; the refusal names the input field (yoga.ts adds `field` from where the
 * value was given).
 */
function invalidDay(value: unknown, node?: ValueNode): GraphQLError {
  return new GraphQLError(`${JSON.stringify(value)} is not a day: give one as YYYY-MM-DD, e.g. 2027-06-01.`, {
    // The value's node, written in the document, tells which input field it was given for.
    ...(node ? { nodes: node } : {}),
    extensions: { code: 'INVALID_INPUT' },
  });
}
function readDay(value: unknown, node?: ValueNode): Date {
  const day = typeof value === 'string' ? parseDay(value) : null;
  if (!day) throw invalidDay(value, node);
  return day;
}
const LocalDateScalar = new GraphQLScalarType<Date, string>({
  name: 'LocalDate',
  serialize: (value) => formatDay(value instanceof Date ? value : readDay(value)),
  parseValue: readDay,
  parseLiteral: (ast) => readDay(ast.kind === Kind.STRING ? ast.value : 'value' in ast ? ast.value : ast.kind, ast),
  extensions: { codegenScalarType: 'string' },
});
builder.addScalarType('LocalDate', LocalDateScalar, {
  description:
    "A calendar day in the organisation's time zone, as YYYY-MM-DD (e.g. 2027-06-01), with no time of day. An end date is the last day a license is usable.",
});
