export * from './access-policy.ts';
export * from './tenant.ts';
