/**
 * Test kits for pixelgate plugins and apps: a mock provider, and the provider, storage and
 * guardrail conformance suites that every plugin runs (vitest is a peer dependency).
 * @packageDocumentation
 */
export * from './guardrail-conformance.ts';
export * from './mock-image-provider.ts';
export { type ContractCheck, createContractChecker } from './openapi-contract.ts';
export * from './provider-conformance.ts';
export * from './provider-test-helpers.ts';
export * from './solid-png.ts';
export * from './storage-conformance.ts';
