/**
 * Stability's legacy v1 generation API (SDXL): a JSON body with pixel sizes and up to ten
 * samples, answered as one raw PNG or as JSON artifacts.
 */
import {
  decodeBase64,
  formatSize,
  type PixelSize,
  type ProviderCall,
  type ProviderCallContext,
  type ProviderResult,
  parseSize,
  readBodyBytes,
  readJsonBody,
  validationError,
} from '@pixelgate/core/provider-utils';
import { type V1Artifact, v1JsonResponseSchema } from './stability-api.ts';
import type { StabilityProviderData } from './stability-catalog.ts';
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

type V1Route = Extract<StabilityProviderData, { apiFamily: 'v1' }>;

/** The pixel size v1 needs: the request's, else the model's default. */
function pixelSize(call: ProviderCall): PixelSize {
  const model = call.model;
  const sizeText = call.size && call.size !== 'auto' ? call.size : model.defaults.size;
  const size = sizeText ? parseSize(sizeText) : undefined;
  if (!size) {
    throw validationError(
      'size',
      `The v1 API needs a pixel size; '${model.provider}/${model.id}' has no default. Send size.`,
    );
  }
  return size;
}

/** width, height and samples options may only repeat what the request already says. */
function checkRepeatedOptions(
  provider: string,
  options: StabilityImageOptions,
  size: PixelSize,
  n: number,
): void {
  const mismatch = (
    param: 'width' | 'height' | 'samples',
    wanted: number | undefined,
    actual: number,
    source: string,
  ) => {
    if (wanted !== undefined && wanted !== actual) {
      throw validationError(
        `provider_options.${provider}.${param}`,
        `provider_options.${provider}.${param} (${wanted}) contradicts ${source} (${actual}); ${source} decides, so remove ${param} or make them agree.`,
      );
    }
  };
  mismatch('width', options.width, size.width, `the size ${formatSize(size)}`);
  mismatch('height', options.height, size.height, `the size ${formatSize(size)}`);
  mismatch('samples', options.samples, n, 'the image count of this call');
}

function v1Body(
  call: ProviderCall,
  size: PixelSize,
  options: StabilityImageOptions,
  style: string | undefined,
) {
  const textPrompts: Array<{ text: string; weight: number }> = [{ text: call.prompt, weight: 1 }];
  if (call.negativePrompt !== undefined) textPrompts.push({ text: call.negativePrompt, weight: -1 });
  return {
    text_prompts: textPrompts,
    width: size.width,
    height: size.height,
    samples: call.n,
    ...(call.seed === undefined ? {} : { seed: call.seed }),
    ...(options.cfg_scale === undefined ? {} : { cfg_scale: options.cfg_scale }),
    ...(options.steps === undefined ? {} : { steps: options.steps }),
    ...(options.sampler === undefined ? {} : { sampler: options.sampler }),
    ...(options.clip_guidance_preset === undefined
      ? {}
      : { clip_guidance_preset: options.clip_guidance_preset }),
    ...(style === undefined ? {} : { style_preset: style }),
  };
}

/** Reads a v1 success: one raw PNG, or JSON artifacts (each SUCCESS, CONTENT_FILTERED or ERROR). */
async function readV1(
  client: StabilityClient,
  response: Response,
  context: ProviderCallContext,
): Promise<RawImage[]> {
  const contentType = (response.headers.get('content-type') ?? '').toLowerCase();
  const readOptions = readOptionsFor(client, response, context);
  if (contentType.startsWith('image/')) {
    return [rawImageFromHeaders(await readBodyBytes(response, readOptions), response)];
  }
  const parsed = v1JsonResponseSchema.safeParse(await readJsonBody(response, readOptions));
  if (!parsed.success)
    throw malformedAnswer(client.id, 'Stability answered with JSON that has no artifacts.', response);
  return parsed.data.map((artifact: V1Artifact) => {
    const reason = artifact.finishReason.toUpperCase();
    if (reason !== 'SUCCESS' && reason !== 'CONTENT_FILTERED')
      return { bytes: new Uint8Array(0), finishReason: reason };
    if (!artifact.base64) throw malformedAnswer(client.id, 'a v1 artifact has no image data.', response);
    return {
      bytes: decodeBase64(artifact.base64, client.id),
      finishReason: reason,
      ...(artifact.seed == null ? {} : { seed: artifact.seed }),
    };
  });
}

/** One v1 call: the JSON body, the POST, and the artifacts read and checked. */
export async function generateV1(
  client: StabilityClient,
  call: ProviderCall,
  context: ProviderCallContext,
  route: V1Route,
  options: StabilityImageOptions,
): Promise<ProviderResult> {
  const size = pixelSize(call);
  checkRepeatedOptions(client.id, options, size, call.n);
  const style = resolveStylePreset(call, options, client.id);
  const warnings = seedWarnings(call);
  // v1 allows samples > 1 only with JSON; a single image comes back as raw PNG (no base64 copy).
  const accept = call.n > 1 || client.responseFormat === 'json' ? 'application/json' : 'image/png';
  const apiKey = resolveApiKey(client, context);
  const response = await postToStability(
    client,
    route.endpoint,
    {
      body: JSON.stringify(v1Body(call, size, options, style)),
      headers: { ...requestHeaders(client, apiKey, accept, call), 'content-type': 'application/json' },
    },
    context,
    secretsOf(client, apiKey),
    Object.keys(call.providerOptions ?? {}),
  );
  const raws = await readV1(client, response, context);
  return finishStabilityCall(
    client,
    raws,
    { count: call.n, format: 'png', size: formatSize(size) },
    response,
    warnings,
    call.model.id,
  );
}
