import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { printSortedSchema, schema } from './index.ts';
import { schemaFile } from './schema-file.ts';

describe('schema.graphql', () => {
  it('is the printed schema: run `pnpm --filter @school-licenses/api schema:print` after changing it', async () => {
    expect(await readFile(schemaFile, 'utf8')).toBe(printSortedSchema());
  });

  it('describes every type, field and argument', () => {
    const undocumented: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      if (type.name.startsWith('__') || ['String', 'Boolean', 'Int', 'Float', 'ID'].includes(type.name)) continue;
      if (!type.description) undocumented.push(type.name);
      if ('getFields' in type) {
        for (const field of Object.values(type.getFields())) {
          if (!field.description) undocumented.push(`${type.name}.${field.name}`);
          for (const arg of 'args' in field ? field.args : []) {
            if (!arg.description) undocumented.push(`${type.name}.${field.name}(${arg.name})`);
          }
        }
      }
    }
    expect(undocumented).toEqual([]);
  });
});
