import type { GoogleApi } from '../google-model-data.ts';
import { type FakeImagenContext, fail } from './fake-imagen-context.ts';

/** The route's refusals: Imagen-on-Gemini-API parameters, and Vertex's seed-with-watermark rule. */
export function checkRouteParameters(
  ctx: FakeImagenContext,
  api: GoogleApi,
  body: Record<string, unknown>,
  parameters: Record<string, unknown>,
): void {
  if (api === 'gemini') {
    const refused = ['negativePrompt', 'seed', 'enhancePrompt', 'storageUri'].filter(
      (name) => parameters[name] !== undefined,
    );
    if (parameters.addWatermark === false) refused.push('addWatermark');
    if (body.labels !== undefined) refused.push('labels');
    if (refused.length > 0 && ctx.behaviour.imagenOnGeminiApi === 'reject') {
      fail(
        400,
        `${refused.join(', ')} ${refused.length === 1 ? 'is' : 'are'} not supported in the Gemini API.`,
      );
    }
  } else if (
    parameters.seed !== undefined &&
    parameters.addWatermark !== false &&
    ctx.behaviour.seedWithWatermark === 'reject'
  ) {
    fail(
      400,
      'Image generation failed with the following error: Seed is not supported when watermark is enabled.',
    );
  }
}
