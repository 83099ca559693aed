export * from './filesystem-storage-adapter.ts';
export * from './memory-storage-adapter.ts';
export * from './storage-adapter.ts';
export * from './storage-key.ts';
export * from './storage-support.ts';
