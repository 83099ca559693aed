/**
 * The fake fal server's request book: input validation per model (by the same catalog data as the
 * plugin), the queue state machine (IN_QUEUE, IN_PROGRESS, COMPLETED) and the model output.
 */
import { randomBytes } from 'node:crypto';
import type { ModelDescriptorInput } from '@pixelgate/core/spec';
import {
  FAL_IMAGE_SIZE_PRESETS,
  type FalProviderData,
  falModels,
  falProviderDataSchema,
} from '../fal-catalog.ts';

/** One model the fake serves. */
export interface FakeFalModel {
  id: string;
  data: FalProviderData;
  model: ModelDescriptorInput;
}

/** How a request ends. */
export type FakeFalOutcome = 'ok' | 'result_error' | 'content_policy';

/** One request the fake accepted. */
export interface FakeFalRequestState {
  id: string;
  model: string;
  input: Record<string, unknown>;
  width: number;
  height: number;
  format: 'png' | 'jpeg';
  count: number;
  seed: number;
  submittedAt: number;
  startsAt: number;
  completesAt: number;
  outcome: FakeFalOutcome;
  nsfw: boolean[];
  cancelled: boolean;
  polls: number;
  pollRateLimits: number;
  unknownStatus: boolean;
  foreignResultHost: boolean;
  resultExpired: boolean;
}

/** The models of the built-in catalog plus extras, by endpoint. */
export function fakeFalModels(extra: ModelDescriptorInput[] = []): Map<string, FakeFalModel> {
  const map = new Map<string, FakeFalModel>();
  for (const model of [...falModels(), ...extra]) {
    const data = falProviderDataSchema.parse(model.providerData);
    map.set(data.endpoint, { id: model.id, data, model });
  }
  return map;
}

/** A request id in fal's shape (a UUID). */
export function newRequestId(): string {
  const hex = randomBytes(16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Where a queued request stands at `now`. */
export function queueStatus(
  request: FakeFalRequestState,
  now: number,
): 'IN_QUEUE' | 'IN_PROGRESS' | 'COMPLETED' {
  if (now < request.startsAt) return 'IN_QUEUE';
  return now < request.completesAt ? 'IN_PROGRESS' : 'COMPLETED';
}

type Problem = { loc: string[]; msg: string; type: string };
const problem = (field: string, msg: string, type = 'value_error'): { problem: Problem } => ({
  problem: { loc: ['body', field], msg, type },
});

function sizeOf(
  input: Record<string, unknown>,
  entry: FakeFalModel,
): { problem: Problem } | { width: number; height: number } {
  const capabilities = entry.model.capabilities;
  if (entry.data.sizing === 'aspect_ratio') {
    const ratio = String(input.aspect_ratio ?? '1:1');
    const size = capabilities.aspectRatios?.[ratio];
    if (!size)
      return problem(
        'aspect_ratio',
        `Input should be one of ${Object.keys(capabilities.aspectRatios ?? {}).join(', ')}`,
      );
    const [width, height] = size.split('x').map(Number) as [number, number];
    return { width, height };
  }
  const value = input.image_size ?? 'landscape_4_3';
  if (typeof value === 'string') {
    const size = FAL_IMAGE_SIZE_PRESETS[value];
    if (!size) return problem('image_size', `Unknown image_size preset '${value}'`);
    const [width, height] = size.split('x').map(Number) as [number, number];
    return { width, height };
  }
  const rule = capabilities.sizeRule;
  const { width, height } = value as { width?: unknown; height?: unknown };
  if (!rule) return problem('image_size', 'This model accepts image_size presets only');
  for (const side of [width, height]) {
    if (
      typeof side !== 'number' ||
      !Number.isInteger(side) ||
      side < rule.minSide ||
      side > rule.maxSide ||
      side % (rule.multipleOf ?? 1) !== 0
    ) {
      return problem(
        'image_size',
        `width and height must be integers from ${rule.minSide} to ${rule.maxSide} in multiples of ${rule.multipleOf ?? 1}`,
      );
    }
  }
  return { width: width as number, height: height as number };
}

/** Checks a model input; returns the 422 detail of the first problem or what to draw. */
export function checkInput(
  input: Record<string, unknown>,
  entry: FakeFalModel,
): { problem: Problem } | { width: number; height: number; format: 'png' | 'jpeg'; count: number } {
  if (typeof input.prompt !== 'string' || input.prompt.length === 0)
    return problem('prompt', 'Field required', 'missing');
  const known = [
    'prompt',
    'image_size',
    'aspect_ratio',
    'num_images',
    'output_format',
    'style',
    'seed',
    'negative_prompt',
    'sync_mode',
    ...entry.data.options,
  ];
  const unknown = Object.keys(input).find((key) => !known.includes(key));
  if (unknown) return problem(unknown, 'Extra inputs are not permitted', 'extra_forbidden');
  const capabilities = entry.model.capabilities;
  const count = input.num_images ?? 1;
  if (
    typeof count !== 'number' ||
    !Number.isInteger(count) ||
    count < 1 ||
    count > capabilities.maxImagesPerCall
  ) {
    return problem('num_images', `Input should be between 1 and ${capabilities.maxImagesPerCall}`);
  }
  const formats = capabilities.outputFormats ?? ['png'];
  const format = input.output_format ?? formats[0];
  if (format !== 'png' && format !== 'jpeg')
    return problem('output_format', "Input should be 'jpeg' or 'png'");
  if (
    input.safety_tolerance !== undefined &&
    !['1', '2', '3', '4', '5', '6'].includes(input.safety_tolerance as string)
  ) {
    return problem('safety_tolerance', "Input should be '1', '2', '3', '4', '5' or '6'");
  }
  if (input.style !== undefined && !(capabilities.styles ?? []).includes(input.style as string))
    return problem('style', 'Unknown style');
  const size = sizeOf(input, entry);
  if ('problem' in size) return size;
  return { ...size, format, count };
}

/** The model output of a completed request, with image URLs on the CDN. */
export function outputOf(request: FakeFalRequestState, cdnUrl: string): Record<string, unknown> {
  const cdn = request.foreignResultHost ? 'https://cdn.example.net' : cdnUrl;
  const ext = request.format === 'png' ? 'png' : 'jpg';
  return {
    images: Array.from({ length: request.count }, (_, index) => ({
      url: `${cdn}/files/${request.id}/${index}.${ext}`,
      width: request.width,
      height: request.height,
      content_type: request.format === 'png' ? 'image/png' : 'image/jpeg',
    })),
    seed: request.seed,
    has_nsfw_concepts: request.nsfw,
    prompt: request.input.prompt,
    timings: { inference: (request.completesAt - request.startsAt) / 1000 },
  };
}
