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

/** Whether the executor runs `selection`: neither @skip(if: true) nor @include(if: false) with the request's variables. */
const runs = (info: GraphQLResolveInfo, selection: SelectionNode) =>
  getDirectiveValues(GraphQLSkipDirective, selection, info.variableValues)?.if !== true &&
  getDirectiveValues(GraphQLIncludeDirective, selection, info.variableValues)?.if !== false;

/**
 * Calls `found` with the selection set of every field at `path` under the field being resolved
 * (field names, through fragments), leaving out what @skip or @include leave out.
 */
function visitPath(info: GraphQLResolveInfo, path: readonly string[], found: (set: SelectionSetNode | undefined) => void): void {
  const visit = (set: SelectionSetNode | undefined, [name, ...rest]: readonly string[]): void => {
    for (const selection of set?.selections ?? []) {
      if (!runs(info, selection)) continue;
      if (selection.kind === Kind.FIELD) {
        if (selection.name.value !== name) continue;
        if (rest.length === 0) found(selection.selectionSet);
        else visit(selection.selectionSet, rest);
      } else {
        const fragment = selection.kind === Kind.INLINE_FRAGMENT ? selection : info.fragments[selection.name.value];
        visit(fragment?.selectionSet, [name!, ...rest]);
      }
    }
  };
  for (const node of info.fieldNodes) visit(node.selectionSet, path);
}

/** Whether the field being resolved selects `path` (field names, through fragments); a selection @skip or @include leaves out selects nothing. */
export function selectsPath(info: GraphQLResolveInfo, path: readonly string[]): boolean {
  let selected = false;
  visitPath(info, path, () => {
    selected = true;
  });
  return selected;
}

/**
 * The names of the fields selected under the field at `path` (through fragments, whatever their
 * type condition, and every field at that path); null when `path` is not selected.
 */
export function fieldsUnder(info: GraphQLResolveInfo, path: readonly string[]): Set<string> | null {
  let names: Set<string> | null = null;
  const collect = (set: SelectionSetNode | undefined, into: Set<string>): void => {
    for (const selection of set?.selections ?? []) {
      if (!runs(info, selection)) continue;
      if (selection.kind === Kind.FIELD) into.add(selection.name.value);
      else collect((selection.kind === Kind.INLINE_FRAGMENT ? selection : info.fragments[selection.name.value])?.selectionSet, into);
    }
  };
  visitPath(info, path, (set) => collect(set, (names ??= new Set())));
  return names;
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
