import { type Gateway, GatewayError, type TenantContext } from '@pixelgate/core';
import { imageRequestSchema, validateCapabilities } from '@pixelgate/core/spec';

/**
 * Checks what can be checked before a job is accepted: the body against the request schema, the
 * model exists and this tenant may use it, and every value against the model's capabilities under
 * the gateway's policy. It has no side effects; a request it refuses is then run through the
 * gateway, which refuses it the same way and writes its one audit record.
 */
export function precheckJob(gateway: Gateway, tenant: TenantContext, body: Record<string, unknown>): boolean {
  if (tenant.credentials && Object.keys(tenant.credentials).length > 0) {
    throw new GatewayError(
      'VALIDATION_ERROR',
      'Requests with bring-your-own-key credentials cannot run as jobs: credentials are never written to the queue. Send the request synchronously.',
      { param: 'Prefer' },
    );
  }
  const parsed = imageRequestSchema.safeParse(body);
  if (!parsed.success) return false;
  const name = parsed.data.model ?? gateway.config.defaultModel;
  if (!name) return false;
  try {
    const { model } = gateway.registry.resolve(name);
    const allowed = gateway
      .listModels(tenant)
      .some((candidate) => candidate.provider === model.provider && candidate.id === model.id);
    if (!allowed) return false;
    validateCapabilities(parsed.data, model, gateway.config.capabilityPolicy);
    return true;
  } catch {
    return false;
  }
}
