import { describe, expect, it } from 'vitest';
import { mapStabilityError } from './stability-error.ts';

const SECRET = 'sk-live-secret-key-000111';

function map(status: number, body: unknown, headers: Record<string, string> = {}, optionKeys: string[] = []) {
  return mapStabilityError({
    provider: 'stability',
    status,
    headers: new Headers(headers),
    bodyText: typeof body === 'string' ? body : JSON.stringify(body),
    secrets: [SECRET],
    optionKeys,
    now: Date.parse('2026-11-21T00:00:00Z'),
  });
}

describe('mapStabilityError', () => {
  it('never repeats the key or base64 image data an upstream body echoes', () => {
    const error = map(400, {
      id: 'abc',
      name: 'bad_request',
      errors: [`authorization: key ${SECRET} is malformed`, `image: ${'A'.repeat(600)}`],
    });
    expect(error.message).not.toContain(SECRET);
    expect(error.message).toContain('[REDACTED]');
    expect(error.message).not.toContain('A'.repeat(200));
    expect(JSON.stringify(error.toJSON())).not.toContain(SECRET);
  });

  it('reads the v1 {message} shape and the v2beta {errors[]} shape, naming the field', () => {
    expect(
      map(400, { id: 'x', name: 'bad_request', message: 'text_prompts[0].text: too long' }),
    ).toMatchObject({
      param: 'prompt',
      upstreamCode: 'bad_request',
      upstreamRequestId: 'x',
    });
    expect(
      map(400, { id: 'x', name: 'bad_request', errors: ['output_format: must be one of jpeg, png, webp'] })
        .param,
    ).toBe('output_format');
    expect(map(400, { id: 'x', name: 'invalid_samples', message: 'no' }).param).toBe('n');
    expect(map(400, { id: 'x', name: 'bad_request', errors: ['cfg_scale: too big'] }).param).toBe(
      'provider_options.stability.cfg_scale',
    );
  });

  it('blames the provider option when the caller set the field there', () => {
    const body = { id: 'x', name: 'bad_request', errors: ['style_preset: unknown'] };
    expect(map(400, body).param).toBe('style');
    expect(map(400, body, {}, ['style_preset']).param).toBe('provider_options.stability.style_preset');
  });

  it('handles bodies that are not JSON (a proxy page) without quoting secrets', () => {
    const error = map(502, `<html>Bad gateway for ${SECRET}</html>`);
    expect(error).toMatchObject({ reason: 'upstream_unavailable', retryable: true, upstreamStatus: 502 });
    expect(error.message).not.toContain(SECRET);
    expect(map(400, '').message).toMatch(/rejected the request \(400\)\.$/);
  });

  it('tells 403 moderation from 403 permission problems', () => {
    expect(map(403, { id: 'x', name: 'content_moderation', errors: ['flagged'] })).toMatchObject({
      reason: 'content_filtered',
      retryable: false,
    });
    expect(map(403, { id: 'x', name: 'permission_denied', message: 'not allowed' })).toMatchObject({
      reason: 'upstream_auth',
      retryable: false,
    });
  });

  it('reads retry-after as seconds or a date, and invents no hint without one (issue 20.6)', () => {
    const unhinted = map(429, {});
    expect(unhinted).toMatchObject({ reason: 'rate_limited', retryable: true });
    expect(unhinted.retryAfterMs).toBeUndefined();
    expect(unhinted.message).not.toMatch(/Retry after/);
    expect(map(429, {}, { 'retry-after': '12' }).retryAfterMs).toBe(12_000);
    expect(map(429, {}, { 'retry-after': 'Sat, 21 Nov 2026 00:00:30 GMT' }).retryAfterMs).toBe(30_000);
  });

  it('falls back to x-request-id when the body has no id', () => {
    expect(map(500, 'oops', { 'x-request-id': 'req-9' }).upstreamRequestId).toBe('req-9');
  });

  it('maps other 4xx statuses to upstream_rejected', () => {
    expect(map(409, { name: 'conflict', errors: ['x'] })).toMatchObject({
      reason: 'upstream_rejected',
      retryable: false,
    });
    expect(map(413, '')).toMatchObject({ reason: 'upstream_rejected', upstreamStatus: 413 });
  });
});
