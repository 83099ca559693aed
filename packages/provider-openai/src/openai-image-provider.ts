import {
  abortErrorFrom,
  type FetchFunction,
  type GenerationWarning,
  type ImageProvider,
  type ProviderCall,
  type ProviderCallContext,
  type ProviderResult,
  parseSize,
  providerFetch,
  readBodyBytes,
  readJsonBody,
  validationError,
} from '@pixelgate/core/provider-utils';
import type { ModelDescriptor, ModelDescriptorInput } from '@pixelgate/core/spec';
import { callSignal, translateAbort } from './openai-call-signal.ts';
import { type OpenAIModelData, openAIModelData } from './openai-catalog.ts';
import { mapOpenAIError, upstreamRequestIdOf } from './openai-error.ts';
import { buildEditForm, buildVariationForm } from './openai-form.ts';
import { type ImagesAnswer, imagesResult } from './openai-image-result.ts';
import { type OpenAIProviderOptions, openAIProviderOptionsSchema } from './openai-options.ts';
import { buildImageRequestBody, buildVariationFields } from './openai-request.ts';
import { readImageStream } from './openai-stream.ts';

/** Transport settings shared by the OpenAI, Azure and compatible factories. */
export interface OpenAIHttpSettings {
  /** Extra headers sent with every request (a proxy's own auth, tracing). Never logged. */
  headers?: Record<string, string>;
  /** The fetch implementation: the test seam, or a custom agent. Defaults to the global fetch. */
  fetch?: FetchFunction;
  /**
   * Longest wait for one generation call, in milliseconds (default 600000, as openai-node). High
   * quality GPT images take minutes; the gateway's own deadline still applies on top.
   */
  timeoutMs?: number;
  /** Longest wait for downloading one image a server answered with as a URL (default 60000). */
  downloadTimeoutMs?: number;
  /** Largest image accepted from a URL download, in bytes (default 50 MiB). */
  maxDownloadBytes?: number;
  /** Largest generation response accepted, in bytes (default 512 MiB: ten 4K PNGs in base64). */
  maxResponseBytes?: number;
}

/** The Images API endpoints: `POST /images/{endpoint}`. */
export type ImagesEndpoint = 'generations' | 'edits' | 'variations';

/** How one deployment authenticates and addresses a model: the part that differs between hosts. */
export interface OpenAITransport {
  id: string;
  /** `OpenAI`, `Azure OpenAI`: used in messages. */
  label: string;
  models: ModelDescriptorInput[];
  /** Whether the body carries `model` (not on Azure, where the deployment is in the path). */
  sendModel: boolean;
  /** The URL of one Images API endpoint for the model (Azure: the deployment's path). */
  url(model: ModelDescriptor, data: OpenAIModelData, endpoint: ImagesEndpoint): string;
  /** Headers carrying credentials, resolved per call (bring-your-own-key, Entra tokens). */
  auth(context: ProviderCallContext): Promise<{ headers: Record<string, string>; secrets: string[] }>;
  http: OpenAIHttpSettings;
}

const DEFAULT_TIMEOUT_MS = 600_000;
const DEFAULT_MAX_RESPONSE_BYTES = 512 * 1024 * 1024;
const MAX_ERROR_BODY_BYTES = 1024 * 1024;

