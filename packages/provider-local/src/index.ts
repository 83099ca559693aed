export { LOCAL_MODELS } from './local-catalog.ts';
export { type LocalOptions, localOptionsSchema } from './local-options.ts';
export { createLocalProvider, type LocalProviderSettings } from './local-provider.ts';
export { type RenderImageOptions, renderImage } from './render-image.ts';
