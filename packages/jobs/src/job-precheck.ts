import { type Gateway, GatewayError, type ModelDescriptor, type TenantContext } from '@pixelgate/core';
import { type CapabilityResult, imageRequestSchema, validateCapabilities } from '@pixelgate/core/spec';

/** What a passed pre-check knows: the model and the call as the capability check left it. */
export interface PrecheckPassed {
  model: ModelDescriptor;
  call: CapabilityResult['call'];
}

/**
 * Checks what can be checked before a job is accepted: the body against the request schema, the
 * model exists and this tenant may use it, and every value against the model's capabilities under
 * the gateway's policy. It has no side effects and answers undefined for a request it refuses;
 * such a request is then run through the gateway, which refuses it the same way (at its parse or
 * resolve stage, before any provider call) and writes its one audit record.
 */
export function precheckJob(
  gateway: Gateway,
  tenant: TenantContext,
  body: Record<string, unknown>,
): PrecheckPassed | undefined {
  if (tenant.credentials && Object.keys(tenant.credentials).length > 0) {
    throw new GatewayError(
      'VALIDATION_ERROR',
      'Requests with bring-your-own-key credentials cannot run as jobs: credentials are never written to the queue. Send the request synchronously.',
      { param: 'Prefer' },
    );
  }
  const parsed = imageRequestSchema.safeParse(body);
  if (!parsed.success) return undefined;
  const name = parsed.data.model ?? gateway.config.defaultModel;
  if (!name) return undefined;
  try {
    const { model } = gateway.registry.resolve(name);
    const allowed = gateway
      .listModels(tenant)
      .some((candidate) => candidate.provider === model.provider && candidate.id === model.id);
    if (!allowed) return undefined;
    const { call } = validateCapabilities(parsed.data, model, gateway.config.capabilityPolicy);
    return { model, call };
  } catch {
    return undefined;
  }
}
