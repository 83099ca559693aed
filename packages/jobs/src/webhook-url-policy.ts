import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { GatewayError } from '@pixelgate/core';

/**
 * Where webhooks may go. A gateway that posts to any URL is an SSRF hole, so loopback, private,
 * link-local and other special ranges are refused unless the operator allows them.
 */
export interface WebhookUrlPolicy {
  /** Allow loopback and private ranges (default false: for tests and trusted internal receivers only). */
  allowPrivateNetworks?: boolean;
  /** Host names that are always refused. */
  denyHosts?: string[];
  /** When set, only these host names are accepted. */
  allowHosts?: string[];
  /** Allow plain http (default false outside private networks). */
  allowHttp?: boolean;
}

const SPECIAL = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  SPECIAL.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  SPECIAL.addSubnet(network, prefix, 'ipv6');
}

/**
 * Checks a webhook URL and every address its host resolves to against the policy. Called when
 * the job is submitted and again before each delivery (a name may be re-pointed in between).
 * @throws GatewayError VALIDATION_ERROR naming `webhook_url` and the reason.
 */
export async function checkWebhookUrl(text: string, policy: WebhookUrlPolicy = {}): Promise<URL> {
  const refuse = (why: string) =>
    new GatewayError('VALIDATION_ERROR', `webhook_url ${why}`, { param: 'webhook_url' });
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw refuse('must be an absolute https URL.');
  }
  if (url.username || url.password) throw refuse('must not carry credentials.');
  if (
    url.protocol !== 'https:' &&
    !(url.protocol === 'http:' && (policy.allowHttp || policy.allowPrivateNetworks))
  ) {
    throw refuse('must use https.');
  }
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (policy.denyHosts?.includes(host)) throw refuse(`host ${host} is not allowed.`);
  if (policy.allowHosts && !policy.allowHosts.includes(host)) {
    throw refuse(`host ${host} is not on this server's webhook allow list.`);
  }
  if (policy.allowPrivateNetworks) return url;
  const addresses = isIP(host) ? [{ address: host, family: isIP(host) }] : await resolve(host, refuse);
  for (const { address: raw, family: rawFamily } of addresses) {
    // An IPv4-mapped IPv6 address (::ffff:10.0.0.1) is judged as the IPv4 address it carries.
    const mapped = mappedIpv4(raw);
    const address = mapped ?? raw;
    const family = mapped ? 4 : rawFamily;
    if (SPECIAL.check(address, family === 6 ? 'ipv6' : 'ipv4')) {
      throw refuse(
        `resolves to ${address}, a loopback, private or reserved address this server does not post to.`,
      );
    }
  }
  return url;
}

async function resolve(host: string, refuse: (why: string) => GatewayError) {
  try {
    return await lookup(host, { all: true });
  } catch {
    throw refuse(`host ${host} does not resolve.`);
  }
}

/** The IPv4 address inside an IPv4-mapped IPv6 address, in dotted or (as URL parsing writes it) hex form. */
function mappedIpv4(address: string): string | undefined {
  const dotted = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (dotted) return dotted;
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address);
  if (!hex) return undefined;
  const [high, low] = [Number.parseInt(hex[1]!, 16), Number.parseInt(hex[2]!, 16)];
  return [high >> 8, high & 255, low >> 8, low & 255].join('.');
}
