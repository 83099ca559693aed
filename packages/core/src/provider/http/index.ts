export * from './abort.ts';
export * from './provider-fetch.ts';
export * from './retry-after.ts';
