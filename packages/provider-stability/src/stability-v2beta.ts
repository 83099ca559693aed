/**
 * Stability's v2beta Stable Image endpoints (ultra, core, sd3): one image per multipart call,
 * answered as raw bytes with headers or as JSON.
 */
import {
  decodeBase64,
  GatewayError,
  type ProviderCall,
  type ProviderCallContext,
  type ProviderResult,
  readBodyBytes,
  readJsonBody,
  validationError,
} from '@pixelgate/core/provider-utils';
import type { ModelDescriptor } from '@pixelgate/core/spec';
import { v2betaJsonResponseSchema } from './stability-api.ts';
import { STABILITY_SD3_LEGACY_MODELS, type StabilityProviderData } from './stability-catalog.ts';
import {
  malformedAnswer,
  postToStability,
  type RawImage,
  rawImageFromHeaders,
  readOptionsFor,
  requestHeaders,
  resolveApiKey,
  type StabilityClient,
  secretsOf,
} from './stability-client.ts';
import { resolveStylePreset, type StabilityImageOptions, seedWarnings } from './stability-options.ts';
import { finishStabilityCall } from './stability-result.ts';

type V2betaRoute = Extract<StabilityProviderData, { apiFamily: 'v2beta' }>;

/** The aspect ratio to send: the request's own, or the declared ratio whose size the request names. */
function resolveRatio(call: ProviderCall, model: ModelDescriptor): string | undefined {
  const ratios = model.capabilities.aspectRatios;
  if (call.aspectRatio !== undefined) {
    if (!(call.aspectRatio in ratios)) {
      throw validationError(
        'aspect_ratio',
        `The aspect ratio '${call.aspectRatio}' is not one '${model.provider}/${model.id}' declares. Accepted: ${Object.keys(ratios).join(', ')}.`,
      );
    }
    return call.aspectRatio;
  }
  if (call.size === undefined || call.size === 'auto') return model.defaults.aspectRatio;
  const match = Object.entries(ratios).find(([, size]) => size === call.size);
  if (match) return match[0];
  throw validationError(
    'size',
    `The size '${call.size}' is not one of the sizes '${model.provider}/${model.id}' produces (${Object.values(ratios).join(', ')}); Stability v2beta takes an aspect ratio.`,
  );
}

/** The sd3 `model` field: the route's variant, or the option when it names the same model. */
function resolveVariant(
  provider: string,
  model: ModelDescriptor,
  route: V2betaRoute,
  options: StabilityImageOptions,
): string | undefined {
  if (options.model === undefined) return route.model;
  const routed = STABILITY_SD3_LEGACY_MODELS[options.model] ?? options.model;
  if (route.model !== undefined && routed !== route.model) {
    throw validationError(
      `provider_options.${provider}.model`,
      `provider_options.${provider}.model '${options.model}' is a different model from '${model.id}' (${route.model}); choose the model id '${routed}' instead so that prices and capabilities match.`,
    );
  }
  return options.model;
}

/** Reads a v2beta success in whichever format it came back (self-hosted servers may ignore `accept`). */
export async function readV2beta(
  client: StabilityClient,
  response: Response,
  context: ProviderCallContext,
): Promise<RawImage> {
  const contentType = (response.headers.get('content-type') ?? '').toLowerCase();
  const readOptions = readOptionsFor(client, response, context);
  if (contentType.startsWith('application/json')) {
    const parsed = v2betaJsonResponseSchema.safeParse(await readJsonBody(response, readOptions));
    if (!parsed.success) {
      throw malformedAnswer(
        client.id,
        'Stability answered with JSON that has no image and finish_reason.',
        response,
      );
    }
    return {
      bytes: decodeBase64(parsed.data.image, client.id),
      finishReason: parsed.data.finish_reason,
      ...(parsed.data.seed == null ? {} : { seed: parsed.data.seed }),
    };
  }
  if (!contentType.startsWith('image/')) {
    await response.body?.cancel().catch(() => {});
    throw malformedAnswer(
      client.id,
      `Stability answered with content type '${contentType || 'none'}', not an image.`,
      response,
    );
  }
  return rawImageFromHeaders(await readBodyBytes(response, readOptions), response);
}

/** One v2beta call: the multipart form, the POST, and the answer read and checked. */
export async function generateV2beta(
  client: StabilityClient,
  call: ProviderCall,
  context: ProviderCallContext,
  route: V2betaRoute,
  options: StabilityImageOptions,
): Promise<ProviderResult> {
  const model = call.model;
  if (call.n !== 1) {
    throw new GatewayError(
      'CONFIGURATION_ERROR',
      `${client.id}: model '${model.id}' uses the v2beta API, which returns one image per call; declare maxImagesPerCall 1 so dispatch splits n.`,
      { provider: client.id },
    );
  }
  const ratio = resolveRatio(call, model);
  const style = resolveStylePreset(call, options, client.id);
  const variant = resolveVariant(client.id, model, route, options);
  const format = call.outputFormat ?? model.defaults.outputFormat ?? 'png';
  const warnings = seedWarnings(call);

  const form = new FormData();
  form.set('prompt', call.prompt);
  if (call.negativePrompt !== undefined) form.set('negative_prompt', call.negativePrompt);
  if (ratio !== undefined) form.set('aspect_ratio', ratio);
  if (call.seed !== undefined) form.set('seed', String(call.seed));
  form.set('output_format', format);
  if (style !== undefined) form.set('style_preset', style);
  if (options.cfg_scale !== undefined) form.set('cfg_scale', String(options.cfg_scale));
  if (variant !== undefined) form.set('model', variant);

  const apiKey = resolveApiKey(client, context);
  const accept = client.responseFormat === 'json' ? 'application/json' : 'image/*';
  const response = await postToStability(
    client,
    route.endpoint,
    { body: form, headers: requestHeaders(client, apiKey, accept, call) },
    context,
    secretsOf(client, apiKey),
    Object.keys(call.providerOptions ?? {}),
  );
  const raw = await readV2beta(client, response, context);
  const expectedSize = ratio !== undefined ? model.capabilities.aspectRatios[ratio] : call.size;
  return finishStabilityCall(
    client,
    [raw],
    { count: 1, format, ...(expectedSize && expectedSize !== 'auto' ? { size: expectedSize } : {}) },
    response,
    warnings,
    variant ?? model.id,
  );
}
