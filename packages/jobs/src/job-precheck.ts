import { type Gateway, GatewayError, type ModelDescriptor, type TenantContext } from '@pixelgate/core';
import type { CapabilityResult } from '@pixelgate/core/spec';

/** What a passed pre-check knows: the model and the call as the capability check left it. */
export interface PrecheckPassed {
  model: ModelDescriptor;
  call: CapabilityResult['call'];
}

/**
 * Checks everything that can be checked before a job is accepted, with the gateway's own
 * `preflight`: the body against the request schema, the model exists and this tenant may use it,
 * every value against the model's capabilities under the gateway's policy, and the input
 * guardrails. A refusal is thrown as the gateway's error and has been audited as the request's one
 * record, so the 202 is never sent for a request the run would refuse up front.
 */
export async function precheckJob(
  gateway: Gateway,
  tenant: TenantContext,
  body: Record<string, unknown>,
  source: string,
): Promise<PrecheckPassed> {
  if (tenant.credentials && Object.keys(tenant.credentials).length > 0) {
    const refusal = new GatewayError(
      'VALIDATION_ERROR',
      'Requests with bring-your-own-key credentials cannot run as jobs: credentials are never written to the queue. Send the request synchronously.',
      { param: 'Prefer' },
    );
    await gateway.generate(body, { tenant, source, refusedWith: refusal }).catch(() => undefined);
    throw refusal;
  }
  const prepared = await gateway.preflight('generate', body, { tenant, source });
  return { model: prepared.resolved.model, call: prepared.call };
}
