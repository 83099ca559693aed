import {
  type Gateway,
  type GatewayError,
  GatewayError as GatewayErrorClass,
  type ModelDescriptor,
  type TenantContext,
} from '@pixelgate/core';
import type { CapabilityResult } from '@pixelgate/core/spec';
import type { JobOperation } from './job-schemas.ts';

/** What a passed pre-check knows: the model and the call as the capability check left it. */
export interface PrecheckPassed {
  model: ModelDescriptor;
  call: CapabilityResult['call'];
  operation: JobOperation;
}

/**
 * Checks everything that can be checked before a job is accepted, with the gateway's own
 * `preflight` for the job's operation: the body against the request schema (for an edit, the
 * input images and mask too), the model exists and this tenant may use it, every value against
 * the model's capabilities under the gateway's policy, and the input guardrails. A refusal is
 * thrown as the gateway's error and has been audited as the request's one record, so the 202 is
 * never sent for a request the run would refuse up front.
 */
export async function precheckJob(
  gateway: Gateway,
  tenant: TenantContext,
  body: Record<string, unknown>,
  source: string,
  operation: JobOperation = 'generate',
): Promise<PrecheckPassed> {
  if (tenant.credentials && Object.keys(tenant.credentials).length > 0) {
    const refusal = new GatewayErrorClass(
      'VALIDATION_ERROR',
      'Requests with bring-your-own-key credentials cannot run as jobs: credentials are never written to the queue. Send the request synchronously.',
      { param: 'Prefer' },
    );
    await auditJobRefusal(gateway, tenant, body, source, operation, refusal);
    throw refusal;
  }
  // The preflight audits every refusal it throws.
  const prepared = await gateway.preflight(operation, body, { tenant, source }).catch((thrown: unknown) => {
    markAudited(thrown);
    throw thrown;
  });
  return { model: prepared.resolved.model, call: prepared.call, operation };
}

/**
 * Writes the one audit record of a job refused before its 202 by something the preflight does not
 * check (credentials, the budget, an oversized body), through the gateway so the record has the
 * same shape as every other refusal. Never throws: the caller answers with `refusal`.
 */
/** Refusals whose audit record is written (by the gateway's preflight or by {@link auditJobRefusal}). */
const audited = new WeakSet<object>();

/** Notes that `error` already has its audit record, so the HTTP layer does not write a second. */
export function markAudited(error: unknown): void {
  if (typeof error === 'object' && error !== null) audited.add(error);
}

/** Whether `error` already has its audit record. */
export function isAudited(error: unknown): boolean {
  return typeof error === 'object' && error !== null && audited.has(error);
}

export async function auditJobRefusal(
  gateway: Gateway,
  tenant: TenantContext,
  body: Record<string, unknown>,
  source: string,
  operation: JobOperation,
  refusal: GatewayError,
): Promise<void> {
  const run = operation === 'edit' ? gateway.edit.bind(gateway) : gateway.generate.bind(gateway);
  await run(body, { tenant, source, refusedWith: refusal }).catch(() => undefined);
  markAudited(refusal);
}
