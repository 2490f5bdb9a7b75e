// `pnpm --filter @school-licenses/sdk generate`: regenerates everything the SDK is made from, in
// order: the API's printed schema (schema.graphql), then the typed documents and the persisted
// documents manifest (src/gql/, by graphql-codegen with the top-level codegen.ts).
import { writeFile } from 'node:fs/promises';
import { generate } from '@graphql-codegen/cli';
import { printSortedSchema } from '@school-licenses/api';
import { schemaFile } from '../../api/src/schema/schema-file.ts';
import { sdkCodegenConfig } from '../../../codegen.ts';

await writeFile(schemaFile, printSortedSchema());
console.log(`wrote ${schemaFile}`);
const config = sdkCodegenConfig();
await generate(config, true);
console.log(`wrote ${Object.keys(config.generates).join(', ')}`);
