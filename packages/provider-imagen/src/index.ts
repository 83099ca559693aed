/**
 * @pixelgate/provider-imagen: Google's image models (Imagen through `:predict`, Gemini image
 * models through `generateContent`) on Vertex AI and on the Gemini API.
 * @packageDocumentation
 */
export { CLOUD_PLATFORM_SCOPE, type ServiceAccountKey } from './google-auth.ts';
export {
  type GoogleApi,
  type GoogleModelData,
  googleApiSchema,
  googleModelDataSchema,
} from './google-model-data.ts';
export { GEMINI_API_IMAGE_MODELS, googleImageModels, VERTEX_IMAGE_MODELS } from './imagen-catalog.ts';
export { type GoogleImageOptions, googleImageOptionsSchema } from './imagen-options.ts';
export { createGoogleImageProvider, type GoogleImageProviderSettings } from './imagen-provider.ts';
