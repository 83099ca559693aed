import type { AuditRecord } from '../audit/audit-record.ts';
import type { GatewayError } from '../errors/gateway-error.ts';
import type { GenerationWarning } from '../provider/warning.ts';

/** A request's outcome, as the audit record and the `request-end` event report it. */
export type RequestOutcome = AuditRecord['outcome'];

/**
 * The outcome of a request, computed once: `blocked` for a guardrail block or a provider safety
 * refusal, `rejected` for the caller's own mistakes (4xx), `failed` for everything else that went
 * wrong (backend, aborts, 5xx); on success, `partial` when some images are missing.
 */
export function requestOutcome(
  failure: GatewayError | undefined,
  warnings: ReadonlyArray<GenerationWarning>,
): RequestOutcome {
  if (!failure) return warnings.some((w) => w.type === 'partial') ? 'partial' : 'success';
  if (failure.code === 'CONTENT_BLOCKED') return 'blocked';
  if (failure.code === 'BACKEND_ERROR' && failure.details?.reason === 'content_filtered') return 'blocked';
  return failure.status < 500 && failure.code !== 'BACKEND_ERROR' && failure.code !== 'ABORTED'
    ? 'rejected'
    : 'failed';
}
