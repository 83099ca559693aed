export * from './budget-buckets.ts';
export * from './budget-errors.ts';
export * from './budget-store.ts';
export * from './memory-budget-store.ts';
