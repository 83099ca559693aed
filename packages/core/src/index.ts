/**
 * @pixelgate/core: what application authors use — the gateway, its HTTP handler, errors and their
 * codes, events, configuration types, and the built-in stores, guardrails and media parts. Plugin
 * and store authors find their contracts in `@pixelgate/core/spec` and their helpers in
 * `./provider-utils`, `./storage-utils` and `./store-utils`; server adapters in `./adapter-utils`;
 * the audit verifier in `./audit`; OpenTelemetry in `./observability`; test kits in `./testing`.
 * @packageDocumentation
 */
export { type AccessPlan, type AccessPolicyOptions, createAccessPolicy } from './access/access-policy.ts';
export { ANONYMOUS_TENANT, type TenantContext } from './access/tenant.ts';
export { generateAuditSigningKey } from './audit/audit-chain.ts';
export type { AuditRecord, AuditSink } from './audit/audit-record.ts';
export {
  createFileAuditSink,
  type FileAuditSink,
  type FileAuditSinkOptions,
} from './audit/file-audit-sink.ts';
export { MemoryAuditSink } from './audit/memory-audit-sink.ts';
export type { BudgetRuleInput, BudgetStore } from './budget/budget-store.ts';
export { createMemoryBudgetStore, type MemoryBudgetStoreOptions } from './budget/memory-budget-store.ts';
export type { CapabilityPolicy } from './capabilities/validate-capabilities.ts';
export { type GatewayConfig, type GatewayConfigInput, gatewayConfigSchema } from './config/gateway-config.ts';
export { TOKENS } from './container/tokens.ts';
export { BACKEND_REASONS, type BackendReason, ERROR_CODES, type ErrorCode } from './errors/error-codes.ts';
export {
  BackendError,
  type BackendErrorOptions,
  GatewayError,
  type GatewayErrorOptions,
  toGatewayError,
  validationError,
} from './errors/gateway-error.ts';
export type { RateLimitDecision } from './errors/rate-limit-decision.ts';
export {
  type NativeErrorEnvelope,
  type OpenAIErrorEnvelope,
  toNativeErrorEnvelope,
  toOpenAIErrorEnvelope,
} from './errors/render-error.ts';
export {
  GATEWAY_EVENT_NAMES,
  type GatewayEventEmitter,
  type GatewayEvents,
} from './events/gateway-events.ts';
export { createGateway, Gateway } from './gateway/create-gateway.ts';
export type { GatewayOptions } from './gateway/gateway-options.ts';
export {
  type BlocklistGuardrailOptions,
  createBlocklistGuardrail,
} from './guardrails/builtin/blocklist-guardrail.ts';
export {
  createImageIntegrityGuardrail,
  type ImageIntegrityGuardrailOptions,
} from './guardrails/builtin/image-integrity-guardrail.ts';
export { createPiiGuardrail, type PiiGuardrailOptions } from './guardrails/builtin/pii-guardrail.ts';
export {
  createPromptLengthGuardrail,
  type PromptLengthGuardrailOptions,
} from './guardrails/builtin/prompt-length-guardrail.ts';
export {
  createProviderSafetyGuardrail,
  type ProviderSafetyGuardrailOptions,
} from './guardrails/builtin/provider-safety-guardrail.ts';
export { createDefaultGuardrails, type DefaultGuardrailsOptions } from './guardrails/default-guardrails.ts';
export type {
  Guardrail,
  GuardrailInput,
  GuardrailVerdict,
  GuardrailVerdictInput,
} from './guardrails/guardrail.ts';
export {
  type ApiKeyAuthenticatorOptions,
  type ApiKeyEntry,
  type Authenticate,
  createApiKeyAuthenticator,
  hashApiKey,
} from './http/api-key-authenticator.ts';
export type { CorsOptions } from './http/cors.ts';
export type { HttpHandlerOptions } from './http/handler-options.ts';
export { createHttpHandler, type FetchHandler, type HttpHandler } from './http/http-handler.ts';
export { createMediaHandler, type MediaHandler, type MediaHandlerOptions } from './media/media-handler.ts';
export {
  createMediaSigner,
  type MediaSignerOptions,
  type MediaSigningKey,
} from './media/media-token-signer.ts';
export type { ModelDescriptor, ModelDescriptorInput, ModelOverride } from './models/model-descriptor.ts';
export {
  buildOpenApiDocument,
  type OpenApiDocument,
  type OpenApiDocumentOptions,
} from './openapi/openapi-document.ts';
export type { RouteDoc } from './openapi/openapi-routes.ts';
export {
  type GeneratedImage,
  type GenerationResult,
  type ImageData,
  toOpenAIImagesResponse,
} from './pipeline/generation-result.ts';
export type {
  CompletedImageEvent,
  ImageStreamEvent,
  PartialImageEvent,
  StreamOperation,
} from './pipeline/image-stream.ts';
export type { GatewayMiddleware, ProviderInvocation, RequestInfo } from './pipeline/middleware.ts';
export type { PreparedModel } from './pipeline/request-context.ts';
export type { GenerateOptions, PreflightOptions } from './pipeline/runner.ts';
export type {
  ImageProvenance,
  ImageProvenanceFacts,
  ImageProvenanceStamp,
} from './pipeline/stages/provenance.ts';
export type { ImageProvider } from './provider/image-provider.ts';
export { createMemoryRateLimitStore } from './rate-limit/memory-rate-limit-store.ts';
export type { RateLimitRuleInput, RateLimitStore } from './rate-limit/rate-limit-store.ts';
export type { ImageEditRequestInput, ImageVariationRequestInput } from './request/image-edit-request.ts';
export type { InputImageFile, InputImageSource } from './request/input-image-source.ts';
export { type Clock, systemClock } from './shared/clock.ts';
export { type IdGenerator, uuidIdGenerator } from './shared/ids.ts';
export { type Logger, type PinoLikeLogger, pinoLogger, silentLogger } from './shared/logger.ts';
export {
  createFilesystemStorage,
  type FilesystemStorageOptions,
} from './storage/filesystem-storage-adapter.ts';
export { createMemoryStorage, type MemoryStorageOptions } from './storage/memory-storage-adapter.ts';
export type { StorageAdapter } from './storage/storage-adapter.ts';
