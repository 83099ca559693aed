import { createHash } from 'node:crypto';
import type { AuditRecord } from '../audit/audit-record.ts';
import { promptForAudit } from '../audit/audit-safety.ts';
import type { GatewayConfig } from '../config/gateway-config.ts';
import type { GatewayError } from '../errors/gateway-error.ts';
import { redactPromptForAudit } from '../guardrails/default-guardrails.ts';
import { qualifiedModelId } from '../models/model-descriptor.ts';
import type { GenerationWarning } from '../provider/warning.ts';
import type { GenerationResult } from './generation-result.ts';
import type { RequestOutcome } from './outcome.ts';
import { need, type PipelineRequest, type RequestContext } from './request-context.ts';

/** Request parameters kept in the audit record: everything but the prompt texts and free metadata. */
export function auditParameters(request: PipelineRequest | undefined): Record<string, unknown> {
  if (!request) return {};
  const {
    prompt: _prompt,
    negative_prompt: negativePrompt,
    metadata: _metadata,
    provider_options: providerOptions,
    ...rest
  } = request;
  return {
    ...rest,
    ...(negativePrompt === undefined
      ? {}
      : { negative_prompt_sha256: createHash('sha256').update(negativePrompt).digest('hex') }),
    ...(providerOptions === undefined ? {} : { provider_options: Object.keys(providerOptions) }),
  };
}

/** A warning with exactly the record's fields (a plugin's warning may carry more). */
function recordWarning(warning: GenerationWarning): GenerationWarning {
  return {
    type: warning.type,
    ...(warning.param === undefined ? {} : { param: warning.param }),
    message: warning.message,
    ...(warning.from === undefined ? {} : { from: warning.from }),
    ...(warning.to === undefined ? {} : { to: warning.to }),
  };
}

/**
 * The one audit record of a request, built from its context. The gateway builds it field by field
 * in the record's own shape, so it is not re-validated on the hot path (a test validates records
 * built on every path against `auditRecordSchema`).
 */
export function buildAuditRecord(
  ctx: RequestContext,
  config: GatewayConfig,
  failure: GatewayError | undefined,
  outcome: RequestOutcome,
  now: number,
): AuditRecord {
  const { facts, request, tenant } = ctx;
  const userId = tenant.userId ?? request?.user;
  const { cost } = facts;
  return {
    v: 1,
    requestId: ctx.requestId,
    timestamp: new Date(ctx.startedAt).toISOString(),
    tenantId: tenant.tenantId,
    ...(userId ? { userId } : {}),
    ...(tenant.keyId ? { keyId: tenant.keyId } : {}),
    source: ctx.source,
    operation: ctx.operation,
    ...(facts.requestedModel ? { requestedModel: facts.requestedModel } : {}),
    ...(facts.model ? { model: qualifiedModelId(facts.model), provider: facts.model.provider } : {}),
    attempts: facts.attempts.map((a) => ({ ...a })),
    parameters: auditParameters(request),
    ...(request && ctx.operation !== 'variation'
      ? { prompt: promptForAudit(request.prompt, config.audit.promptRetention, redactPromptForAudit) }
      : {}),
    ...(request?.metadata ? { metadata: { ...request.metadata } } : {}),
    verdicts: facts.verdicts.map(({ guardrail, stage, action, labels, reason }) => ({
      guardrail,
      stage,
      action,
      labels: [...labels],
      ...(reason ? { reason } : {}),
    })),
    labels: [...facts.labels].sort(),
    outcome,
    ...(failure
      ? {
          error: {
            code: failure.code,
            message: failure.message,
            ...(failure.param ? { param: failure.param } : {}),
            ...(typeof failure.details?.reason === 'string' ? { reason: failure.details.reason } : {}),
          },
        }
      : {}),
    warnings: facts.warnings.map(recordWarning),
    images: facts.images.map((image) => ({
      sha256: image.sha256,
      sizeBytes: image.sizeBytes,
      mediaType: image.mediaType,
      ...(image.width ? { width: image.width, height: image.height } : {}),
      ...(image.storageKey ? { storageKey: image.storageKey } : {}),
      ...(image.manifestHash ? { manifestHash: image.manifestHash } : {}),
      ...(image.signerFingerprint ? { signerFingerprint: image.signerFingerprint } : {}),
    })),
    ...(facts.inputImages ? { inputImages: facts.inputImages.map((image) => ({ ...image })) } : {}),
    ...(facts.stream ? { stream: { ...facts.stream } } : {}),
    cost: {
      ...(cost.estimatedUsd === undefined ? {} : { estimatedUsd: cost.estimatedUsd }),
      ...(cost.actualUsd === undefined || failure ? {} : { actualUsd: cost.actualUsd }),
      basis: cost.basis,
    },
    ...(facts.usage ? { usage: { ...facts.usage } } : {}),
    timings: { ...facts.timings, total: now - ctx.startedAt },
    upstreamRequestIds: [...facts.upstreamRequestIds],
  };
}

/** What `generate` returns, read from the context once every stage has run. */
export function buildResult(ctx: RequestContext, now: number): GenerationResult {
  const { facts } = ctx;
  const { result, used } = need(ctx.dispatched, 'dispatched');
  const model = used.resolved.model;
  return {
    created: Math.floor(now / 1000),
    data: need(ctx.data, 'data'),
    requestId: ctx.requestId,
    model: qualifiedModelId(model),
    provider: model.provider,
    images: facts.images,
    warnings: facts.warnings,
    labels: [...facts.labels].sort(),
    verdicts: facts.verdicts,
    ...(result.usage ? { usage: result.usage } : {}),
    cost: {
      ...(facts.cost.estimatedUsd === undefined ? {} : { estimatedUsd: facts.cost.estimatedUsd }),
      ...(facts.cost.actualUsd === undefined ? {} : { actualUsd: facts.cost.actualUsd }),
      basis: facts.cost.basis,
    },
    rateLimit: facts.rateLimit,
    timings: facts.timings,
  };
}
