import { defineConfig } from 'vitest/config';

/**
 * Live tests only: they call Google's real APIs and skip themselves unless GEMINI_API_KEY (Gemini
 * API) or GOOGLE_CLOUD_PROJECT with application default credentials (Vertex AI) is set.
 */
export default defineConfig({
  resolve: { conditions: ['@pixelgate/source'] },
  ssr: { resolve: { conditions: ['@pixelgate/source'] } },
  test: { include: ['src/**/*.live.test.ts'], testTimeout: 180_000 },
});
