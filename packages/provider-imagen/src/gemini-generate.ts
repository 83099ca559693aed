import {
  BackendError,
  type GenerationWarning,
  type ImageUsage,
  type ProviderCall,
  type ProviderImage,
  type ProviderResult,
  redactSecrets,
  stripBase64,
  truncateText,
} from '@pixelgate/core/provider-utils';
import type { z } from 'zod';
import type { GoogleApi, GoogleModelData } from './google-model-data.ts';
import {
  checkFormat,
  decodeImage,
  readOptions,
  refuse,
  resolveOutput,
  resolveShape,
  userWarning,
} from './google-shared.ts';
import { generateResponseSchema, type modalityCountSchema } from './imagen-api.ts';
import type { GoogleImageOptions } from './imagen-options.ts';

/** The harm categories `safetySetting` applies to (the text-level ones both routes accept). */
const HARM_CATEGORIES = [
  'HARM_CATEGORY_HARASSMENT',
  'HARM_CATEGORY_HATE_SPEECH',
  'HARM_CATEGORY_SEXUALLY_EXPLICIT',
  'HARM_CATEGORY_DANGEROUS_CONTENT',
];

const PERSON_GENERATION = {
  dont_allow: 'ALLOW_NONE',
  allow_adult: 'ALLOW_ADULT',
  allow_all: 'ALLOW_ALL',
} as const;

/**
 * Finish reasons that mean a safety or policy system stopped the image. The same list the Vercel
 * AI SDK maps to a content filter, plus the image-specific ones [reference 4.7].
 */
const FILTER_FINISH_REASONS = new Set([
  'IMAGE_SAFETY',
  'IMAGE_PROHIBITED_CONTENT',
  'IMAGE_RECITATION',
  'SAFETY',
  'PROHIBITED_CONTENT',
  'BLOCKLIST',
  'SPII',
  'RECITATION',
]);

/** Options and fields this family cannot honour, refused by name (never silently dropped). */
function refuseForGemini(call: ProviderCall, options: GoogleImageOptions, providerId: string): void {
  const optionParam = (name: string) => `provider_options.${providerId}.${name}`;
  if (call.n !== 1) refuse('n', `${call.model.id} returns one image per call; the gateway splits larger n.`);
  if (call.negativePrompt !== undefined)
    refuse('negative_prompt', `${call.model.id} takes no negative prompt.`);
  if (call.seed !== undefined) refuse('seed', `${call.model.id} takes no image seed.`);
  for (const name of IMAGEN_ONLY_OPTIONS) {
    if (options[name] !== undefined) {
      refuse(
        optionParam(name),
        `${name} applies to Imagen models only; ${call.model.id} is a Gemini image model.`,
      );
    }
  }
  if (options.addWatermark === false) {
    refuse(
      optionParam('addWatermark'),
      'Gemini image models always add the SynthID watermark; it cannot be turned off.',
    );
  }
}

const IMAGEN_ONLY_OPTIONS = [
  'language',
  'enhancePrompt',
  'includeSafetyAttributes',
  'editMode',
  'maskMode',
  'maskDilation',
  'baseSteps',
] as const;

/**
 * The input images of an edit as `inlineData` parts, placed before the text part (Google's
 * guidance for image-and-text prompts). generateContent has no mask: one is refused, never
 * ignored (the gateway refuses it first, since no Gemini model declares a mask).
 */
function inlineImageParts(call: ProviderCall): Array<Record<string, unknown>> {
  const images = call.images ?? [];
  if (call.mask) {
    refuse('mask', `${call.model.id} takes no mask: describe the change in the prompt instead.`);
  }
  const max = call.model.capabilities.edit?.maxImages ?? 0;
  if (images.length > max) {
    refuse(
      'image',
      `${call.model.id} takes at most ${max} input image(s) per request (got ${images.length}).`,
    );
  }
  return images.map((image) => ({
    inlineData: { mimeType: image.mediaType, data: Buffer.from(image.bytes).toString('base64') },
  }));
}

/**
 * The image config's ratio and tier. An edit that names neither a size nor a ratio sends no
 * `aspectRatio`, so the model follows the input image's shape (reference 4.3), instead of being
 * forced to the catalog's default ratio.
 */