/** Parses `provider_options.<id>` strictly, naming the offending field. */
function parseOptions(call: ProviderCall, id: string): OpenAIProviderOptions {
  const parsed = openAIProviderOptionsSchema.safeParse(call.providerOptions ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw validationError(
    `provider_options.${id}${issue?.path.length ? `.${issue.path.join('.')}` : ''}`,
    `Invalid ${id} provider option: ${issue?.message ?? 'unknown problem'}.`,
  );
}

/** Warnings the model's own facts call for: experimental sizes, preview transparency. */
function modelWarnings(call: ProviderCall, data: OpenAIModelData, label: string): GenerationWarning[] {
  const warnings: GenerationWarning[] = [];
  const pixels = call.size ? parseSize(call.size) : undefined;
  if (data.experimentalAbovePixels && pixels && pixels.width * pixels.height > data.experimentalAbovePixels) {
    warnings.push({
      type: 'other',
      param: 'size',
      message: `${call.size} is above ${data.experimentalAbovePixels} pixels; ${label} calls such sizes experimental for ${call.model.id}.`,
    });
  }
  if (data.transparentBackgroundPreview && call.background === 'transparent') {
    warnings.push({
      type: 'other',
      param: 'background',
      message: `A transparent background is a preview feature of ${call.model.id}.`,
    });
  }
  return warnings;
}

/** Reads a failed answer's body (never failing on a cut one) and maps it to this package's error. */
async function failedAnswer(
  transport: OpenAITransport,
  response: Response,
  call: ProviderCall,
  data: OpenAIModelData,
  signal: AbortSignal,
  secrets: string[],
): Promise<Error> {
  let text = '';
  try {
    const bytes = await readBodyBytes(response, {
      provider: transport.id,
      maxBytes: MAX_ERROR_BODY_BYTES,
      signal,
      upstreamRequestId: upstreamRequestIdOf(response.headers),
    });
    text = new TextDecoder().decode(bytes);
  } catch (error) {
    if (signal.aborted) throw error;
    // A cut or oversized error body still has a status worth reporting.
  }
  return mapOpenAIError(response.status, response.headers, text, {
    provider: transport.id,
    label: transport.label,
    modelId: data.deployment ? (data.upstreamModel ?? call.model.id) : call.model.id,
    deployment: data.deployment,
    secrets,
  });
}

/** One request to an images endpoint: where it goes and its body (JSON text or a multipart form). */
interface ImagesRequest {
  endpoint: ImagesEndpoint;
  body: string | FormData;
  /** Whether `stream: true` was asked for (the answer is then an event stream). */
  streaming: boolean;
}

/** The request of one call, per operation; field rules live in openai-request.ts. */
function imagesRequest(
  transport: OpenAITransport,
  call: ProviderCall,
  data: ReturnType<typeof openAIModelData>,
): ImagesRequest {
  const build = { namespace: transport.id, sendModel: transport.sendModel };
  const options = parseOptions(call, transport.id);
  if (call.operation === 'variation') {
    return {
      endpoint: 'variations',
      body: buildVariationForm(call, buildVariationFields(call, data, options, build)),
      streaming: false,
    };
  }
  const fields = buildImageRequestBody(call, data, options, build);
  const streaming = fields.stream === true;
  if (call.operation === 'edit') return { endpoint: 'edits', body: buildEditForm(call, fields), streaming };
  return { endpoint: 'generations', body: JSON.stringify(fields), streaming };
}

/** Reads a successful answer: an event stream when the server sent one, JSON otherwise. */
async function readAnswer(
  transport: OpenAITransport,
  response: Response,
  answer: ImagesAnswer,
  context: ProviderCallContext,
  warnings: GenerationWarning[],
): Promise<ProviderResult> {
  const maxBytes = transport.http.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  if ((response.headers.get('content-type') ?? '').includes('text/event-stream')) {
    const streamed = await readImageStream(answer, response.body, maxBytes, context);
    const result = await imagesResult({ ...answer, json: streamed.json }, warnings);
    return streamed.usage ? { ...result, usage: streamed.usage } : result;
  }
  const json = await readJsonBody(response, {
    provider: transport.id,
    maxBytes,
    signal: answer.signal,
    upstreamRequestId: answer.upstreamRequestId,
  });
  return await imagesResult({ ...answer, json }, warnings);
}

/**
 * One call to an images endpoint: the body, the exchange under its own timeout, the answer read.
 * Generations, edits and variations share it, so errors, retries classification, URL downloads
 * and redaction are the same for all three.
 */
async function callImages(
  transport: OpenAITransport,
  call: ProviderCall,
  context: ProviderCallContext,
): Promise<ProviderResult> {
  const { id, http } = transport;
  if (context.signal.aborted) throw abortErrorFrom(context.signal, id);
  const data = openAIModelData(call.model);
  const request = imagesRequest(transport, call, data);
  const auth = await transport.auth(context);
  const warnings = modelWarnings(call, data, transport.label);
  const timeoutMs = http.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const guard = callSignal(context.signal, timeoutMs);
  try {
    const response = await providerFetch(
      transport.url(call.model, data, request.endpoint),
      {
        method: 'POST',
        headers: {
          ...http.headers,
          // A FormData body gets its multipart content type (with the boundary) from fetch.
          ...(typeof request.body === 'string' ? { 'content-type': 'application/json' } : {}),
          accept: request.streaming ? 'text/event-stream' : 'application/json',
          ...auth.headers,
        },
        body: request.body,
      },
      { provider: id, fetch: http.fetch, signal: guard.signal, secrets: auth.secrets },
    );
    if (!response.ok) throw await failedAnswer(transport, response, call, data, guard.signal, auth.secrets);
    const answer: ImagesAnswer = {
      transport,
      call,
      data,
      json: undefined,
      status: response.status,
      upstreamRequestId: upstreamRequestIdOf(response.headers),
      signal: guard.signal,
      secrets: auth.secrets,
    };
    return await readAnswer(transport, response, answer, context, warnings);
  } catch (error) {
    throw translateAbort(error, context.signal, guard.timedOut(), id, 'answer', timeoutMs);
  } finally {
    guard.dispose();
  }
}

/** The operation a method performs, whatever the call says (a plugin method is its operation). */
function asOperation(call: ProviderCall, operation: ProviderCall['operation']): ProviderCall {
  return call.operation === operation ? call : { ...call, operation };
}

/**
 * Builds the image provider over one transport. The plugin is a plain object: no container, no
 * decorators; everything it needs is in the transport, and `fetch` is the test seam. `edit` and
 * `createVariation` exist because catalog models declare them (the gateway only calls them for
 * models that do).
 */
export function createOpenAIImageProvider(transport: OpenAITransport): ImageProvider {
  return {
    specificationVersion: 'v1',
    id: transport.id,
    models: transport.models,
    providerOptionsSchema: openAIProviderOptionsSchema,
    generate: (call, context) => callImages(transport, asOperation(call, 'generate'), context),
    edit: (call, context) => callImages(transport, asOperation(call, 'edit'), context),
    createVariation: (call, context) => callImages(transport, asOperation(call, 'variation'), context),
  };
}
