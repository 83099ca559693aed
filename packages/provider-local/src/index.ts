export { createLocalProvider, LOCAL_MODELS, type LocalProviderSettings } from './local-provider.ts';
export { renderImage, type RenderImageOptions } from './render-image.ts';
