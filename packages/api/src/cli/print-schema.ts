// `pnpm schema:print`: writes the schema as SDL to schema.graphql at the top of the repository.
import { writeFile } from 'node:fs/promises';
import { printSortedSchema } from '../schema/index.ts';
import { schemaFile } from '../schema/schema-file.ts';
import { type Command, readOptions, runAsProcess } from './run-command.ts';

const USAGE = `usage: pnpm schema:print (takes no arguments; writes ${schemaFile})`;

export const printSchema: Command = async ({ args, console }) => {
  readOptions(args, {}, USAGE);
  await writeFile(schemaFile, printSortedSchema());
  console.log(`wrote ${schemaFile}`);
};

if (import.meta.main) await runAsProcess(printSchema);
