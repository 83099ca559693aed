import { HttpFailure } from './fake-stability-context.ts';
import type { FakeStabilityScenario } from './fake-stability-types.ts';

/** The answer of an error scenario, sent before any validation (after the body is read). */
export function earlyFailure(
  scenario: FakeStabilityScenario,
  v1: boolean,
): { failure: HttpFailure; headers?: Record<string, string> } | undefined {
  const type = typeof scenario === 'string' ? scenario : scenario.type;
  switch (type) {
    case 'unauthorized':
      return { failure: new HttpFailure(401, 'unauthorized', 'authorization: missing or invalid API key') };
    case 'moderation':
      return {
        failure: new HttpFailure(
          403,
          v1 ? 'permission_denied' : 'content_moderation',
          'Your request was flagged by our content moderation system, as a result your request was denied and you were not charged.',
        ),
      };
    case 'rate_limited': {
      const seconds =
        typeof scenario === 'object' && scenario.type === 'rate_limited'
          ? scenario.retryAfterSeconds
          : undefined;
      return {
        failure: new HttpFailure(
          429,
          'rate_limit_exceeded',
          'You have exceeded the rate limit of 150 requests within a 10 second period.',
        ),
        ...(seconds === undefined ? {} : { headers: { 'retry-after': String(seconds) } }),
      };
    }
    case 'insufficient_credit':
      return {
        failure: new HttpFailure(
          402,
          'payment_required',
          'You lack sufficient credits to make this request.',
        ),
      };
    case 'not_found':
      return {
        failure: new HttpFailure(404, 'not_found', 'The requested model or engine does not exist.'),
      };
    case 'invalid_language':
      return {
        failure: new HttpFailure(
          422,
          'invalid_language',
          'prompt: English is the only supported language for this service.',
        ),
      };
    case 'server_error':
    case 'service_unavailable': {
      const status =
        typeof scenario === 'object' && scenario.type === 'server_error'
          ? (scenario.status ?? 500)
          : type === 'server_error'
            ? 500
            : 503;
      return {
        failure: new HttpFailure(
          status,
          v1 ? 'server_error' : 'internal_error',
          'An unexpected server error has occurred, please try again later.',
        ),
      };
    }
    default:
      return undefined;
  }
}
