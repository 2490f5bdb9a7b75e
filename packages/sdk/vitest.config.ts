import { defineConfig } from 'vitest/config';
import { singleGraphqlCopy } from '../../vitest.shared.ts';

export default defineConfig({
  resolve: { alias: singleGraphqlCopy(import.meta.url) },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
