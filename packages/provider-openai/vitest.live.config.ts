import { defineConfig } from 'vitest/config';
import { sharedConfig } from '../../vitest.shared.ts';

/**
 * Runs only the live tests against the real API (they skip themselves without OPENAI_API_KEY).
 * The shared config excludes `*.live.test.ts`, so the test settings are restated, not merged.
 */
export default defineConfig({
  ...sharedConfig,
  test: {
    ...sharedConfig.test,
    include: ['src/**/*.live.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
  },
});
