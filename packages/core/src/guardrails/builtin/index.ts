export * from './blocklist-guardrail.ts';
export * from './image-integrity-guardrail.ts';
export * from './pii-detectors.ts';
export * from './pii-guardrail.ts';
export * from './prompt-length-guardrail.ts';
export * from './provider-safety-guardrail.ts';
export { foldText, skeletonOf, skeletonTokens } from './text-normalize.ts';
