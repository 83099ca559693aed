/**
 * SigV4 checks for the fake Bedrock server, as AWS does them: the `Authorization` header's shape
 * (algorithm, credential scope, signed headers, signature), `x-amz-date`, `x-amz-content-sha256`
 * against the body, the key id, and (when the fake knows the secret) the signature itself,
 * recomputed from the canonical request.
 */
import { createHash, createHmac } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** Why a request was refused, as the AWS error it would get. */
export interface SigV4Failure {
  status: number;
  name: 'IncompleteSignatureException' | 'InvalidSignatureException' | 'UnrecognizedClientException';
  message: string;
}

/** What the fake expects. */
export interface SigV4Expectation {
  accessKeyId: string;
  /** When given, the signature is recomputed and compared. */
  secretAccessKey?: string;
  region: string;
  service: string;
}

const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();

/** RFC 3986 encoding of one path segment, as SigV4 wants it (applied to the already-encoded path). */
function encodeSegment(segment: string): string {
  return encodeURIComponent(segment).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

function canonicalRequest(request: IncomingMessage, signedHeaders: string[], payloadHash: string): string {
  const [path = '/', query = ''] = (request.url ?? '/').split('?');
  const canonicalPath = path.split('/').map(encodeSegment).join('/');
  const canonicalQuery = query
    .split('&')
    .filter(Boolean)
    .map((pair) => pair.split('='))
    .sort(([a = ''], [b = '']) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name = '', value = '']) => `${name}=${value}`)
    .join('&');
  const headers = signedHeaders.map((name) => {
    const value = request.headers[name];
    const text = Array.isArray(value) ? value.join(',') : (value ?? '');
    return `${name}:${text.trim().replace(/\s+/g, ' ')}\n`;
  });
  return [
    request.method,
    canonicalPath,
    canonicalQuery,
    headers.join(''),
    signedHeaders.join(';'),
    payloadHash,
  ].join('\n');
}

/** Checks one request; returns the failure AWS would answer with, or undefined when it passes. */
export function checkSigV4(
  request: IncomingMessage,
  body: Buffer,
  expected: SigV4Expectation,
): SigV4Failure | undefined {
  const incomplete = (message: string): SigV4Failure => ({
    status: 403,
    name: 'IncompleteSignatureException',
    message,
  });
  const authorization = request.headers.authorization;
  const amzDate = request.headers['x-amz-date'];
  if (typeof authorization !== 'string')
    return { status: 403, name: 'UnrecognizedClientException', message: 'Missing Authentication Token' };
  const match = AUTHORIZATION.exec(authorization);
  if (!match)
    return incomplete(
      `Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters.`,
    );
  const [, keyId, date, region, service, signedList, signature] = match as unknown as string[];
  if (typeof amzDate !== 'string' || !/^\d{8}T\d{6}Z$/.test(amzDate) || !amzDate.startsWith(date!)) {
    return incomplete('x-amz-date must be a basic ISO 8601 timestamp on the credential date.');
  }
  const signed = signedList!.split(';');
  if (!signed.includes('host') || !signed.includes('x-amz-date'))
    return incomplete('host and x-amz-date must be signed.');
  const payloadHash = sha256(body);
  const declared = request.headers['x-amz-content-sha256'];
  if (declared !== undefined && declared !== payloadHash) {
    return {
      status: 400,
      name: 'InvalidSignatureException',
      message: 'The provided x-amz-content-sha256 header does not match what was computed.',
    };
  }
  if (keyId !== expected.accessKeyId)
    return {
      status: 403,
      name: 'UnrecognizedClientException',
      message: 'The security token included in the request is invalid.',
    };
  if (region !== expected.region || service !== expected.service) {
    return {
      status: 403,
      name: 'InvalidSignatureException',
      message: `Credential should be scoped to a valid region and service ('${expected.region}', '${expected.service}').`,
    };
  }
  if (expected.secretAccessKey === undefined) return undefined;
  const scope = `${date}/${region}/${service}/aws4_request`;
  const toSign = [
    'AWS4-HMAC-SHA256',
    amzDate,
    scope,
    sha256(canonicalRequest(request, signed, payloadHash)),
  ].join('\n');
  const key = hmac(
    hmac(hmac(hmac(`AWS4${expected.secretAccessKey}`, date!), region!), service!),
    'aws4_request',
  );
  if (createHmac('sha256', key).update(toSign).digest('hex') !== signature) {
    return {
      status: 403,
      name: 'InvalidSignatureException',
      message: 'The request signature we calculated does not match the signature you provided.',
    };
  }
  return undefined;
}
