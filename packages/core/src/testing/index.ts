/**
 * Test kits for pixelgate plugins and apps: a mock provider, and the provider, storage,
 * guardrail, budget-store, rate-limit-store and audit-sink conformance suites that every
 * implementation runs (vitest is a peer dependency).
 * @packageDocumentation
 */
export {
  type AuditSinkConformanceCapabilities,
  type AuditSinkConformanceOptions,
  type AuditSinkVerdict,
  type AuditTamperKind,
  conformanceAuditRecord,
  describeAuditSinkConformance,
} from './audit-sink-conformance.ts';
export {
  type BudgetStoreConformanceOptions,
  type BudgetStoreLeaseOptions,
  describeBudgetStoreConformance,
} from './budget-conformance.ts';
export {
  CONFORMANCE_MODEL,
  CONFORMANCE_TENANT,
  createGuardrailInput,
  describeGuardrailConformance,
  type GuardrailConformanceOptions,
  type GuardrailSample,
} from './guardrail-conformance.ts';
export { maskPng } from './mask-png.ts';
export {
  createMockImageProvider,
  MOCK_EDIT_MODEL,
  MOCK_MODEL,
  type MockImageProviderOptions,
  type MockMethod,
  type MockProviderCall,
} from './mock-image-provider.ts';
export { type ContractCheck, createContractChecker } from './openapi-contract.ts';
export {
  type ConformanceHarness,
  type ConformanceScenario,
  type ConformanceUpstream,
  describeImageProviderConformance,
  type ProviderConformanceOptions,
} from './provider-conformance.ts';
export {
  gatewayErrorOf,
  testCallContext,
} from './provider-test-helpers.ts';
export {
  describeRateLimitStoreConformance,
  type RateLimitStoreConformanceOptions,
} from './rate-limit-conformance.ts';
export { solidPng } from './solid-png.ts';
export {
  describeStorageConformance,
  type StorageConformanceCapabilities,
  type StorageConformanceOptions,
} from './storage-conformance.ts';
