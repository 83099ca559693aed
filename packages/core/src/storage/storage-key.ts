import { GatewayError } from '../errors/gateway-error.ts';

const SAFE_KEY = /^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)*$/;

/**
 * Refuses any key that could escape an adapter's root or confuse a store: absolute paths, `..`
 * segments, backslashes, control characters, empty segments, over 512 characters. The gateway only
 * ever generates keys that pass; this guards adapters against callers that do not.
 */
export function assertSafeStorageKey(key: string): void {
  if (key.length === 0 || key.length > 512 || !SAFE_KEY.test(key) || key.split('/').some((part) => part === '..' || part === '.')) {
    throw new GatewayError('STORAGE_ERROR', 'Refused an unsafe storage key.', {
      status: 400,
      retryable: false,
      details: { reason: 'unsafe_key' },
    });
  }
}
