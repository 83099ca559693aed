export * from './model-descriptor.ts';
export * from './pricing.ts';
