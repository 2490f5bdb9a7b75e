// A value a scalar refuses as INVALID_INPUT (a day that is not a day, schema/builder.ts) is
// answered before any resolver runs, as a GraphQL error. This names the input field it was given
// for in `extensions.field`, as a typed payload error would: from the variable's path ("at
// .endDate") or, for a value written in the document, from the argument or input field
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