function geminiImageConfig(call: ProviderCall, data: GoogleModelData): Record<string, unknown> {
  const followsInput =
    call.operation === 'edit' &&
    call.aspectRatio === undefined &&
    (call.size === undefined || call.size === 'auto');
  if (followsInput) return data.baseTier ? { imageSize: data.baseTier } : {};
  const shape = resolveShape(call, data);
  return { aspectRatio: shape.aspectRatio, ...(shape.tier ? { imageSize: shape.tier } : {}) };
}

/** Vertex-only `imageConfig` fields: added on Vertex, refused by name on the Gemini API. */
function routeImageConfig(
  imageConfig: Record<string, unknown>,
  options: GoogleImageOptions,
  output: Record<string, unknown>,
  api: GoogleApi,
  providerId: string,
): void {
  const optionParam = (name: string) => `provider_options.${providerId}.${name}`;
  if (api === 'vertex') {
    if (options.personGeneration) imageConfig.personGeneration = PERSON_GENERATION[options.personGeneration];
    if (Object.keys(output).length > 0) imageConfig.imageOutputOptions = output;
    return;
  }
  if (options.personGeneration) {
    refuse(
      optionParam('personGeneration'),
      'The Gemini API does not accept personGeneration for Gemini image models; use the Vertex AI route.',
    );
  }
  if (options.outputOptions) {
    refuse(
      optionParam('outputOptions'),
      'The Gemini API has no output-format control for Gemini image models; use the Vertex AI route.',
    );
  }
  // output_format itself is limited by the catalog to the model's own encoding on this route.
}

/**
 * Builds a `generateContent` body asking for an image: for an edit, the input images as
 * `inlineData` parts before the prompt. Imagen-only options are refused for this family, and
 * Vertex-only `imageConfig` fields are refused on the Gemini API, each naming the field.
 *
 * Not confirmed (reference 4.3): whether 2.5 Flash Image rejects or ignores `imageSize` (it is
 * never sent for it), and the exact effect of `safetySettings` on the image filter (users report
 * IMAGE_SAFETY blocks even with BLOCK_NONE).
 */
export function buildGeminiBody(
  call: ProviderCall,
  data: GoogleModelData,
  api: GoogleApi,
  providerId: string,
): { body: Record<string, unknown>; warnings: GenerationWarning[] } {
  const options = readOptions(call, providerId);
  refuseForGemini(call, options, providerId);
  const parts = [...inlineImageParts(call), { text: call.prompt }];
  const output = resolveOutput(call, options, providerId);
  const imageConfig = geminiImageConfig(call, data);
  routeImageConfig(imageConfig, options, output, api, providerId);
  const body: Record<string, unknown> = {
    contents: [{ role: 'user', parts }],
    generationConfig: {
      responseModalities: data.responseModalities ?? ['TEXT', 'IMAGE'],
      imageConfig,
    },
    ...(options.safetySetting
      ? {
          safetySettings: HARM_CATEGORIES.map((category) => ({
            category,
            threshold: options.safetySetting!.toUpperCase(),
          })),
        }
      : {}),
  };
  return { body, warnings: userWarning(call) };
}

type UsageMetadata = NonNullable<z.infer<typeof generateResponseSchema>['usageMetadata']>;

function sumModality(details: z.infer<typeof modalityCountSchema>, modality: string): number | undefined {
  if (!details) return undefined;
  let total: number | undefined;
  for (const entry of details) {
    if (entry.modality === modality && typeof entry.tokenCount === 'number')
      total = (total ?? 0) + entry.tokenCount;
  }
  return total;
}

/**
 * Usage as core prices it: IMAGE output tokens at the image rate, everything else the model
 * produced (text, thinking, the part the per-modality list does not itemise) at the text rate.
 */
function toUsage(meta: UsageMetadata | null | undefined): ImageUsage | undefined {
  if (!meta) return undefined;
  const outputImage = sumModality(meta.candidatesTokensDetails, 'IMAGE') ?? 0;
  const candidates = meta.candidatesTokenCount ?? outputImage;
  const outputText = Math.max(0, candidates - outputImage) + (meta.thoughtsTokenCount ?? 0);
  const inputImage = sumModality(meta.promptTokensDetails, 'IMAGE') ?? 0;
  const inputText =
    sumModality(meta.promptTokensDetails, 'TEXT') ?? Math.max(0, (meta.promptTokenCount ?? 0) - inputImage);
  return {
    inputTextTokens: inputText,
    ...(inputImage > 0 ? { inputImageTokens: inputImage } : {}),
    outputImageTokens: outputImage,
    outputTextTokens: outputText,
    ...(typeof meta.totalTokenCount === 'number' ? { totalTokens: meta.totalTokenCount } : {}),
  };
}

