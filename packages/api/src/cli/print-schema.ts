// `pnpm schema:print`: writes the schema as SDL to schema.graphql at the top of the repository.
import { writeFile } from 'node:fs/promises';
import { printSortedSchema } from '../schema/index.ts';
import { schemaFile } from '../schema/schema-file.ts';

await writeFile(schemaFile, printSortedSchema());
console.log(`wrote ${schemaFile}`);
