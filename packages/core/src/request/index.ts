export * from './image-request.ts';
export * from './zod-error.ts';
