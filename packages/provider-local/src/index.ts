export { createLocalProvider, LOCAL_MODELS, type LocalProviderSettings } from './local-provider.ts';
export { type RenderImageOptions, renderImage } from './render-image.ts';
