import { defineConfig } from 'vitest/config';

/** Live tests only: they call the real API and skip themselves unless their credentials are set. */
export default defineConfig({
  resolve: { conditions: ['@pixelgate/source'] },
  ssr: { resolve: { conditions: ['@pixelgate/source'] } },
  test: { include: ['src/**/*.live.test.ts'], testTimeout: 180_000 },
});
