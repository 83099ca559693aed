import { defineConfig } from 'vitest/config';

/** Live tests only: they call the real Stability API and skip themselves unless STABILITY_API_KEY is set. */
export default defineConfig({
  resolve: { conditions: ['@pixelgate/source'] },
  ssr: { resolve: { conditions: ['@pixelgate/source'] } },
  test: { include: ['src/**/*.live.test.ts'], testTimeout: 120_000 },
});
