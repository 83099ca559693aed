export * from './audit-chain.ts';
export * from './audit-record.ts';
export * from './audit-safety.ts';
export * from './canonical-json.ts';
export * from './cli/index.ts';
export * from './file-audit-sink.ts';
export * from './memory-audit-sink.ts';
