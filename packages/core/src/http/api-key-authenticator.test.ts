import { describe, expect, it } from 'vitest';
import { GatewayError } from '../errors/gateway-error.ts';
import { createApiKeyAuthenticator, hashApiKey, presentedApiKey } from './api-key-authenticator.ts';

const KEY = 'pg-unit-test-key-0123456789';

function request(headers: Record<string, string>): Request {
  return new Request('http://gateway.test/v1/models', { headers });
}

function configurationError(run: () => unknown): GatewayError {
  try {
    run();
  } catch (error) {
    if (GatewayError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a configuration error');
}

describe('createApiKeyAuthenticator', () => {
  it('maps a hashed key to its tenant context with the key id, never the secret', async () => {
    const authenticate = createApiKeyAuthenticator({
      keys: [
        {
          id: 'k1',
          hash: hashApiKey(KEY),
          tenantId: 'acme',
          userId: 'u1',
          plan: 'pro',
          allowedModels: ['openai/*'],
        },
      ],
    });
    const tenant = await authenticate(request({ authorization: `Bearer ${KEY}` }));
    expect(tenant).toEqual({
      tenantId: 'acme',
      userId: 'u1',
      plan: 'pro',
      allowedModels: ['openai/*'],
      keyId: 'k1',
    });
    expect(JSON.stringify(tenant)).not.toContain(KEY);
    expect(JSON.stringify(tenant)).not.toContain(hashApiKey(KEY));
  });

  it('accepts a clear key (hashed at startup), upper-case hashes, x-api-key and any Bearer casing', async () => {
    const authenticate = createApiKeyAuthenticator({
      keys: [
        { id: 'clear', key: KEY, tenantId: 'a' },
        { id: 'upper', hash: hashApiKey(`${KEY}-2`).toUpperCase(), tenantId: 'b' },
      ],
    });
    expect((await authenticate(request({ 'x-api-key': KEY })))?.tenantId).toBe('a');
    expect((await authenticate(request({ authorization: `bearer   ${KEY}-2 ` })))?.tenantId).toBe('b');
  });

  it('returns null for missing, wrong, near-miss and oversize keys', async () => {
    const authenticate = createApiKeyAuthenticator({ keys: [{ id: 'k', key: KEY, tenantId: 'a' }] });
    expect(await authenticate(request({}))).toBeNull();
    expect(await authenticate(request({ authorization: `Bearer ${KEY}x` }))).toBeNull();
    expect(await authenticate(request({ authorization: `Bearer ${KEY.slice(0, -1)}` }))).toBeNull();
    expect(await authenticate(request({ authorization: `Basic ${KEY}` }))).toBeNull();
    expect(await authenticate(request({ authorization: KEY }))).toBeNull();
    expect(await authenticate(request({ 'x-api-key': 'A'.repeat(10_000) }))).toBeNull();
  });

  it('prefers Authorization over x-api-key', () => {
    expect(presentedApiKey(request({ authorization: 'Bearer first-key', 'x-api-key': 'second-key' }))).toBe(
      'first-key',
    );
    expect(presentedApiKey(request({ authorization: 'Token abc', 'x-api-key': 'second-key' }))).toBe(
      'second-key',
    );
  });

  it('refuses invalid key lists at startup, naming the entry', () => {
    expect(configurationError(() => createApiKeyAuthenticator({ keys: [] })).code).toBe(
      'CONFIGURATION_ERROR',
    );
    const both = configurationError(() =>
      createApiKeyAuthenticator({ keys: [{ id: 'k', key: KEY, hash: hashApiKey(KEY), tenantId: 'a' }] }),
    );
    expect(both.param).toBe('keys.0.hash');
    const neither = configurationError(() =>
      createApiKeyAuthenticator({ keys: [{ id: 'k', tenantId: 'a' }] }),
    );
    expect(neither.message).toContain('exactly one of hash');
    expect(
      configurationError(() =>
        createApiKeyAuthenticator({ keys: [{ id: 'k', key: 'short', tenantId: 'a' }] }),
      ).param,
    ).toBe('keys.0.key');
    expect(
      configurationError(() => createApiKeyAuthenticator({ keys: [{ id: 'k', hash: 'abc', tenantId: 'a' }] }))
        .param,
    ).toBe('keys.0.hash');
    const duplicateId = configurationError(() =>
      createApiKeyAuthenticator({
        keys: [
          { id: 'k', key: KEY, tenantId: 'a' },
          { id: 'k', key: `${KEY}-2`, tenantId: 'b' },
        ],
      }),
    );
    expect(duplicateId.param).toBe('keys.1.id');
    const duplicateSecret = configurationError(() =>
      createApiKeyAuthenticator({
        keys: [
          { id: 'a', key: KEY, tenantId: 'a' },
          { id: 'b', hash: hashApiKey(KEY), tenantId: 'b' },
        ],
      }),
    );
    expect(duplicateSecret.param).toBe('keys.1');
    expect(duplicateSecret.message).not.toContain(KEY);
  });

  it('answers many concurrent lookups for different tenants correctly', async () => {
    const keys = Array.from({ length: 50 }, (_, index) => ({
      id: `k${index}`,
      key: `${KEY}-${index}`,
      tenantId: `t${index}`,
    }));
    const authenticate = createApiKeyAuthenticator({ keys });
    const results = await Promise.all(
      keys.map((entry) => authenticate(request({ authorization: `Bearer ${entry.key}` }))),
    );
    expect(results.map((tenant) => tenant?.tenantId)).toEqual(keys.map((entry) => entry.tenantId));
  });
});
