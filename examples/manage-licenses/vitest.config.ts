import { defineConfig } from 'vitest/config';
import { sharedTestOptions, singleGraphqlCopy } from '../../vitest.shared.ts';

export default defineConfig({
  resolve: { alias: singleGraphqlCopy(import.meta.url) },
  test: { ...sharedTestOptions, include: ['test/*.test.ts'], testTimeout: 120_000, hookTimeout: 180_000, fileParallelism: false },
});
