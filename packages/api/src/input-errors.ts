// A value a scalar refuses as INVALID_INPUT (a day that is not a day, schema/builder.ts) is
// answered before any resolver runs, as a GraphQL error. This names the input field it was given
// for in `extensions.field`, as a typed payload error would: from the variable's path ("at
// \"input.endDate\"") or, for a value written in the document, from the argument or input field
// that holds it.
import { GraphQLError, visit, type ASTNode, type DocumentNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';

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

/** The last name of a variable error's path: `at "input.endDate"` → endDate; else the variable's name. */
function fieldOfVariableError(error: GraphQLError): string | undefined {
  const path = /got invalid value .* at "([^"]+)"/.exec(error.message)?.[1];
  if (path)
    return path
      .replace(/\[\d+\]/g, '')
      .split('.')
      .at(-1);
  return /^Variable "\$(\w+)"/.exec(error.message)?.[1];
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

export function useInvalidInputField(): Plugin {
  return {
    onValidate({ params }) {
      return ({ result, setResult }) => {
        if (!result.some(isInvalidInput)) return;
        const names = fieldsOfValues(params.documentAST);
        setResult(result.map((error) => (isInvalidInput(error) ? withField(error, names.get(error.nodes?.[0] as ASTNode)) : error)) as GraphQLError[]);
      };
    },
    onExecute() {
      return {
        onExecuteDone({ result, setResult }) {
          if (!('errors' in result) || !result.errors?.some(isInvalidInput)) return;
          setResult({
            ...result,
            errors: result.errors.map((error) => (isInvalidInput(error) ? withField(error, fieldOfVariableError(error)) : error)),
          });
        },
      };
    },
  };
}
