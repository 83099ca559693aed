import { describeImageProviderConformance } from '@pixelgate/core/testing';
import { googleImageModels } from './imagen-catalog.ts';
import { createGoogleImageProvider } from './imagen-provider.ts';
import { type FakeImagenScenario, startFakeImagenServer } from './testing/index.ts';

/**
 * The core kit against the fake, once per route and family. Imagen's catalog entries carry
 * Google's 2026-08-17 shutdown date, so the Imagen runs re-declare the model as active through
 * `models`, exactly as a user whose project still has access would.
 */
const activeImagen = (api: 'vertex' | 'gemini') =>
  googleImageModels(api)
    .filter((entry) => ['imagen-4.0-generate-001', 'imagen-3.0-capability-001'].includes(entry.id))
    .map((model) => ({ ...model, lifecycle: { status: 'active' as const } }));

/**
 * The model the kit's edit checks use: a Gemini model edits with several reference images and no
 * mask (its own runs use it by default); the Imagen runs edit with Vertex's Imagen editor (one
 * image, optional luminance mask) or, on the Gemini API, which has no Imagen editor, a Gemini model.
 */
const editModels = (api: 'vertex' | 'gemini', modelId: string): { editModelId?: string } =>
  modelId.startsWith('gemini')
    ? {}
    : { editModelId: api === 'vertex' ? 'imagen-3.0-capability-001' : 'gemini-3-pro-image' };

for (const api of ['gemini', 'vertex'] as const) {
  for (const modelId of ['imagen-4.0-generate-001', 'gemini-3-pro-image']) {
    describeImageProviderConformance({
      name: `google ${api} ${modelId}`,
      async setup({ fetch }) {
        const server = await startFakeImagenServer({ slowMs: 5000 });
        const key = server.createServiceAccountKey();
        const provider =
          api === 'gemini'
            ? createGoogleImageProvider({
                api,
                apiKey: server.apiKey,
                baseURL: server.url,
                fetch,
                models: activeImagen(api),
              })
            : createGoogleImageProvider({
                api,
                credentials: key,
                baseURL: server.url,
                fetch,
                models: activeImagen(api),
              });
        return {
          provider,
          modelId,
          ...editModels(api, modelId),
          secrets: api === 'gemini' ? [server.apiKey] : [key.private_key, key.private_key_id ?? ''],
          baseURL: server.url,
          scenario(name) {
            // On Vertex the plugin answers a 401 by fetching a fresh token and retrying once, so
            // "the credentials are refused" means refused twice.
            if (name === 'unauthorized' && api === 'vertex') server.enqueue('unauthorized');
            server.enqueue(name as FakeImagenScenario);
          },
          requests: () =>
            server.requests.filter((request) => request.api !== 'token').map((request) => request.url),
          teardown: () => server.close(),
        };
      },
    });
  }
}
