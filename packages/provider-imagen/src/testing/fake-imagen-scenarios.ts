import type { GoogleApi } from '../google-model-data.ts';
import { invalidKey } from './fake-imagen-auth.ts';
import { fail } from './fake-imagen-context.ts';
import type { FakeImagenScenario } from './fake-imagen-types.ts';

/** The error a queued scenario answers with, thrown before the route runs (both families). */
export function scenarioError(scenario: FakeImagenScenario, api: GoogleApi, model: string) {
  const kind = typeof scenario === 'string' ? scenario : scenario.type;
  switch (kind) {
    case 'unauthorized':
      if (api === 'gemini') invalidKey();
      return fail(
        401,
        'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
      );
    case 'permission_denied':
      return fail(
        403,
        "Permission 'aiplatform.endpoints.predict' denied on resource (or it may not exist).",
        [
          {
            '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
            reason: 'IAM_PERMISSION_DENIED',
            domain: 'aiplatform.googleapis.com',
            metadata: { permission: 'aiplatform.endpoints.predict' },
          },
        ],
      );
    case 'rate_limited': {
      const delay =
        typeof scenario === 'object' && scenario.type === 'rate_limited' ? scenario.retryDelay : '2s';
      const details: unknown[] =
        api === 'gemini'
          ? [
              {
                '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
                violations: [
                  {
                    quotaMetric: 'generativelanguage.googleapis.com/generate_requests_per_model',
                    quotaId: 'GenerateRequestsPerMinutePerProjectPerModel',
                  },
                ],
              },
            ]
          : [
              {
                '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
                reason: 'RATE_LIMIT_EXCEEDED',
                domain: 'aiplatform.googleapis.com',
              },
            ];
      if (delay) details.push({ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: delay });
      return fail(
        429,
        `Quota exceeded for aiplatform.googleapis.com/online_prediction_requests_per_base_model with base model: ${model}. Please submit a quota increase request.`,
        details,
      );
    }
    case 'server_error':
      return fail(500, 'Internal error encountered.');
    case 'unavailable':
      return fail(503, 'The model is overloaded. Please try again later.');
    case 'not_found':
      return fail(
        404,
        `models/${model} is not found for API version v1beta, or is not supported for predict.`,
      );
    default:
      return undefined;
  }
}
