export * from './media-delivery.ts';
export * from './media-handler.ts';
export * from './media-signer.ts';
export * from './media-token-signer.ts';
