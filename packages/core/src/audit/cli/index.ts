export * from './chain-verifier.ts';
export * from './evidence-html.ts';
export * from './evidence-manifest.ts';
export * from './evidence-summary.ts';
export * from './export-evidence.ts';
export * from './verify-audit-log.ts';
export * from './verify-evidence-bundle.ts';
