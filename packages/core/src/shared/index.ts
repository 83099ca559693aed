export * from './image-size.ts';
export * from './media-type.ts';
export * from './redact.ts';
export * from './wait-unless-closed.ts';
