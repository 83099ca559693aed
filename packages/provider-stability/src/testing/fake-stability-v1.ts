/**
 * The legacy v1 route (`POST /v1/generation/{engine}/text-to-image`): a JSON body checked against
 * the engine's size rule, up to ten samples answered as JSON artifacts or one raw PNG.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  SDXL_V1_SIZES,
  STABILITY_CREDITS_PER_IMAGE,
  STABILITY_STYLE_PRESETS,
  STABILITY_V1_CLIP_GUIDANCE_PRESETS,
  STABILITY_V1_SAMPLERS,
} from '../stability-catalog.ts';
import {
  charge,
  checkWords,
  deliver,
  type FakeStabilityContext,
  HttpFailure,
  randomSeed,
  render,
  V1_FIELDS,
  V1_MAX_SEED,
} from './fake-stability-context.ts';
import type {
  FakeStabilityRequest,
  FakeStabilityScenario,
  V1EngineSizeRule,
} from './fake-stability-types.ts';

/** How a v1 engine checks sizes (reference 2.2). */
function checkV1Size(rule: V1EngineSizeRule, width: number, height: number): void {
  const pixels = width * height;
  if (rule === 'sdxl' && !(SDXL_V1_SIZES as readonly string[]).includes(`${width}x${height}`)) {
    throw new HttpFailure(
      400,
      'invalid_sdxl_v1_dimensions',
      `height and width: for SDXL v1 must be one of ${SDXL_V1_SIZES.join(', ')}`,
    );
  }
  if (rule === '512' && (pixels < 262_144 || pixels > 1_048_576)) {
    throw new HttpFailure(
      400,
      'invalid_pixel_count',
      'height and width: must total 262144 to 1048576 pixels',
    );
  }
  if (rule === '768' && (pixels < 589_824 || pixels > 1_048_576)) {
    throw new HttpFailure(
      400,
      'invalid_pixel_count',
      'height and width: must total 589824 to 1048576 pixels',
    );
  }
  if (rule === 'beta') {
    const tooBig =
      (width > 512 && height > 512) || Math.max(width, height) > 896 || Math.min(width, height) > 512;
    if (tooBig) {
      throw new HttpFailure(
        400,
        'invalid_sdxl_v222_dimensions',
        'height and width: at most one side above 512, at most 512x896',
      );
    }
  }
}

/** The engine, headers and JSON body, checked as Stability does. */
function checkV1Request(
  ctx: FakeStabilityContext,
  engine: string,
  request: IncomingMessage,
  body: Buffer,
  record: FakeStabilityRequest,
): { rule: V1EngineSizeRule; wantsJson: boolean; json: Record<string, unknown> } {
  const rule = ctx.engines[engine];
  if (!rule || ctx.retired.has(engine))
    throw new HttpFailure(404, 'not_found', `engine: ${engine} was not found`);
  if (!/^application\/json\b/i.test(request.headers['content-type'] ?? '')) {
    throw new HttpFailure(400, 'bad_request', 'content-type: must be application/json');
  }
  const accept = (request.headers.accept ?? 'application/json').trim().toLowerCase();
  if (accept !== 'application/json' && accept !== 'image/png' && accept !== '*/*') {
    throw new HttpFailure(400, 'bad_request', 'accept: must be application/json or image/png');
  }
  const wantsJson = accept !== 'image/png';
  let json: Record<string, unknown>;
  try {
    const parsed = JSON.parse(body.toString('utf8')) as unknown;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new Error('not an object');
    json = parsed as Record<string, unknown>;
  } catch {
    throw new HttpFailure(400, 'bad_request', 'body: must be a JSON object');
  }
  record.json = json;
  if (ctx.unknownFields === 'reject') {
    for (const name of Object.keys(json)) {
      if (!V1_FIELDS.includes(name)) throw new HttpFailure(400, 'bad_request', `${name}: is not allowed`);
    }
  }
  return { rule, wantsJson, json };
}

