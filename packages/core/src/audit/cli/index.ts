export * from './verify-audit-log.ts';
