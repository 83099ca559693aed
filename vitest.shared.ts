import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

/**
 * Test files a package runs at once. `npm test` (scripts/run-tests.mjs) runs packages in
 * parallel, as many as there are cores, and sets `PIXELGATE_TEST_WORKERS` so that packages times
 * workers stays at the core count: on a busy 2-core machine, tests that spawn processes or
 * servers then get CPU instead of queueing behind a dozen others. Alone (`npx vitest run` in a
 * package) a package uses all cores but one.
 */
function maxWorkers(): number {
  const configured = Number(process.env.PIXELGATE_TEST_WORKERS);
  if (Number.isInteger(configured) && configured >= 1) return configured;
  return Math.max(1, availableParallelism() - 1);
}

/**
 * Shared vitest settings: resolve workspace packages to their TypeScript sources (the
 * `@pixelgate/source` export condition), so tests never depend on a prior build; bound the
 * workers (see {@link maxWorkers}); and write a JSON report the root test runner sums up into one
 * closing line. Tests wait on readiness signals (a printed URL, a closed stream, an event), never
 * on the clock; the timeouts below only end a test that hangs, and are generous because a loaded
 * machine can take many seconds to start a child process.
 */
export const sharedConfig = defineConfig({
  resolve: { conditions: ['@pixelgate/source'] },
  ssr: { resolve: { conditions: ['@pixelgate/source'] } },
  test: {
    testTimeout: 90_000,
    hookTimeout: 90_000,
    teardownTimeout: 30_000,
    maxWorkers: maxWorkers(),
    exclude: ['**/node_modules/**', '**/dist/**', '**/*.live.test.ts'],
    reporters: ['default', ['json', { outputFile: '.vitest-report.json' }]],
  },
});
