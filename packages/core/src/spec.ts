/**
 * `@pixelgate/core/spec`: the contracts and the zod schemas that define them. Plugin authors
 * implement these interfaces; tools validate data against these schemas. The schemas are the only
 * source of the types.
 * @packageDocumentation
 */
export {
  type AccessModel,
  type AccessPlan,
  type AccessPolicyFunction,
  type AccessPolicyOptions,
  accessPlanSchema,
  accessPolicyOptionsSchema,
} from './access/access-policy.ts';
export { ANONYMOUS_TENANT, type TenantContext, tenantContextSchema } from './access/tenant.ts';
export type {
  AuditChainFields,
  AuditCheckpoint,
  ChainedAuditRecord,
  CheckpointReason,
} from './audit/audit-chain.ts';
export {
  type AuditRecord,
  type AuditRecordInput,
  type AuditSink,
  auditImageSchema,
  auditRecordSchema,
  auditVerdictSchema,
} from './audit/audit-record.ts';
export {
  type BudgetBucket,
  type BudgetRefusal,
  type BudgetReservation,
  type BudgetRule,
  type BudgetRuleInput,
  type BudgetStore,
  budgetRuleSchema,
} from './budget/budget-store.ts';
export {
  type CapabilityPolicy,
  type CapabilityResult,
  validateCapabilities,
} from './capabilities/validate-capabilities.ts';
export type { Clock, IdGenerator } from './container/tokens.ts';
export { BACKEND_REASONS, type BackendReason, ERROR_CODES, type ErrorCode } from './errors/error-codes.ts';
export type { EventBase, GatewayEvents } from './events/gateway-events.ts';
export {
  type GatewayConfig,
  type GatewayConfigInput,
  gatewayConfigSchema,
} from './gateway/gateway-options.ts';
export {
  type Guardrail,
  type GuardrailImage,
  type GuardrailInput,
  type GuardrailVerdict,
  type GuardrailVerdictInput,
  guardrailVerdictSchema,
  type RecordedVerdict,
} from './guardrails/guardrail.ts';
export { type ApiKeyEntry, type Authenticate, apiKeyEntrySchema } from './http/api-key-authenticator.ts';
export type { MediaClaims, MediaSigner, MediaVerifyOptions } from './media/media-signer.ts';
export {
  type EditCapabilities,
  editCapabilitiesSchema,
  type InputImageLimits,
  imagePriceSchema,
  inputImageLimitsSchema,
  type MaskConvention,
  type ModelCapabilities,
  type ModelDescriptor,
  type ModelDescriptorInput,
  type ModelLifecycle,
  type ModelOverride,
  type ModelPricing,
  maskConventionSchema,
  modelCapabilitiesSchema,
  modelDefaultsSchema,
  modelDescriptorSchema,
  modelLifecycleSchema,
  modelOverrideSchema,
  modelPricingSchema,
  qualifiedModelId,
  type SizeRule,
  type StreamCapabilities,
  sizeRuleSchema,
  streamCapabilitiesSchema,
  type VariationCapabilities,
  variationCapabilitiesSchema,
} from './models/model-descriptor.ts';
export type { ImageUsage, PriceEstimate } from './models/pricing.ts';
export type { GeneratedImage, GenerationResult, ImageData } from './pipeline/generation-result.ts';
export type {
  ImageProvenance,
  ImageProvenanceFacts,
  ImageProvenanceStamp,
} from './pipeline/stages/provenance.ts';
export type {
  ImageProvider,
  ProviderCall,
  ProviderCallContext,
  ProviderImage,
  ProviderInputImage,
  ProviderMask,
  ProviderOperation,
  ProviderPartialImage,
  ProviderResult,
} from './provider/image-provider.ts';
export type { Logger } from './provider/logger.ts';
export { type GenerationWarning, generationWarningSchema } from './provider/warning.ts';
export {
  type RateLimitDecision,
  type RateLimitEntry,
  type RateLimitRule,
  type RateLimitRuleInput,
  type RateLimitStore,
  rateLimitRuleSchema,
} from './rate-limit/rate-limit-store.ts';
export {
  type ImageEditRequest,
  type ImageEditRequestInput,
  type ImageVariationRequest,
  type ImageVariationRequestInput,
  imageEditRequestSchema,
  imageVariationRequestSchema,
  MAX_EDIT_IMAGES,
} from './request/image-edit-request.ts';
export {
  type ImageRequest,
  type ImageRequestInput,
  imageRequestSchema,
  type OutputFormat,
  outputFormatSchema,
  type ResponseFormat,
  responseFormatSchema,
} from './request/image-request.ts';
export {
  type InputImageFile,
  type InputImageSource,
  inputImageFileSchema,
  inputImageSourceSchema,
} from './request/input-image-source.ts';
export type { PixelSize } from './shared/image-size.ts';
export type { ImageMediaType, SniffedImage } from './shared/media-type.ts';
export type {
  ByteRange,
  StorageAdapter,
  StorageErrorReason,
  StorageGetOptions,
  StoragePutOptions,
  StoredObject,
  StoredObjectInfo,
} from './storage/storage-adapter.ts';
