import { defineConfig } from 'vitest/config';
import { sharedTestOptions, singleGraphqlCopy } from '../../vitest.shared.ts';

export default defineConfig({
  resolve: { alias: singleGraphqlCopy(import.meta.url) },
  test: {
    ...sharedTestOptions,
    include: ['src/**/*.test.ts'],
    // The databases every test file copies, built once per run (see src/testing/harness.ts).
    globalSetup: ['src/testing/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
