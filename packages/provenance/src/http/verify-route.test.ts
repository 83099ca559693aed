import { GatewayError } from '@pixelgate/core/provider-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeImage } from '../../test/images.ts';
import {
  createDevelopmentCredentials,
  type DevelopmentCredentials,
} from '../credentials/development-credentials.ts';
import { createProvenanceStamper } from '../stamper.ts';
import { PROVENANCE_VERIFY_PATH, withProvenanceVerifyRoute } from './verify-route.ts';

let dev: DevelopmentCredentials;
let signed: Uint8Array;
const fallthrough = async () => new Response('next', { status: 299 });

beforeAll(async () => {
  dev = await createDevelopmentCredentials();
  const stamper = await createProvenanceStamper({
    signer: { certificateChainPem: dev.certificateChainPem, privateKeyPem: dev.privateKeyPem },
  });
  signed = (
    await stamper.stamp(await makeImage('png', 32), {
      requestId: 'req-http',
      tenantId: 't',
      provider: 'local',
      model: 'local/x',
    })
  ).bytes;
});

function post(body: Uint8Array | string, type = 'image/png', headers: Record<string, string> = {}): Request {
  return new Request(`http://127.0.0.1${PROVENANCE_VERIFY_PATH}`, {
    method: 'POST',
    body: typeof body === 'string' ? body : new Uint8Array(body),
    headers: { 'content-type': type, ...headers },
  });
}

describe('POST /v1/provenance/verify', () => {
  it('answers Trusted with the manifest when the server trusts the root', async () => {
    const handler = withProvenanceVerifyRoute(fallthrough, { trustAnchors: dev.rootCertificatePem });
    const response = await handler(post(signed));
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      state: string;
      manifest: { generation: { requestId: string }; actions: Array<{ action: string }> };
    };
    expect(body.state).toBe('Trusted');
    expect(body.manifest.generation.requestId).toBe('req-http');
    expect(body.manifest.actions[0]?.action).toBe('c2pa.created');
  });

  it('answers Valid without configured anchors, and Invalid for a tampered image', async () => {
    const handler = withProvenanceVerifyRoute(fallthrough);
    expect(((await (await handler(post(signed))).json()) as { state: string }).state).toBe('Valid');
    const tampered = new Uint8Array(signed);
    const at = Buffer.from(tampered).indexOf('IDAT') + 30;
    tampered[at] = tampered[at]! ^ 0xff;
    expect(((await (await handler(post(tampered))).json()) as { state: string }).state).toBe('Invalid');
  });

  it('passes other paths to the next handler', async () => {
    const handler = withProvenanceVerifyRoute(fallthrough);
    expect((await handler(new Request('http://127.0.0.1/v1/models'))).status).toBe(299);
  });

  it('refuses a wrong content type (415), a wrong method (405), a non-image and an oversize body', async () => {
    const handler = withProvenanceVerifyRoute(fallthrough, { maxImageBytes: 1024 });
    const wrongType = await handler(post('{}', 'application/json'));
    expect(wrongType.status).toBe(415);
    expect(await wrongType.json()).toMatchObject({
      error: { code: 'VALIDATION_ERROR', param: 'content-type' },
    });
    const get = await handler(new Request(`http://127.0.0.1${PROVENANCE_VERIFY_PATH}`));
    expect(get.status).toBe(405);
    const text = await handler(post('hello', 'application/octet-stream'));
    expect(text.status).toBe(400);
    expect(await text.json()).toMatchObject({ error: { code: 'VALIDATION_ERROR', param: 'image' } });
    const big = await handler(post(new Uint8Array(4096)));
    expect(big.status).toBe(413);
    expect(await big.json()).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE' } });
  });

  it('runs the authorize hook before reading the body', async () => {
    const handler = withProvenanceVerifyRoute(fallthrough, {
      authorize: async (request) => {
        if (request.headers.get('authorization') !== 'Bearer ok') {
          throw new GatewayError('AUTHENTICATION_ERROR', 'A valid API key is required.');
        }
      },
    });
    expect((await handler(post(signed))).status).toBe(401);
    expect((await handler(post(signed, 'image/png', { authorization: 'Bearer ok' }))).status).toBe(200);
  });
});
