import { GatewayError } from '@pixelgate/core/provider-utils';

/** The key prefix of a deployment when none is given. */
export const DEFAULT_REDIS_PREFIX = 'pixelgate:';

/**
 * Checks a deployment's key prefix. Braces are refused because Redis Cluster takes the first
 * `{...}` of a key as its hash tag, and the stores place their own tags.
 *
 * @throws GatewayError CONFIGURATION_ERROR naming the accepted characters.
 */
export function checkRedisPrefix(prefix: string): string {
  if (!/^[A-Za-z0-9:_.\-/]{0,100}$/.test(prefix)) {
    throw new GatewayError(
      'CONFIGURATION_ERROR',
      `The Redis key prefix "${prefix}" may only hold letters, digits and : _ . - / (at most 100 characters; no braces, which Redis Cluster reads as hash tags).`,
      { param: 'prefix' },
    );
  }
  return prefix;
}

/**
 * The hash tag of a gateway key: the tenant for the gateway's own budget and rate-limit keys
 * (`budget:tenant:<id>:...`, `rl:tenant:<id>:...`), so every key one request touches lands in one
 * Redis Cluster slot (a Lua script may only touch keys of one slot) while tenants spread over the
 * cluster. Keys of another shape share one deployment-wide tag.
 */
export function hashTagOf(key: string): string {
  const match = /^(?:budget|rl):tenant:([^:{}]+)/.exec(key);
  return match ? `t:${match[1]}` : 'shared';
}

/**
 * The one hash tag of the keys a single operation touches.
 *
 * @throws GatewayError INTERNAL_ERROR when the keys belong to different tenants: they could not be
 *   changed atomically in a cluster.
 */
export function commonHashTag(keys: ReadonlyArray<string>): string {
  const tag = hashTagOf(keys[0] ?? '');
  for (const key of keys) {
    if (hashTagOf(key) !== tag) {
      throw new GatewayError(
        'INTERNAL_ERROR',
        `The keys "${keys[0]}" and "${key}" belong to different tenants and cannot be changed in one atomic step.`,
      );
    }
  }
  return tag;
}

/** Builds the Redis keys of one deployment: `<prefix>{<tag>}:<kind>:<key>`. */
export function redisKey(prefix: string, tag: string, kind: string, key: string): string {
  return `${prefix}{${tag}}:${kind}:${key}`;
}
