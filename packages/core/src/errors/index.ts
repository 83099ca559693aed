export * from './error-codes.ts';
export * from './gateway-error.ts';
export * from './render-error.ts';
