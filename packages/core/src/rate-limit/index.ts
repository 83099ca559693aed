export * from './memory-rate-limit-store.ts';
export * from './rate-limit-helpers.ts';
export * from './rate-limit-store.ts';
