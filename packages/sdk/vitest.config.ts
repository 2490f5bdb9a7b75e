import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';
import { sharedTestOptions, singleGraphqlCopy } from '../../vitest.shared.ts';

export default defineConfig({
  resolve: { alias: singleGraphqlCopy(import.meta.url) },
  test: {
    ...sharedTestOptions,
    include: ['test/**/*.test.ts'],
    // The API's test databases, built once per run and copied by every story (see test/support.ts).
    globalSetup: [createRequire(import.meta.url).resolve('@school-licenses/api/testing/global-setup')],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
