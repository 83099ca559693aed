export * from './http/index.ts';
export * from './image-provider.ts';
export * from './logger.ts';
export * from './merge-catalog.ts';
export * from './test-image.ts';
export * from './warning.ts';
