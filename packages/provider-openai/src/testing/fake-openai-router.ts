import type { IncomingMessage, ServerResponse } from 'node:http';
import { waitUnlessClosed } from '@pixelgate/core/provider-utils';
import { planEdit, planVariation } from './fake-openai-edits.ts';
import { answerBody, type ImagePlan, planGeneration } from './fake-openai-images.ts';
import { moderate } from './fake-openai-moderations.ts';
import { type FakeForm, readMultipartForm, recordedForm } from './fake-openai-multipart.ts';
import { scenarioFailure } from './fake-openai-scenarios.ts';
import {
  type FakeOpenAIContext,
  GPT_ONLY_FIELDS,
  HttpFailure,
  maskKey,
  openAIError,
  rateLimitHeaders,
  readBody,
  requestId,
  send,
} from './fake-openai-shared.ts';
import { streamAnswer } from './fake-openai-stream.ts';
import type { FakeOpenAIScenario, RecordedRequest } from './fake-openai-types.ts';

/** The Images API endpoints the fake serves. */
type ImagesEndpoint = 'generations' | 'edits' | 'variations';

/** The routes the fake serves. */
type Route =
  | { kind: 'file'; id: string }
  | { kind: 'images'; endpoint: ImagesEndpoint; azureDeployment?: string }
  | { kind: 'moderations' };

function routeOf(method: string | undefined, pathname: string): Route {
  const fileMatch = /^\/fake-files\/([a-f0-9]+)\.\w+$/.exec(pathname);
  if (method === 'GET' && fileMatch) return { kind: 'file', id: fileMatch[1]! };
  // Azure documents generations and edits on deployments; variations are OpenAI's own.
  const azureMatch = /^\/openai\/deployments\/([^/]+)\/images\/(generations|edits)$/.exec(pathname);
  if (method === 'POST' && azureMatch) {
    const endpoint = azureMatch[2] as ImagesEndpoint;
    return { kind: 'images', endpoint, azureDeployment: decodeURIComponent(azureMatch[1]!) };
  }
  const openAIMatch = /^\/v1\/images\/(generations|edits|variations)$/.exec(pathname);
  if (method === 'POST' && openAIMatch) return { kind: 'images', endpoint: openAIMatch[1] as ImagesEndpoint };
  if (method === 'POST' && pathname === '/v1/moderations') return { kind: 'moderations' };
  throw openAIError(404, `Invalid URL (${method} ${pathname})`, null, null);
}

/** Whether a request goes to a multipart endpoint (edits, variations), read with busboy. */
function isMultipartRoute(method: string | undefined, pathname: string): boolean {
  return method === 'POST' && /\/images\/(edits|variations)$/.test(pathname);
}

/** Records a multipart request (fields, and files by size and hash), then parses it. */
async function recordMultipart(context: FakeOpenAIContext, request: IncomingMessage): Promise<FakeForm> {
  const recorded: RecordedRequest = {
    method: request.method ?? 'POST',
    url: request.url ?? '/',
    headers: { ...request.headers },
    body: undefined,
  };
  context.requests.push(recorded);
  const form = await readMultipartForm(request);
  recorded.body = recordedForm(form);
  return form;
}

/** Reads and records a request; the body is parsed as JSON when it is JSON. */
async function recordRequest(context: FakeOpenAIContext, request: IncomingMessage): Promise<RecordedRequest> {
  const text = await readBody(request);
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // kept as text
  }
  const recorded = {
    method: request.method ?? 'GET',
    url: request.url ?? '/',
    headers: { ...request.headers },
    body,
  };
  context.requests.push(recorded);
  return recorded;
}

/** Serves an image the fake answered with as a URL. */
function serveFile(context: FakeOpenAIContext, id: string, response: ServerResponse): void {
  const bytes = context.files.get(id);
  if (!bytes) throw new HttpFailure(404, '<html>not found</html>');
  response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': bytes.byteLength });
  response.end(bytes);
}

/** Azure's `api-key` or Entra token, `api-version` and deployment checks, with Azure's error bodies. */
function authenticateAzure(
  context: FakeOpenAIContext,
  request: IncomingMessage,
  url: URL,
  modelId: string | undefined,
): void {
  const options = context.options;
  const apiKey = context.apiKey;
  const azureVersions = context.azureVersions;
  const azure = options.azure;
  const key = request.headers['api-key'];
  const bearer = request.headers.authorization;
  const keyOk = key !== undefined && key === (azure?.apiKey ?? apiKey);
  const tokenOk = azure?.bearerToken !== undefined && bearer === `Bearer ${azure.bearerToken}`;
  if (!azure || (!keyOk && !tokenOk)) {
    throw new HttpFailure(401, {
      error: {
        code: '401',
        message:
          'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.',
      },
    });
  }
  const version = url.searchParams.get('api-version');
  if (!version) throw new HttpFailure(404, { error: { code: '404', message: 'Resource not found' } });
  if (!azureVersions.has(version)) {
    throw new HttpFailure(400, { error: { code: 'BadRequest', message: 'API version not supported' } });
  }
  if (modelId === undefined) {
    throw new HttpFailure(404, {
      error: {
        code: 'DeploymentNotFound',
        message:
          'The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again.',
      },
    });
  }
}

/** OpenAI's bearer key check, echoing a wrong key masked as OpenAI does. */
function authenticateOpenAI(context: FakeOpenAIContext, request: IncomingMessage): void {
  const apiKey = context.apiKey;
  const auth = request.headers.authorization;
  if (!auth) {
    throw openAIError(
      401,
      "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
      null,
      null,
    );
  }
  if (auth !== `Bearer ${apiKey}`) {
    const given = auth.replace(/^Bearer\s+/i, '');
    throw openAIError(
      401,
      `Incorrect API key provided: ${maskKey(given)}. You can find your API key at https://platform.openai.com/account/api-keys.`,
      null,
      'invalid_api_key',
    );
  }
}

