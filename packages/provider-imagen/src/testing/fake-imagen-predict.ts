import { createHash } from 'node:crypto';
import type { GoogleApi } from '../google-model-data.ts';
import {
  type FakeImagenContext,
  fail,
  LANGUAGES,
  PERSON_GENERATION,
  render,
  SAFETY_SETTINGS,
} from './fake-imagen-context.ts';
import { checkEditShape } from './fake-imagen-edit.ts';
import { checkRouteParameters } from './fake-imagen-route-checks.ts';
import type { FakeImagenModel, FakeImagenScenario } from './fake-imagen-types.ts';

/** The instance, sample count, aspect ratio, size tier and the route's refusals, as Imagen checks them. */
function checkPredictShape(
  ctx: FakeImagenContext,
  model: FakeImagenModel,
  api: GoogleApi,
  body: Record<string, unknown>,
): { prompt: string; parameters: Record<string, unknown>; n: number; size: string } {
  const instances = body.instances;
  const prompt =
    Array.isArray(instances) && instances.length === 1
      ? (instances[0] as { prompt?: unknown }).prompt
      : undefined;
  if (typeof prompt !== 'string' || prompt.length === 0)
    fail(400, 'instances must hold exactly one instance with a non-empty prompt.');
  const parameters = (body.parameters ?? {}) as Record<string, unknown>;
  const sampleCount = parameters.sampleCount ?? 1;
  if (
    !Number.isInteger(sampleCount) ||
    (sampleCount as number) < 1 ||
    (sampleCount as number) > model.maxSampleCount
  ) {
    fail(
      400,
      `Image generation failed with the following error: sampleCount must be between 1 and ${model.maxSampleCount}.`,
    );
  }
  const n = sampleCount as number;
  const aspectRatio = (parameters.aspectRatio ?? '1:1') as string;
  if (!(aspectRatio in model.aspectRatios)) {
    fail(
      400,
      `Image generation failed with the following error: Unsupported aspect ratio ${String(aspectRatio)}. Supported: ${Object.keys(model.aspectRatios).join(', ')}.`,
    );
  }
  let size = model.aspectRatios[aspectRatio]!;
  if (parameters.sampleImageSize !== undefined) {
    const tier = String(parameters.sampleImageSize).toUpperCase();
    if (tier !== '1K' && !model.sizeTiers[tier]) {
      fail(
        400,
        `Image generation failed with the following error: sampleImageSize ${String(parameters.sampleImageSize)} is not supported by ${model.id}.`,
      );
    }
    if (tier !== '1K') size = model.sizeTiers[tier]![aspectRatio]!;
  }
  checkRouteParameters(ctx, api, body, parameters);
  return { prompt: prompt as string, parameters, n, size };
}

/** `:predict` for Imagen models: validated like the reference says, real images, filter entries. */
export async function handlePredict(
  ctx: FakeImagenContext,
  model: FakeImagenModel,
  api: GoogleApi,
  body: Record<string, unknown>,
  scenario: FakeImagenScenario,
) {
  const { prompt, parameters, n, size, drawSalt } = model.editing
    ? checkEditShape(ctx, model, api, body)
    : { ...checkPredictShape(ctx, model, api, body), drawSalt: '' };
  const lower = (value: unknown) => (typeof value === 'string' ? value.toLowerCase() : value);
  if (
    parameters.personGeneration !== undefined &&
    !PERSON_GENERATION.includes(lower(parameters.personGeneration) as string)
  ) {
    fail(400, `Invalid personGeneration: ${String(parameters.personGeneration)}.`);
  }
  if (
    parameters.safetySetting !== undefined &&
    !SAFETY_SETTINGS.includes(lower(parameters.safetySetting) as string)
  ) {
    fail(400, `Invalid safetySetting: ${String(parameters.safetySetting)}.`);
  }
  if (parameters.language !== undefined && !LANGUAGES.includes(lower(parameters.language) as string)) {
    fail(400, `Invalid language: ${String(parameters.language)}.`);
  }
  const outputOptions = (parameters.outputOptions ?? {}) as {
    mimeType?: unknown;
    compressionQuality?: unknown;
  };
  const mimeType = outputOptions.mimeType ?? 'image/png';
  if (mimeType !== 'image/png' && mimeType !== 'image/jpeg')
    fail(400, `Unsupported outputOptions.mimeType ${String(mimeType)}.`);
  const quality = outputOptions.compressionQuality;
  if (
    quality !== undefined &&
    (!Number.isInteger(quality) || (quality as number) < 0 || (quality as number) > 100)
  ) {
    fail(400, 'outputOptions.compressionQuality must be an integer from 0 to 100.');
  }
  if (scenario === 'prompt_blocked') {
    fail(
      400,
      "Image generation failed with the following error: The prompt could not be submitted. This prompt contains sensitive words that violate Google's Responsible AI practices. Try rephrasing the prompt. If you think this was an error, send feedback. Support codes: 42876398",
    );
  }
  const includeRai = parameters.includeRaiReason === true;
  const filtered =
    scenario === 'content_filtered'
      ? n
      : typeof scenario === 'object' && scenario.type === 'filter'
        ? Math.min(n, scenario.count)
        : 0;
  const flagged = typeof scenario === 'object' && scenario.type === 'flagged' ? scenario.categories : [];
  const enhance = api === 'vertex' && parameters.enhancePrompt === true;
  const usedPrompt = enhance
    ? `${prompt}, rendered in rich detail with soft natural light and a balanced composition`
    : (prompt as string);
  const baseSeed =
    typeof parameters.seed === 'number'
      ? parameters.seed
      : Number.parseInt(
          createHash('sha256')
            .update(prompt as string)
            .digest('hex')
            .slice(0, 8),
          16,
        );
  const predictions: unknown[] = [];
  // With storageUri (Vertex), Google writes each image to Cloud Storage and answers with its gcsUri.
  const storageUri =
    api === 'vertex' && typeof parameters.storageUri === 'string' ? parameters.storageUri : undefined;
  for (let index = 0; storageUri !== undefined && index < n - filtered; index++) {
    predictions.push({
      mimeType,
      gcsUri: `${storageUri.replace(/\/+$/, '')}/${Date.now()}/sample_${index}.${mimeType === 'image/jpeg' ? 'jpg' : 'png'}`,
    });
  }
  for (let index = 0; storageUri === undefined && index < n - filtered; index++) {
    predictions.push({
      mimeType,
      bytesBase64Encoded: await render(
        ctx,
        size,
        mimeType,
        `${usedPrompt}${drawSalt}`,
        baseSeed + index,
        quality as number | undefined,
      ),
      ...(enhance ? { prompt: usedPrompt } : {}),
      ...(parameters.includeSafetyAttributes === true || flagged.length > 0
        ? { safetyAttributes: { categories: flagged, scores: flagged.map(() => 0.2) } }
        : {}),
    });
  }
  if (filtered > 0 && includeRai) {
    predictions.push({
      raiFilteredReason:
        filtered === n
          ? "Unable to show generated images. All images were filtered out because they violated Vertex AI's usage guidelines. You will not be charged for blocked images. Try rephrasing the prompt. If you think this was an error, send feedback. Support codes: 39322892, 29310472"
          : `Your current safety filter threshold filtered out ${filtered} generated images. You will not be charged for blocked images. Try rephrasing the prompt. If you think this was an error, send feedback.`,
    });
  }
  if (parameters.includeSafetyAttributes === true) {
    predictions.push({ contentType: 'Positive Prompt', safetyAttributes: { categories: [], scores: [] } });
  }
  return predictions.length > 0 ? { predictions } : {};
}
