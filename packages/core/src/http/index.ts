export * from './api-key-authenticator.ts';
export * from './cors.ts';
export * from './http-exchange.ts';
export * from './http-handler.ts';
export * from './request-body.ts';
