import { defineConfig } from 'vitest/config';

/**
 * Shared vitest settings: resolve workspace packages to their TypeScript sources (the
 * `@pixelgate/source` export condition), so tests never depend on a prior build; and write a JSON
 * report the root test runner sums up into one closing line.
 */
export const sharedConfig = defineConfig({
  resolve: { conditions: ['@pixelgate/source'] },
  ssr: { resolve: { conditions: ['@pixelgate/source'] } },
  test: {
    testTimeout: 20_000,
    hookTimeout: 20_000,
    exclude: ['**/node_modules/**', '**/dist/**', '**/*.live.test.ts'],
    reporters: ['default', ['json', { outputFile: '.vitest-report.json' }]],
  },
});
