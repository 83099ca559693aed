import { describe, expect, it } from 'vitest';
import { mapOpenAIError, retryAfterFromHeaders, sanitizeUpstreamText } from './openai-error.ts';

const context = {
  provider: 'openai',
  label: 'OpenAI',
  modelId: 'gpt-image-1.5',
  secrets: ['sk-live-secretvalue123456'],
};
const body = (
  code: string | null,
  message = 'something',
  type = 'invalid_request_error',
  param: string | null = null,
) => JSON.stringify({ error: { message, type, param, code } });

describe('retryAfterFromHeaders', () => {
  const now = Date.parse('2026-11-21T12:00:00Z');
  it.each([
    [{ 'retry-after-ms': '250.5', 'retry-after': '9' }, 250.5],
    [{ 'retry-after': '3' }, 3000],
    [{ 'retry-after': 'Sat, 21 Nov 2026 12:00:10 GMT' }, 10_000],
    [{ 'retry-after': 'Sat, 21 Nov 2026 11:00:00 GMT' }, 0],
    [{ 'x-ratelimit-reset-requests': '1s', 'x-ratelimit-reset-tokens': '6m0s' }, 360_000],
    [
      {
        'x-ratelimit-reset-requests': '1s',
        'x-ratelimit-remaining-requests': '0',
        'x-ratelimit-reset-tokens': '6m0s',
      },
      1000,
    ],
    [{ 'x-ratelimit-reset-tokens': '12ms' }, 12],
    [{ 'retry-after': 'soon', 'x-ratelimit-reset-requests': 'later' }, undefined],
    [{}, undefined],
  ])('%j -> %s ms', (headers, expected) => {
    expect(retryAfterFromHeaders(new Headers(headers), now)).toBe(expected);
  });
});

describe('mapOpenAIError', () => {
  it('content filtering wins over the status and is never retryable, also as an Azure inner error', () => {
    const azure = JSON.stringify({
      error: {
        message: 'filtered',
        type: null,
        param: 'prompt',
        code: 'content_filter',
        inner_error: { code: 'ResponsibleAIPolicyViolation' },
      },
    });
    expect(mapOpenAIError(400, new Headers(), azure, context)).toMatchObject({
      reason: 'content_filtered',
      retryable: false,
    });
    const innerOnly = JSON.stringify({
      error: { message: 'x', code: 'BadRequest', inner_error: { code: 'content_policy_violation' } },
    });
    expect(mapOpenAIError(400, new Headers(), innerOnly, context)).toMatchObject({
      reason: 'content_filtered',
    });
  });

  it('402 and insufficient_quota are insufficient_credit; 408 is a retryable timeout; 409 is retryable', () => {
    expect(mapOpenAIError(402, new Headers(), '', context)).toMatchObject({
      reason: 'insufficient_credit',
      retryable: false,
    });
    expect(
      mapOpenAIError(429, new Headers(), body(null, 'quota', 'insufficient_quota'), context),
    ).toMatchObject({
      reason: 'insufficient_credit',
    });
    expect(mapOpenAIError(408, new Headers(), '', context)).toMatchObject({
      reason: 'timeout',
      retryable: true,
    });
    expect(mapOpenAIError(409, new Headers(), '', context)).toMatchObject({
      reason: 'upstream_unavailable',
      retryable: true,
    });
  });

  it('x-should-retry overrides retryability of 5xx', () => {
    expect(mapOpenAIError(500, new Headers({ 'x-should-retry': 'false' }), '', context).retryable).toBe(
      false,
    );
    expect(mapOpenAIError(500, new Headers(), '', context).retryable).toBe(true);
  });

  it('400 model_not_found (the status is UNCONFIRMED upstream) is model_unavailable too', () => {
    const error = mapOpenAIError(
      400,
      new Headers(),
      body('model_not_found', 'The model `dall-e-3` has been deprecated'),
      context,
    );
    expect(error).toMatchObject({ reason: 'model_unavailable' });
    expect(error.message).toContain('model gpt-image-1.5');
  });

  it('keeps the request id from x-request-id or apim-request-id', () => {
    expect(mapOpenAIError(500, new Headers({ 'x-request-id': 'req_1' }), '', context).upstreamRequestId).toBe(
      'req_1',
    );
    expect(
      mapOpenAIError(500, new Headers({ 'apim-request-id': 'abc-1' }), '', context).upstreamRequestId,
    ).toBe('abc-1');
  });

  it('401 never carries upstream text, which echoes masked keys', () => {
    const error = mapOpenAIError(
      401,
      new Headers(),
      body('invalid_api_key', 'Incorrect API key provided: sk-liv***************3456.'),
      context,
    );
    expect(error.message).not.toContain('3456');
    expect(error.message).not.toContain('sk-');
    expect(error.message).toBe(
      "OpenAI refused the configured credentials (401 invalid_api_key). Check the provider's API key setting.",
    );
  });

  it('a non-JSON error body is reported bounded and without base64 or keys', () => {
    const text = `<html>oops sk-live-secretvalue123456 ${'A'.repeat(5000)}</html>`;
    const error = mapOpenAIError(502, new Headers(), text, context);
    expect(error).toMatchObject({ reason: 'upstream_unavailable', upstreamStatus: 502 });
    expect(error.message).not.toContain('secretvalue');
    expect(error.message).not.toContain('A'.repeat(300));
    expect(error.message.length).toBeLessThan(500);
  });
});

describe('sanitizeUpstreamText', () => {
  it('removes configured secrets, key-shaped text and base64 runs', () => {
    const out = sanitizeUpstreamText(
      `key sk-proj-abc123def456 and azure 0123456789abcdef0123456789abcdef and ${'QUJD'.repeat(80)}`,
      [],
    );
    expect(out).not.toContain('abc123def456');
    expect(out).not.toContain('0123456789abcdef0123456789abcdef');
    expect(out).toContain('[base64 omitted');
  });
});
