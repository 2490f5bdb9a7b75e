// The complexity limit counts an operation as the Pothos complexity plugin does, once per
// document and shape of its variables (limits.ts, operationComplexity): each shape keeps its own
// count, IDs and Strings change none, and a variable left out counts with its default.
import { complexityFromQuery } from '@pothos/plugin-complexity';
import { parse, type DocumentNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { complexityRefusal, operationComplexity } from './limits.ts';
import { schema } from './schema/index.ts';
import { gid } from './testing/ids.ts';

const plugin = (document: DocumentNode, variables: Record<string, unknown>) => {
  const { complexity, depth, breadth } = complexityFromQuery(document, { schema, ctx: {}, variables });
  return { complexity, depth, breadth };
};
const school = (n: number) => gid('School', `0190a5d0-0000-7000-8000-00000000000${n}`);

describe('the complexity of an operation, counted once per shape of its variables', () => {
  it('is what the complexity plugin counts, for each page size in turn', () => {
    const document = parse(`query($first: Int, $members: Int = 100, $school: ID!) {
      node(id: $school) { id }
      schools(first: $first) { edges { node { members(first: $members) { edges { node { user { name } } } } } } }
    }`);
    const shapes = [
      { first: 100, school: school(1) },
      { first: 1, school: school(2) },
      { first: 100, school: school(3) },
      { first: 1, members: 30, school: school(4) },
      { first: 1, members: null, school: school(5) },
      { first: 1, school: school(6) },
    ];
    const counts = shapes.map((variables) => operationComplexity(schema, document, undefined, variables, {}));
    expect(counts).toEqual(shapes.map((variables) => plugin(document, variables)));
    // The page sizes tell the counts apart, the school's ID does not.
    expect(counts[0]).toEqual(counts[2]);
    expect(counts[1]).toEqual(counts[5]);
    expect(new Set(counts.map((count) => count!.complexity)).size).toBe(4);
    expect(complexityRefusal(counts[0]!)?.extensions.code).toBe('QUERY_TOO_COMPLEX');
    expect(complexityRefusal(counts[1]!)).toBeNull();
  });

  it('counts the operation a request names, not the first of its document', () => {
    const document = parse(`
      query Small { viewer { kind } }
      query Large { schools(first: 100) { edges { node { members(first: 100) { edges { node { user { name } } } } } } } }`);
    expect(operationComplexity(schema, document, 'Small', {}, {})).toEqual(plugin(parse('query Small { viewer { kind } }'), {}));
    expect(complexityRefusal(operationComplexity(schema, document, 'Large', {}, {})!)?.extensions.code).toBe('QUERY_TOO_COMPLEX');
    expect(operationComplexity(schema, document, 'Missing', {}, {})).toBeNull();
  });

  it('leaves variables it cannot read to execution, and counts them once they can be', () => {
    const document = parse('query($first: Int) { schools(first: $first) { edges { node { id } } } }');
    expect(operationComplexity(schema, document, undefined, { first: 'ten' }, {})).toBeNull();
    expect(operationComplexity(schema, document, undefined, { first: 10 }, {})).toEqual(plugin(document, { first: 10 }));
  });
});