/**
 * Picks the final images out of a `generateContent` answer. A blocked prompt
 * (`promptFeedback.blockReason`) and a safety finish reason without an image are
 * `content_filtered`; any other answer without an image (text-only STOP, NO_IMAGE, OTHER, an enum
 * value this code does not know) is `malformed_response`, retryable only when
 * `retryEmptyResults` says so, since a retry is billed again. Thought parts are never images.
 */
export function parseGeminiResponse(
  body: unknown,
  call: ProviderCall,
  providerId: string,
  secrets: ReadonlyArray<string | undefined>,
  retryEmptyResults: boolean,
): ProviderResult {
  const parsed = generateResponseSchema.safeParse(body);
  if (!parsed.success) {
    throw new BackendError(`${providerId}: the generateContent answer is not the documented shape.`, {
      reason: 'malformed_response',
      provider: providerId,
      upstreamStatus: 200,
    });
  }
  const answer = parsed.data;
  const clean = (text: string) => truncateText(stripBase64(redactSecrets(text, secrets)), 300);
  const upstreamRequestId = answer.responseId ?? undefined;
  const usage = toUsage(answer.usageMetadata);
  const common = {
    provider: providerId,
    upstreamStatus: 200,
    ...(upstreamRequestId ? { upstreamRequestId } : {}),
  };

  const blockReason = answer.promptFeedback?.blockReason;
  if (blockReason) {
    const why = answer.promptFeedback?.blockReasonMessage;
    throw new BackendError(`Google blocked the prompt (${blockReason})${why ? `: ${clean(why)}` : '.'}`, {
      ...common,
      reason: 'content_filtered',
      upstreamCode: blockReason,
      details: { labels: [`provider:${providerId}:prompt_blocked:${blockReason.toLowerCase()}`] },
    });
  }

  const candidate = answer.candidates?.[0];
  const finishReason = candidate?.finishReason ?? undefined;
  const warnings: GenerationWarning[] = [];
  const images: ProviderImage[] = [];
  const texts: string[] = [];
  for (const part of candidate?.content?.parts ?? []) {
    if (part.thought) continue;
    const inline = part.inlineData;
    if (inline?.data && (inline.mimeType ?? 'image/').startsWith('image/')) {
      images.push(decodeImage(inline.data, inline.mimeType, providerId, warnings));
    } else if (part.text) {
      texts.push(part.text);
    }
  }

  if (images.length === 0) {
    const said = candidate?.finishMessage ?? texts.join(' ');
    if (finishReason && FILTER_FINISH_REASONS.has(finishReason)) {
      throw new BackendError(
        `Google's safety filter withheld the image (${finishReason})${said ? `: ${clean(said)}` : '.'}`,
        {
          ...common,
          reason: 'content_filtered',
          upstreamCode: finishReason,
          details: {
            filtered_count: call.n,
            labels: [`provider:${providerId}:finish:${finishReason.toLowerCase()}`],
          },
        },
      );
    }
    throw new BackendError(
      `${call.model.id} answered without an image (finish reason ${finishReason ?? 'none'})${said ? `: ${clean(said)}` : '.'}`,
      {
        ...common,
        reason: 'malformed_response',
        upstreamCode: finishReason ?? 'NO_IMAGE',
        retryable: retryEmptyResults,
      },
    );
  }

  if (finishReason && FILTER_FINISH_REASONS.has(finishReason)) {
    warnings.push({
      type: 'content_filtered',
      message: `Google flagged the answer (${finishReason}) but returned an image.`,
    });
  }
  if (images.length > call.n) {
    warnings.push({
      type: 'other',
      param: 'n',
      message: `${call.model.id} returned ${images.length} images in one answer; the first ${call.n} were kept.`,
    });
    images.length = call.n;
  }
  checkFormat(call, images, warnings);
  return {
    images,
    ...(usage ? { usage } : {}),
    warnings,
    response: {
      modelId: answer.modelVersion ?? call.model.id,
      status: 200,
      ...(upstreamRequestId ? { upstreamRequestId } : {}),
    },
  };
}
