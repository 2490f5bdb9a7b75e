// Shared by every package's vitest.config.ts.
import { createRequire } from 'node:module';

/**
 * Node loads graphql's CommonJS build for Pothos and yoga, while vitest would hand the tests its
 * ESM build: two copies that reject each other's types. This alias makes the tests use Node's.
 * `packageUrl` is the config's `import.meta.url`, so graphql resolves from that package.
 */
export function singleGraphqlCopy(packageUrl: string) {
  return [{ find: /^graphql$/, replacement: createRequire(packageUrl).resolve('graphql') }];
}

/**
 * Test files share their worker's modules (`isolate: false`): a fresh module graph per file
 * compiled Prisma's and PGlite's WebAssembly and loaded the schema again for every file, which
 * cost about as much CPU as the tests themselves (BENCHMARKS.md, Test suite time). Files keep
 * their state in their own databases and servers, so nothing leaks between them.
 */
export const sharedWorkers = { isolate: false } as const;
