import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

export default defineConfig({
  // The API under test loads graphql's CommonJS build; the tests must use that same copy.
  resolve: { alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }] },
  test: { include: ['test/*.test.ts'], testTimeout: 120_000, hookTimeout: 180_000, fileParallelism: false },
});
