import { defineConfig } from 'vitest/config';
import { sharedTestOptions, singleGraphqlCopy } from '../../vitest.shared.ts';

export default defineConfig({
  resolve: { alias: singleGraphqlCopy(import.meta.url) },
  test: {
    ...sharedTestOptions,
    include: ['src/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
