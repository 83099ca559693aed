import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GoogleApi } from '../google-model-data.ts';
import { checkGeminiAuth, checkVertexAuth, handleToken } from './fake-imagen-auth.ts';
import { type FakeImagenContext, fail, nextScenario, rpcError, send, wait } from './fake-imagen-context.ts';
import { handleGenerate, stream } from './fake-imagen-generate.ts';
import { handlePredict } from './fake-imagen-predict.ts';
import { scenarioError } from './fake-imagen-scenarios.ts';

const VERTEX_PATH =
  /^\/(v1|v1beta1)\/projects\/([^/]+)\/locations\/([^/]+)\/publishers\/google\/models\/([^/:]+):(predict|generateContent|streamGenerateContent)$/;
const GEMINI_PATH = /^\/v1beta\/models\/([^/:]+):(predict|generateContent|streamGenerateContent)$/;

/** The fake's router: the token endpoint, then both APIs' model routes. */
export async function handleRequest(
  ctx: FakeImagenContext,
  req: IncomingMessage,
  res: ServerResponse,
  raw: string,
) {
  const parsedUrl = new URL(req.url ?? '/', ctx.url);
  const path = parsedUrl.pathname;
  if (req.method === 'POST' && path === '/token') {
    const { status, body } = handleToken(ctx, raw);
    return send(res, status, body);
  }
  const vertex = VERTEX_PATH.exec(path);
  const gemini = vertex ? null : GEMINI_PATH.exec(path);
  const api: GoogleApi | undefined = vertex ? 'vertex' : gemini ? 'gemini' : undefined;
  const modelId = decodeURIComponent(vertex?.[4] ?? gemini?.[1] ?? '');
  const method = vertex?.[5] ?? gemini?.[2];
  const location = vertex ? decodeURIComponent(vertex[3]!) : undefined;
  let body: unknown;
  try {
    body = raw.length > 0 ? JSON.parse(raw) : undefined;
  } catch {
    body = undefined;
  }
  ctx.requests.push({
    url: `${ctx.url}${req.url ?? '/'}`,
    path,
    api: api ?? 'unknown',
    ...(api ? { model: modelId, method } : {}),
    ...(location ? { location } : {}),
    body,
    authenticated: Boolean(
      req.headers.authorization ?? req.headers['x-goog-api-key'] ?? parsedUrl.searchParams.get('key'),
    ),
  });
  if (req.method !== 'POST' || !api) return send(res, 404, rpcError(404, `Not found: ${path}`).body);
  if (api === 'vertex') checkVertexAuth(ctx, req);
  else checkGeminiAuth(ctx, req, parsedUrl.searchParams);
  if (typeof body !== 'object' || body === null) fail(400, 'Invalid JSON payload received.');

  const model = ctx.models.get(modelId);
  const notFound = () =>
    api === 'gemini'
      ? fail(
          404,
          `models/${modelId} is not found for API version v1beta, or is not supported for ${method}. Call ListModels to see the list of available ctx.models and their supported methods.`,
        )
      : fail(
          404,
          `Publisher Model \`projects/${vertex![2]}/locations/${location}/publishers/google/models/${modelId}\` was not found or your project does not have access to it. Please ensure you are using a valid model version.`,
        );
  if (!model || model.shutDown || !model.apis.includes(api)) notFound();
  if (api === 'vertex' && model!.vertexLocations && !model!.vertexLocations.includes(location!)) notFound();
  if ((method === 'predict') !== (model!.family === 'imagen')) notFound();
  if (method === 'streamGenerateContent' && parsedUrl.searchParams.get('alt') !== 'sse') {
    fail(400, 'This fake streams only with alt=sse.');
  }

  let scenario = nextScenario(ctx);
  scenarioError(scenario, api, modelId);
  if (typeof scenario === 'object' && scenario.type === 'delay') {
    await wait(ctx, scenario.ms, req);
    scenario = 'success';
  }
  if (scenario === 'slow') {
    await wait(ctx, ctx.slowMs, req);
    if (res.destroyed) return;
  }
  if (scenario === 'malformed') {
    res.writeHead(200, { 'content-type': 'application/json; charset=UTF-8' });
    return res.end('{"predictions": [{"bytesBase64Encoded": "iVBOR');
  }
  const answer =
    method === 'predict'
      ? await handlePredict(ctx, model!, api, body as Record<string, unknown>, scenario)
      : await handleGenerate(ctx, model!, api, body as Record<string, unknown>, scenario);
  if (scenario === 'truncated') {
    const text = JSON.stringify(answer);
    res.writeHead(200, {
      'content-type': 'application/json; charset=UTF-8',
      'content-length': Buffer.byteLength(text),
    });
    res.write(text.slice(0, Math.floor(text.length / 2)));
    const timer = setTimeout(() => {
      ctx.timers.delete(timer);
      res.destroy();
    }, 10);
    ctx.timers.add(timer);
    return;
  }
  if (method === 'streamGenerateContent') return stream(res, answer as Record<string, unknown>);
  send(res, 200, answer);
}