/** The prompts and the numeric and enum fields of a v1 body. */
function checkV1Fields(rule: V1EngineSizeRule, json: Record<string, unknown>, wantsJson: boolean) {
  const prompts = json.text_prompts;
  if (!Array.isArray(prompts) || prompts.length === 0) {
    throw new HttpFailure(400, 'bad_request', 'text_prompts: is required and must hold at least one prompt');
  }
  for (const [index, prompt] of prompts.entries()) {
    const text = (prompt as { text?: unknown }).text;
    const weight = (prompt as { weight?: unknown }).weight;
    if (typeof text !== 'string' || text.length === 0 || text.length > 2000) {
      throw new HttpFailure(400, 'bad_request', `text_prompts[${index}].text: must be 1-2000 characters`);
    }
    if (weight !== undefined && (typeof weight !== 'number' || !Number.isFinite(weight))) {
      throw new HttpFailure(400, 'bad_request', `text_prompts[${index}].weight: must be a number`);
    }
  }
  const integer = (
    name: string,
    min: number,
    max: number,
    fallback: number,
    errorName = 'bad_request',
  ): number => {
    const value = json[name];
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      throw new HttpFailure(400, errorName, `${name}: must be an integer between ${min} and ${max}`);
    }
    return value;
  };
  const width = integer('width', 128, 16_384, 512, 'invalid_height_or_width');
  const height = integer('height', 128, 16_384, 512, 'invalid_height_or_width');
  if (width % 64 !== 0 || height % 64 !== 0) {
    throw new HttpFailure(400, 'invalid_height_or_width', 'height and width: must be multiples of 64');
  }
  checkV1Size(rule, width, height);
  const samples = integer('samples', 1, 10, 1, 'invalid_samples');
  if (samples > 1 && !wantsJson) {
    throw new HttpFailure(400, 'invalid_samples', 'samples: more than 1 requires accept: application/json');
  }
  const seed = integer('seed', 0, V1_MAX_SEED, 0);
  integer('steps', 10, 150, 50);
  const cfg = json.cfg_scale;
  if (cfg !== undefined && (typeof cfg !== 'number' || cfg < 0 || cfg > 35)) {
    throw new HttpFailure(400, 'bad_request', 'cfg_scale: must be a number between 0 and 35');
  }
  const enumField = (name: string, values: readonly string[]) => {
    const value = json[name];
    if (value !== undefined && (typeof value !== 'string' || !values.includes(value))) {
      throw new HttpFailure(400, 'bad_request', `${name}: must be one of ${values.join(', ')}`);
    }
  };
  enumField('sampler', STABILITY_V1_SAMPLERS);
  enumField('clip_guidance_preset', STABILITY_V1_CLIP_GUIDANCE_PRESETS);
  enumField('style_preset', STABILITY_STYLE_PRESETS);
  return { prompts, width, height, samples, seed };
}

/** Answers one v1 request: validated like the real engine, then its artifacts. */
export async function handleV1(
  ctx: FakeStabilityContext,
  engine: string,
  request: IncomingMessage,
  response: ServerResponse,
  body: Buffer,
  record: FakeStabilityRequest,
  scenario: FakeStabilityScenario,
): Promise<void> {
  const { rule, wantsJson, json } = checkV1Request(ctx, engine, request, body, record);
  const { prompts, width, height, samples, seed } = checkV1Fields(rule, json, wantsJson);
  const positive = prompts
    .filter((p) => ((p as { weight?: number }).weight ?? 1) >= 0)
    .map((p) => (p as { text: string }).text)
    .join(' ');
  const words = checkWords(ctx, positive);
  if (words === 'moderated') {
    throw new HttpFailure(
      400,
      'invalid_prompts',
      'text_prompts: one or more prompts contains filtered words',
    );
  }
  const price = (STABILITY_CREDITS_PER_IMAGE[engine] ?? 0.9) * samples;
  charge(ctx, price);

  const type = typeof scenario === 'string' ? scenario : scenario.type;
  const filteredCount =
    words === 'filtered'
      ? samples
      : type === 'content_filtered'
        ? Math.min(
            samples,
            typeof scenario === 'object' && scenario.type === 'content_filtered'
              ? (scenario.count ?? samples)
              : samples,
          )
        : 0;
  const baseSeed = seed === 0 ? randomSeed(ctx) : seed;
  const mixed = typeof scenario === 'object' && scenario.type === 'mixed_artifacts' ? scenario : undefined;
  const filteredUpTo = mixed ? Math.min(samples, mixed.filtered ?? 0) : filteredCount;
  const failedUpTo = mixed ? Math.min(samples, filteredUpTo + (mixed.failed ?? 0)) : filteredUpTo;
  const artifacts: Array<{ bytes: Uint8Array; seed: number; finishReason: string }> = [];
  for (let index = 0; index < samples; index++) {
    const artifactSeed = (baseSeed + index) % (V1_MAX_SEED + 1);
    const filtered = index < filteredUpTo;
    const failed = !filtered && index < failedUpTo;
    const bytes = failed
      ? new Uint8Array(0)
      : await render(
          ctx,
          width,
          height,
          'png',
          filtered ? '[content filtered: blurred]' : positive,
          artifactSeed,
        );
    const finishReason = filtered ? 'CONTENT_FILTERED' : failed ? 'ERROR' : 'SUCCESS';
    artifacts.push({ bytes, seed: artifactSeed, finishReason });
  }
  if (wantsJson) {
    const text = JSON.stringify({
      artifacts: artifacts.map((a) => ({
        ...(a.finishReason === 'ERROR' ? {} : { base64: Buffer.from(a.bytes).toString('base64') }),
        seed: a.seed,
        finishReason: a.finishReason,
      })),
    });
    return deliver(ctx, response, scenario, price, Buffer.from(text), { 'content-type': 'application/json' });
  }
  const only = artifacts[0]!;
  return deliver(ctx, response, scenario, price, Buffer.from(only.bytes), {
    'content-type': 'image/png',
    'finish-reason': only.finishReason,
    seed: String(only.seed),
  });
}
