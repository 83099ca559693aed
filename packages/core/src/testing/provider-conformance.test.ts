// Core's self-test of the provider conformance kit: a minimal reference plugin speaking a tiny
// JSON API, against a real node:http fake on 127.0.0.1 that can play every scenario.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BackendError } from '../errors/gateway-error.ts';
import type { FetchFunction } from '../provider/http/provider-fetch.ts';
import { decodeBase64, providerFetch, readJsonBody } from '../provider/http/provider-fetch.ts';
import { parseRetryAfter } from '../provider/http/retry-after.ts';
import type { ImageProvider } from '../provider/image-provider.ts';
import { parseSize } from '../shared/image-size.ts';
import { type ConformanceScenario, describeImageProviderConformance } from './provider-conformance.ts';
import { solidPng } from './solid-png.ts';

const KEY = 'ref-secret-key-0123456789';

async function startReferenceServer() {
  const queue: ConformanceScenario[] = [];
  const seen: string[] = [];
  const server: Server = createServer((req, res) => {
    seen.push(req.url ?? '');
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const scenario = queue.shift() ?? 'success';
      const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(JSON.stringify(body));
      };
      if (req.headers.authorization !== `Bearer ${KEY}` || scenario === 'unauthorized') {
        return json(401, { error: `invalid key ${req.headers.authorization ?? ''}` });
      }
      if (scenario === 'rate_limited') return json(429, { error: 'slow down' }, { 'retry-after': '2' });
      if (scenario === 'server_error') return json(503, { error: 'overloaded' });
      if (scenario === 'content_filtered') return json(400, { error: 'blocked', code: 'safety' });
      if (scenario === 'malformed') {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
        // A body cut short: the declared length never arrives, the connection drops.
        return res.write('{"images": [', () => res.destroy());
      }
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { n: number; size: string };
      const size = parseSize(body.size)!;
      const answer = () =>
        json(200, {
          images: Array.from({ length: body.n }, () =>
            Buffer.from(solidPng(size.width, size.height)).toString('base64'),
          ),
        });
      if (scenario === 'slow') {
        const timer = setTimeout(answer, 5000);
        res.on('close', () => clearTimeout(timer));
        return;
      }
      answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    queue,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function referenceProvider(baseURL: string, fetch: FetchFunction, mapErrorsCorrectly = true): ImageProvider {
  return {
    specificationVersion: 'v1',
    id: 'ref',
    models: [
      {
        id: 'ref-1',
        provider: 'ref',
        capabilities: {
          sizes: ['256x256', '512x512'],
          maxImagesPerCall: 2,
          maxImagesPerRequest: 4,
          maxPromptLength: 100,
        },
        defaults: { size: '256x256' },
      },
    ],
    async generate(call, context) {
      const response = await providerFetch(
        `${baseURL}/generate`,
        {
          method: 'POST',
          headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
          body: JSON.stringify({ n: call.n, size: call.size }),
        },
        { provider: 'ref', fetch, signal: context.signal, secrets: [KEY] },
      );
      const body = (await readJsonBody(response, { provider: 'ref', signal: context.signal })) as {
        images?: string[];
        code?: string;
      };
      if (!response.ok) {
        if (!mapErrorsCorrectly)
          throw new BackendError('failed', { reason: 'upstream_unavailable', provider: 'ref' });
        const reason =
          response.status === 401
            ? 'upstream_auth'
            : response.status === 429
              ? 'rate_limited'
              : body.code === 'safety'
                ? 'content_filtered'
                : 'upstream_unavailable';
        const retryAfterMs = parseRetryAfter(response.headers);
        throw new BackendError(`ref answered ${response.status}`, {
          reason,
          provider: 'ref',
          upstreamStatus: response.status,
          ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
        });
      }
      return {
        images: (body.images ?? []).map((b64) => ({
          bytes: decodeBase64(b64, 'ref'),
          mediaType: 'image/png',
        })),
      };
    },
  };
}

describeImageProviderConformance({
  name: 'reference plugin',
  async setup({ fetch }) {
    const server = await startReferenceServer();
    return {
      provider: referenceProvider(server.url, fetch),
      modelId: 'ref-1',
      secrets: [KEY],
      baseURL: server.url,
      scenario: (name) => server.queue.push(name),
      requests: () => server.seen,
      teardown: server.close,
    };
  },
});
