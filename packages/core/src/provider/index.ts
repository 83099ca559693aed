export * from './http/index.ts';
export * from './image-provider.ts';
export * from './logger.ts';
export * from './warning.ts';
