// A value a scalar refuses as INVALID_INPUT (a day that is not a day, schema/builder.ts) is
// answered before any resolver runs, as a GraphQL error. This names the input field it was given
// for in `extensions.field`, as a typed payload error would: from the variable's path ("at
// .endDate") or, for a value written in the document, from the argument or input field
// that holds it.
//
// An ID that is not one, or one of another type (a product's ID given as a school), is refused
// by Pothos' relay plugin as it maps the arguments, with an error that names neither a code nor a
// field. It becomes the same INVALID_INPUT, on the argument or input field that holds the ID.
import { PothosValidationError } from '@pothos/core';
import {
  GraphQLError,
  isInputObjectType,
  isListType,
  isNonNullType,
  TypeInfo,
  valueFromASTUntyped,
  visit,
  visitWithTypeInfo,
  type ASTNode,
  type DocumentNode,
  type GraphQLInputType,
  type GraphQLSchema,
} from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import type { TypedExecutionArgs } from '@envelop/core';
import { truncate } from './limits.ts';

const isInvalidInput = (error: Error): error is GraphQLError =>
  error instanceof GraphQLError && error.extensions?.code === 'INVALID_INPUT' && !error.extensions.field;

function withField(error: GraphQLError, field: string | undefined): GraphQLError {
  if (!field) return error;
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    originalError: error.originalError,
    extensions: { ...error.extensions, field },
  });
}

/**
 * The last name of a variable error's path (graphql 17: `Variable "$input" has invalid value at
 * .items[0].endDate: …` → endDate); the variable's name when the value itself is refused.
 */
function fieldOfVariableError(error: GraphQLError): string | undefined {
  const refused = /^Variable "\$(\w+)" has invalid value(?: at ([.\w[\]]+))?:/.exec(error.message);
  if (!refused) return undefined;
  const [, variable, path] = refused;
  return path
    ? path
        .replace(/\[\d+\]/g, '')
        .split('.')
        .at(-1)
    : variable;
}

/** The argument or input field that holds each value written in the document. */
function fieldsOfValues(document: DocumentNode): Map<ASTNode, string> {
  const names = new Map<ASTNode, string>();
  visit(document, {
    Argument: (node) => void names.set(node.value, node.name.value),
    ObjectField: (node) => void names.set(node.value, node.name.value),
  });
  return names;
}

interface RefusedId {
  id: string;
  /** The types the ID had to be of (`School`, `User, Group`), when it was refused for its type. */
  types?: string;
}

/** The relay plugin's refusals of an ID (its utils/global-ids.js and utils/internal.js), read from their messages. */
function refusedId(error: GraphQLError): RefusedId | undefined {
  if (!(error.originalError instanceof PothosValidationError) && !(error instanceof PothosValidationError)) return undefined;
  const malformed = /^Invalid global ID: (.*)$/s.exec(error.message);
  if (malformed) return { id: malformed[1]! };
  const otherType = /^ID: (.*) is not of type: ([\w, ]+)$/s.exec(error.message);
  return otherType ? { id: otherType[1]!, types: otherType[2]! } : undefined;
}

interface InputDefinition {
  name: string;
  type: GraphQLInputType;
  extensions: { isRelayGlobalID?: boolean; relayGlobalIDFor?: { typename: string }[] | null };
}

/**
 * The argument or input field that refused `id`: one that takes IDs (of `types`, when the ID was
 * refused for its type), found by walking each argument's value, variables included, by its type.
 */
function fieldRefusingId(
  schema: GraphQLSchema,
  document: DocumentNode,
  variables: Record<string, unknown> | undefined,
  refused: RefusedId,
): string | undefined {
  const refuses = (definition: InputDefinition) =>
    definition.extensions.isRelayGlobalID === true &&
    (!refused.types || (definition.extensions.relayGlobalIDFor ?? []).map(({ typename }) => typename).join(', ') === refused.types);
  const walk = (value: unknown, definition: InputDefinition, type: GraphQLInputType): string | undefined => {
    if (value === null || value === undefined) return undefined;
    if (isNonNullType(type)) return walk(value, definition, type.ofType);
    if (isListType(type)) {
      for (const item of Array.isArray(value) ? value : [value]) {
        const found = walk(item, definition, type.ofType);
        if (found) return found;
      }
      return undefined;
    }
    if (isInputObjectType(type)) {
      if (typeof value !== 'object') return undefined;
      for (const field of Object.values(type.getFields())) {
        const found = walk((value as Record<string, unknown>)[field.name], field as InputDefinition, field.type);
        if (found) return found;
      }
      return undefined;
    }
    return value === refused.id && refuses(definition) ? definition.name : undefined;
  };
  const typeInfo = new TypeInfo(schema);
  let field: string | undefined;
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Argument(node) {
        const argument = typeInfo.getArgument();
        if (!field && argument) field = walk(valueFromASTUntyped(node.value, variables), argument as InputDefinition, argument.type);
      },
    }),
  );
  return field;
}

function invalidId(error: GraphQLError, refused: RefusedId, field: string | undefined): GraphQLError {
  const shown = JSON.stringify(truncate(refused.id));
  const message = refused.types ? `${shown} is not an ID of a ${refused.types.split(', ').join(' or ')}.` : `${shown} is not an ID.`;
  return new GraphQLError(message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    extensions: { code: 'INVALID_INPUT', ...(field ? { field } : {}) },
  });
}

/** The result with each INVALID_INPUT naming its field, and each refused ID as INVALID_INPUT (the same result when there is none). */
function withInputFields<R extends { errors?: readonly GraphQLError[] }>(result: R, args: TypedExecutionArgs<unknown>): R {
  if (!result.errors?.some((error) => isInvalidInput(error) || refusedId(error))) return result;
  return {
    ...result,
    errors: result.errors.map((error) => {
      if (isInvalidInput(error)) return withField(error, fieldOfVariableError(error));
      const refused = refusedId(error);
      return refused ? invalidId(error, refused, fieldRefusingId(args.schema, args.document, args.variableValues as Record<string, unknown>, refused)) : error;
    }),
  };
}

export function useInvalidInputField(): Plugin {
  return {
    onValidate({ params }) {
      return ({ result, setResult }) => {
        if (!result.some(isInvalidInput)) return;
        const names = fieldsOfValues(params.documentAST);
        setResult(result.map((error) => (isInvalidInput(error) ? withField(error, names.get(error.nodes?.[0] as ASTNode)) : error)) as GraphQLError[]);
      };
    },
    onExecute({ args }) {
      return {
        onExecuteDone({ result, setResult }) {
          if (!('errors' in result)) return;
          const named = withInputFields(result, args);
          if (named !== result) setResult(named);
        },
      };
    },
    // A subscription whose arguments are refused answers one result instead of a stream.
    onSubscribe({ args }) {
      return {
        onSubscribeResult({ result, setResult }) {
          if (isAsyncIterable(result)) return;
          const named = withInputFields(result, args);
          if (named !== result) setResult(named);
        },
      };
    },
  };
}
