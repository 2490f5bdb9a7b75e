// graphql-codegen for the SDK: typed documents (client preset) from the committed schema and the
// SDK's operations, plus the hash → document manifest for persisted operations.
// Regenerate with `npx pnpm@10.34.8 --filter @school-licenses/sdk generate`; a test in
// packages/sdk fails when the committed output is stale. Paths are absolute, so codegen runs the
// same from any directory (and into another directory, for that test).
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('.', import.meta.url));

/** The SDK's codegen configuration, writing into `outputDir` (a path ending in `/`). */
export function sdkCodegenConfig(outputDir = `${root}packages/sdk/src/gql/`) {
  return {
    overwrite: true,
    silent: process.env.CODEGEN_VERBOSE !== '1',
    schema: `${root}schema.graphql`,
    documents: [`${root}packages/sdk/src/operations/*.graphql`],
    // ESM everywhere: relative imports in the generated files end in `.js`.
    importExtension: '.js' as const,
    generates: {
      [outputDir]: {
        preset: 'client' as const,
        presetConfig: {
          // The SDK hands out plain data: fragments are spread into the result types.
          fragmentMasking: false,
          // Every document carries `__meta__.hash` (sha256 of the normalized document); the
          // manifest persisted-documents.json maps each hash to its document for the API.
          persistedDocuments: { mode: 'embedHashInDocument' as const, hashPropertyName: 'hash', hashAlgorithm: 'sha256' },
        },
        config: {
          // Browser-friendly: string unions instead of runtime enums, type-only imports.
          enumsAsTypes: true,
          useTypeImports: true,
          onlyOperationTypes: true,
          strictScalars: true,
          scalars: {
            // Global IDs are strings (codegen 7 would also accept numbers, as GraphQL's ID does).
            ID: { input: 'string', output: 'string' },
            DateTime: { input: 'string', output: 'string' },
            LocalDate: { input: 'string', output: 'string' },
            JSON: { input: 'unknown', output: 'unknown' },
            // importRoster's files: urql sends a multipart request when a variable holds one.
            File: { input: 'File | Blob', output: 'never' },
          },
        },
      },
    },
  };
}

export default sdkCodegenConfig();