/** The model a request names: the Azure deployment's model, or the one in the body or form. */
function modelIdOf(
  context: FakeOpenAIContext,
  route: Route,
  body: Record<string, unknown> | undefined,
  form: FakeForm | undefined,
): string | undefined {
  if (route.kind === 'images' && route.azureDeployment !== undefined) {
    return context.options.azure?.deployments[route.azureDeployment];
  }
  if (form) return form.fields.model;
  return body && typeof body.model === 'string' ? body.model : undefined;
}

/** Validates a generations request into a plan (the model defaults as OpenAI's do). */
function planGenerationRequest(
  context: FakeOpenAIContext,
  route: Extract<Route, { kind: 'images' }>,
  bodyObject: Record<string, unknown>,
  requestedModel: string | undefined,
): ImagePlan {
  let modelId = requestedModel;
  if (modelId === undefined) {
    if (bodyObject.model !== undefined)
      throw openAIError(400, "Invalid 'model': expected a string.", 'model', 'invalid_type');
    modelId = GPT_ONLY_FIELDS.some((field) => bodyObject[field] !== undefined) ? 'gpt-image-1.5' : 'dall-e-2';
  }
  const azureBody =
    route.azureDeployment !== undefined
      ? Object.fromEntries(Object.entries(bodyObject).filter(([k]) => k !== 'model'))
      : bodyObject;
  return planGeneration(context, azureBody, modelId);
}

/** Validates an images request of any endpoint into a plan. */
function planImages(
  context: FakeOpenAIContext,
  route: Extract<Route, { kind: 'images' }>,
  input: { body: Record<string, unknown> | undefined; form: FakeForm | undefined },
  requestedModel: string | undefined,
): ImagePlan {
  if (route.endpoint === 'generations') {
    if (!input.body) throw openAIError(400, 'We could not parse the JSON body of your request.', null, null);
    return planGenerationRequest(context, route, input.body, requestedModel);
  }
  const form = input.form!;
  if (route.endpoint === 'variations') return planVariation(context, form);
  if (route.azureDeployment !== undefined) delete form.fields.model;
  return planEdit(context, form, route.azureDeployment !== undefined ? requestedModel : undefined);
}

/** Answers the images route: a stream, a JSON body, or a body cut short under `truncated`. */
async function answerImages(
  context: FakeOpenAIContext,
  response: ServerResponse,
  route: Extract<Route, { kind: 'images' }>,
  plan: ImagePlan,
  scenario: FakeOpenAIScenario | undefined,
  commonHeaders: Record<string, string>,
): Promise<void> {
  const headers: Record<string, string> = {
    ...commonHeaders,
    ...rateLimitHeaders(),
    'openai-processing-ms': '1234',
  };
  if (route.azureDeployment !== undefined) headers['apim-request-id'] = commonHeaders['x-request-id']!;
  if (plan.partialImages !== undefined) return streamAnswer(context, response, plan, scenario, headers);
  const body = await answerBody(context, plan, scenario);
  if (scenario?.type === 'truncated') {
    const textBody = JSON.stringify(body);
    response.writeHead(200, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(textBody),
      ...headers,
    });
    response.write(textBody.slice(0, Math.floor(textBody.length / 2)));
    setImmediate(() => response.destroy());
    return;
  }
  send(response, 200, body, headers);
}

/** The fake's request handler: record, route, apply the queued scenario, authenticate, answer. */
export async function handleRequest(
  context: FakeOpenAIContext,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://127.0.0.1');
  const commonHeaders: Record<string, string> = {
    'x-request-id': requestId(),
    'openai-version': '2020-10-01',
  };
  try {
    const multipart = isMultipartRoute(request.method, url.pathname);
    const form = multipart ? await recordMultipart(context, request) : undefined;
    const body = multipart ? undefined : (await recordRequest(context, request)).body;
    const route = routeOf(request.method, url.pathname);
    if (route.kind === 'file') return serveFile(context, route.id, response);
    const bodyObject =
      typeof body === 'object' && body !== null && !Array.isArray(body)
        ? (body as Record<string, unknown>)
        : undefined;
    const modelId = modelIdOf(context, route, bodyObject, form);
    const scenario = context.queue.shift();
    if (scenario) {
      const failure = scenarioFailure(context, scenario, modelId);
      if (failure) throw failure;
      if (scenario.type === 'slow' && !(await waitUnlessClosed(scenario.delayMs, response, context.timers)))
        return;
    }
    if (route.kind === 'images' && route.azureDeployment !== undefined)
      authenticateAzure(context, request, url, modelId);
    else authenticateOpenAI(context, request);
    if (route.kind === 'moderations') {
      if (!bodyObject)
        throw openAIError(400, 'We could not parse the JSON body of your request.', null, null);
      return send(response, 200, moderate(context, bodyObject), commonHeaders);
    }
    const plan = planImages(context, route, { body: bodyObject, form }, modelId);
    await answerImages(context, response, route, plan, scenario, commonHeaders);
  } catch (error) {
    if (error instanceof HttpFailure) {
      send(response, error.status, error.body, { ...commonHeaders, ...error.headers });
      return;
    }
    send(
      response,
      500,
      {
        error: {
          message: `fake server failure: ${String(error)}`,
          type: 'server_error',
          param: null,
          code: null,
        },
      },
      commonHeaders,
    );
  }
}
