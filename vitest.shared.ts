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
 *
 * The one-line log of each refused request (`logRefusal` in the API) is left out of the output:
 * the tests refuse on purpose about 900 times a run, which buried everything else in it. Tests
 * that assert on those lines give the API a logger of their own, which this does not touch.
 *
 * A deprecation fails the run (Node throws it as an uncaught error, which vitest reports with the
 * test that was running), in the test's process and in every process it starts (servers,
 * commands): what a dependency deprecates now, its next major removes, such as pg 9 refusing a
 * second query on a connection that is still busy with one.
 */
export const sharedTestOptions = {
  isolate: false,
  execArgv: ['--throw-deprecation'],
  env: { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --throw-deprecation`.trim() },
  onConsoleLog: (log: string) => (/^\[request [0-9a-f-]+\] refused /.test(log) ? false : undefined),
};
