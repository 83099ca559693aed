export * from './memory-storage-adapter.ts';
export * from './storage-adapter.ts';
export * from './storage-key.ts';
