// Core's self-test of the kit's edit, variation and stream checks: a reference plugin that edits
// (JSON with base64 images and a luminance mask), makes variations and streams partial images as
// NDJSON lines, against a real node:http fake on 127.0.0.1 that validates what it receives.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BackendError } from '../errors/gateway-error.ts';
import type { FetchFunction } from '../provider/http/provider-fetch.ts';
import { decodeBase64, providerFetch, readJsonBody } from '../provider/http/provider-fetch.ts';
import type {
  ImageProvider,
  ProviderCall,
  ProviderCallContext,
  ProviderResult,
} from '../provider/image-provider.ts';
import { abortErrorFrom } from '../shared/abort.ts';
import { parseSize } from '../shared/image-size.ts';
import { sniffImage } from '../shared/media-type.ts';
import { describeImageProviderConformance } from './provider-conformance.ts';
import { solidPng } from './solid-png.ts';

const KEY = 'ops-secret-key-0123456789';

interface OpsBody {
  n: number;
  size: string;
  images?: string[];
  mask?: string;
  partial_images?: number;
}

/** 400 when an input image is not a PNG or the mask is not the first image's size, like a real API. */
function inputProblem(body: OpsBody): string | undefined {
  const images = (body.images ?? []).map((b64) => sniffImage(Buffer.from(b64, 'base64')));
  if (images.some((image) => image?.mediaType !== 'image/png')) return 'image must be a PNG';
  if (body.mask) {
    const mask = sniffImage(Buffer.from(body.mask, 'base64'));
    if (mask?.width !== images[0]?.width || mask?.height !== images[0]?.height) return 'mask size mismatch';
  }
  return undefined;
}

async function startOperationsServer() {
  const seen: string[] = [];
  const server: Server = createServer((req, res) => {
    seen.push(req.url ?? '');
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.headers.authorization !== `Bearer ${KEY}`) {
        res.writeHead(401, { 'content-type': 'application/json' });
        return res.end('{"error":"bad key"}');
      }
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as OpsBody;
      const problem = inputProblem(body);
      if (problem) {
        res.writeHead(400, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ error: problem }));
      }
      const size = parseSize(body.size)!;
      const final = Array.from({ length: body.n }, () =>
        Buffer.from(solidPng(size.width, size.height)).toString('base64'),
      );
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      const lines: string[] = [];
      for (let image = 0; image < body.n; image++)
        for (let index = 0; index < (body.partial_images ?? 0); index++)
          lines.push(
            JSON.stringify({ partial: Buffer.from(solidPng(8, 8)).toString('base64'), image, index }),
          );
      lines.push(JSON.stringify({ images: final }));
      // One line per tick, so a client can stop reading between them.
      const next = () => {
        const line = lines.shift();
        if (line === undefined) return res.end();
        if (!res.destroyed) res.write(`${line}\n`, () => setImmediate(next));
      };
      next();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return { url, seen, close };
}

/** Reads the NDJSON answer: partial images to the context as they come, then the final images. */
async function readAnswer(response: Response, context: ProviderCallContext): Promise<ProviderResult> {
  const decoder = new TextDecoder();
  let buffered = '';
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    buffered += decoder.decode(chunk, { stream: true });
    for (let end = buffered.indexOf('\n'); end >= 0; end = buffered.indexOf('\n')) {
      const line = JSON.parse(buffered.slice(0, end)) as {
        partial?: string;
        image?: number;
        index?: number;
        images?: string[];
      };
      buffered = buffered.slice(end + 1);
      if (context.signal.aborted) throw abortErrorFrom(context.signal, 'ops');
      if (line.partial !== undefined) {
        const bytes = decodeBase64(line.partial, 'ops');
        context.onPartialImage?.({
          imageIndex: line.image!,
          partialImageIndex: line.index!,
          bytes,
          base64: line.partial,
          mediaType: 'image/png',
        });
      } else if (line.images) {
        return {
          images: line.images.map((b64) => ({
            bytes: decodeBase64(b64, 'ops'),
            base64: b64,
            mediaType: 'image/png',
          })),
        };
      }
    }
  }
  throw new BackendError('ops ended its stream without images', {
    reason: 'malformed_response',
    provider: 'ops',
  });
}

function operationsProvider(baseURL: string, fetch: FetchFunction): ImageProvider {
  const send = async (path: string, call: ProviderCall, context: ProviderCallContext) => {
    const body: OpsBody = {
      n: call.n,
      size: call.size ?? '256x256',
      ...(call.images ? { images: call.images.map((i) => Buffer.from(i.bytes).toString('base64')) } : {}),
      ...(call.mask ? { mask: Buffer.from(call.mask.bytes).toString('base64') } : {}),
      ...(call.partialImages ? { partial_images: call.partialImages } : {}),
    };
    const response = await providerFetch(
      `${baseURL}${path}`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      },
      { provider: 'ops', fetch, signal: context.signal, secrets: [KEY] },
    );
    if (!response.ok) {
      const error = (await readJsonBody(response, { provider: 'ops', signal: context.signal })) as {
        error?: string;
      };
      throw new BackendError(`ops answered ${response.status}: ${error.error ?? ''}`, {
        reason: response.status === 401 ? 'upstream_auth' : 'upstream_rejected',
        provider: 'ops',
        upstreamStatus: response.status,
      });
    }
    return readAnswer(response, context);
  };
  const input = { maxBytes: 1024 * 1024, maxPixels: 1024 * 1024, maxSide: 1024, minSide: 64 };
  return {
    specificationVersion: 'v1',
    id: 'ops',
    models: [
      {
        id: 'ops-1',
        provider: 'ops',
        capabilities: {
          sizes: ['256x256'],
          maxImagesPerCall: 1,
          maxPromptLength: 100,
          edit: {
            maxImages: 3,
            input: { ...input, mediaTypes: ['image/png'] },
            mask: { convention: 'luminance' },
          },
          variation: { input: { ...input, square: true } },
          stream: { maxPartialImages: 2 },
        },
        defaults: { size: '256x256' },
      },
    ],
    generate: (call, context) => send('/generate', call, context),
    edit: (call, context) => send('/edit', call, context),
    createVariation: (call, context) => send('/variation', call, context),
  };
}

describeImageProviderConformance({
  name: 'reference plugin with edits, variations and streams',
  unsupported: ['unauthorized', 'rate_limited', 'server_error', 'malformed', 'content_filtered', 'slow'],
  async setup({ fetch }) {
    const server = await startOperationsServer();
    return {
      provider: operationsProvider(server.url, fetch),
      modelId: 'ops-1',
      secrets: [KEY],
      baseURL: server.url,
      scenario: () => {},
      requests: () => server.seen,
      teardown: server.close,
    };
  },
});
