export * from './builtin/index.ts';
export * from './default-guardrails.ts';
export * from './guardrail.ts';
export * from './run-guardrails.ts';
