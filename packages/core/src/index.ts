/**
 * @pixelgate/core: contracts, registry, capability validation, the generation pipeline, storage,
 * media URLs and the HTTP handler.
 * @packageDocumentation
 */
export * from './access/tenant.ts';
export * from './audit/audit-record.ts';
export * from './audit/memory-audit-sink.ts';
export * from './budget/budget-store.ts';
export * from './container/tokens.ts';
export * from './errors/index.ts';
export * from './events/gateway-events.ts';
export * from './guardrails/guardrail.ts';
export * from './media/media-signer.ts';
export * from './models/index.ts';
export * from './provider/index.ts';
export * from './rate-limit/rate-limit-store.ts';
export * from './request/index.ts';
export * from './shared/index.ts';
export * from './storage/index.ts';
