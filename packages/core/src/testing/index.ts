/**
 * Test kits for pixelgate plugins and apps: a mock provider, and the provider, storage,
 * guardrail, budget-store, rate-limit-store and audit-sink conformance suites that every
 * implementation runs (vitest is a peer dependency).
 * @packageDocumentation
 */
export * from './audit-sink-conformance.ts';
export * from './budget-conformance.ts';
export * from './guardrail-conformance.ts';
export * from './mock-image-provider.ts';
export { type ContractCheck, createContractChecker } from './openapi-contract.ts';
export * from './provider-conformance.ts';
export * from './provider-test-helpers.ts';
export * from './rate-limit-conformance.ts';
export * from './solid-png.ts';
export * from './storage-conformance.ts';
