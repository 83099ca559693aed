/**
 * @pixelgate/core: contracts, registry, capability validation, the generation pipeline, storage,
 * media URLs, guardrails, the audit log, budgets, rate limits and the HTTP handler.
 * @packageDocumentation
 */
export * from './access/index.ts';
export * from './audit/index.ts';
export * from './budget/index.ts';
export * from './capabilities/validate-capabilities.ts';
export * from './container/tokens.ts';
export * from './errors/index.ts';
export * from './events/gateway-events.ts';
export * from './gateway/create-gateway.ts';
export * from './gateway/gateway-options.ts';
export * from './guardrails/index.ts';
export * from './http/index.ts';
export * from './media/index.ts';
export * from './models/index.ts';
export * from './openapi/index.ts';
export * from './pipeline/dispatch.ts';
export * from './pipeline/generation-result.ts';
export type { GatewayMiddleware, ProviderInvocation, RequestInfo } from './pipeline/middleware.ts';
export * from './pipeline/runner.ts';
export type {
  ImageProvenance,
  ImageProvenanceFacts,
  ImageProvenanceStamp,
} from './pipeline/stages/provenance.ts';
export * from './provider/index.ts';
export * from './rate-limit/index.ts';
export * from './registry/model-registry.ts';
export * from './request/index.ts';
export * from './shared/index.ts';
export * from './storage/index.ts';
