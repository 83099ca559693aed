import { type FakeOpenAIContext, HttpFailure, maskKey, openAIError } from './fake-openai-shared.ts';
import type { FakeOpenAIScenario } from './fake-openai-types.ts';

/** Answers an error scenario, or returns the scenario for the success path to apply. */
export function scenarioFailure(
  context: FakeOpenAIContext,
  scenario: FakeOpenAIScenario,
  modelId: string | undefined,
): HttpFailure | undefined {
  switch (scenario.type) {
    case 'content_policy_violation':
      return openAIError(
        400,
        'Your request was rejected as a result of our safety system. Your prompt may contain text that is not allowed by our safety system.',
        null,
        'content_policy_violation',
      );
    case 'moderation_blocked': {
      const categories = scenario.categories ?? ['sexual'];
      return new HttpFailure(400, {
        error: {
          message: `Your request was rejected by the safety system. If you believe this is an error, contact us at help.openai.com and include the request ID. safety_violations=[${categories.join(', ')}].`,
          type: 'image_generation_user_error',
          param: null,
          code: 'moderation_blocked',
          moderation_details: { moderation_stage: scenario.stage ?? 'input', categories },
        },
      });
    }
    case 'rate_limited': {
      const headers: Record<string, string> = {};
      const retryAfter = scenario.retryAfter === undefined ? '2' : scenario.retryAfter;
      if (retryAfter !== null) headers['retry-after'] = retryAfter;
      if (scenario.retryAfterMs !== undefined) headers['retry-after-ms'] = scenario.retryAfterMs;
      if (scenario.resetRequests !== undefined)
        headers['x-ratelimit-reset-requests'] = scenario.resetRequests;
      if (scenario.resetTokens !== undefined) headers['x-ratelimit-reset-tokens'] = scenario.resetTokens;
      if (scenario.remainingRequests !== undefined)
        headers['x-ratelimit-remaining-requests'] = scenario.remainingRequests;
      if (scenario.remainingTokens !== undefined)
        headers['x-ratelimit-remaining-tokens'] = scenario.remainingTokens;
      if (scenario.shouldRetry !== undefined) headers['x-should-retry'] = String(scenario.shouldRetry);
      return new HttpFailure(
        429,
        {
          error: {
            message: `Rate limit exceeded for images per minute in organization org-fake. Limit: 5/1min. Current: 6/1min.`,
            type: 'requests',
            param: null,
            code: 'rate_limit_exceeded',
          },
        },
        headers,
      );
    }
    case 'insufficient_quota':
      return new HttpFailure(429, {
        error: {
          message: 'You exceeded your current quota, please check your plan and billing details.',
          type: 'insufficient_quota',
          param: null,
          code: 'insufficient_quota',
        },
      });
    case 'unauthorized':
      return openAIError(
        401,
        `Incorrect API key provided: ${maskKey(context.apiKey)}. You can find your API key at https://platform.openai.com/account/api-keys.`,
        null,
        'invalid_api_key',
      );
    case 'forbidden':
      return openAIError(
        403,
        `Your organization must be verified to use the model \`${modelId ?? 'gpt-image-1'}\`.`,
        null,
        'organization_must_be_verified',
      );
    case 'model_not_found':
      return openAIError(
        404,
        `The model \`${modelId ?? 'unknown'}\` does not exist or you do not have access to it.`,
        'model',
        'model_not_found',
      );
    case 'server_error': {
      const headers: Record<string, string> = {};
      if (scenario.shouldRetry !== undefined) headers['x-should-retry'] = String(scenario.shouldRetry);
      if (scenario.retryAfter !== undefined) headers['retry-after'] = scenario.retryAfter;
      return new HttpFailure(
        scenario.status ?? 500,
        {
          error: {
            message: 'The server had an error while processing your request. Sorry about that!',
            type: 'server_error',
            param: null,
            code: null,
          },
        },
        headers,
      );
    }
    case 'error':
      return new HttpFailure(scenario.status, scenario.body, scenario.headers);
    case 'garbage':
      return new HttpFailure(200, '<html><body><h1>502 Bad Gateway</h1></body></html>');
    default:
      return undefined;
  }
}
