// What a GraphQL request selects under the field being resolved, as the executor will run it:
// graphql's own getDirectiveValues reads @skip and @include with the request's variables, so a
// read leaves out what the response leaves out.
import {
  getDirectiveValues,
  type FieldNode,
  GraphQLIncludeDirective,
  GraphQLSkipDirective,
  Kind,
  type GraphQLResolveInfo,
  type SelectionNode,
  type SelectionSetNode,
} from 'graphql';

/** Whether the field being resolved selects `path` (field names, through fragments); a selection @skip or @include leaves out selects nothing. */
export function selectsPath(info: GraphQLResolveInfo, path: readonly string[]): boolean {
  const runs = (selection: SelectionNode) =>
    getDirectiveValues(GraphQLSkipDirective, selection, info.variableValues)?.if !== true &&
    getDirectiveValues(GraphQLIncludeDirective, selection, info.variableValues)?.if !== false;
  const visit = (set: SelectionSetNode | undefined, [name, ...rest]: readonly string[]): boolean =>
    !!set?.selections.some((selection) => {
      if (!runs(selection)) return false;
      if (selection.kind === Kind.FIELD) return selection.name.value === name && (rest.length === 0 || visit(selection.selectionSet, rest));
      const fragment = selection.kind === Kind.INLINE_FRAGMENT ? selection : info.fragments[selection.name.value];
      return visit(fragment?.selectionSet, [name!, ...rest]);
    });
  return info.fieldNodes.some((node) => visit(node.selectionSet, path));
}

/** Whether any of the paths is selected. */
export const selectsAny = (info: GraphQLResolveInfo, paths: readonly (readonly string[])[]) => paths.some((path) => selectsPath(info, path));

const selectionIds = new WeakMap<FieldNode, number>();
let lastSelectionId = 0;

/**
 * A number for the field of the document being resolved (its first node), the same for every
 * item of a list: reads batched by it share one selection, without serialising the selection.
 * Variables are fixed for a request, so within one request one field node means one selection.
 */
export function selectionKey(info: GraphQLResolveInfo): number {
  const node = info.fieldNodes[0]!;
  let id = selectionIds.get(node);
  if (id === undefined) selectionIds.set(node, (id = ++lastSelectionId));
  return id;
}
