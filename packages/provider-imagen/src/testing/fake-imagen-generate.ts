import { createHash, randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { GoogleApi } from '../google-model-data.ts';
import { type FakeImagenContext, fail, render } from './fake-imagen-context.ts';
import { closestRatio, type FakeInputImage, readInlineImages } from './fake-imagen-inputs.ts';
import type { FakeImagenModel, FakeImagenScenario } from './fake-imagen-types.ts';

/** The output's ratio and pixel size: the asked ratio and tier, or for an edit the first input's shape. */
function outputSize(
  ctx: FakeImagenContext,
  model: FakeImagenModel,
  imageConfig: Record<string, unknown>,
  inputs: FakeInputImage[],
): { aspectRatio: string; size: string } {
  // Without a ratio an edit follows its first input image's shape (reference 4.5).
  const aspectRatio = (imageConfig.aspectRatio ??
    (inputs[0]
      ? closestRatio(model.aspectRatios, inputs[0])
      : ctx.behaviour.geminiDefaultAspectRatio)) as string;
  if (!(aspectRatio in model.aspectRatios)) fail(400, `Unsupported aspect ratio: ${String(aspectRatio)}.`);
  let size = model.aspectRatios[aspectRatio]!;
  if (imageConfig.imageSize !== undefined) {
    const tier = imageConfig.imageSize as string;
    const known = tier === model.baseTier || model.sizeTiers[tier] !== undefined;
    if (!known && ctx.behaviour.unsupportedImageSize === 'reject')
      fail(400, `Unsupported image size: ${String(tier)}.`);
    if (model.sizeTiers[tier]) size = model.sizeTiers[tier]![aspectRatio]!;
  }
  return { aspectRatio, size };
}

/** Vertex-only `imageConfig` fields on the Gemini API, and Vertex's personGeneration values. */
function checkImageConfigForRoute(
  ctx: FakeImagenContext,
  api: GoogleApi,
  imageConfig: Record<string, unknown>,
): void {
  if (api === 'gemini') {
    const vertexOnly = ['personGeneration', 'prominentPeople', 'imageOutputOptions'].filter(
      (name) => imageConfig[name] !== undefined,
    );
    if (vertexOnly.length > 0 && ctx.behaviour.vertexOnlyImageConfig === 'reject') {
      fail(
        400,
        `${vertexOnly.join(', ')} ${vertexOnly.length === 1 ? 'is' : 'are'} not supported in the Gemini API.`,
      );
    }
  } else if (
    imageConfig.personGeneration !== undefined &&
    !['ALLOW_ALL', 'ALLOW_ADULT', 'ALLOW_NONE'].includes(imageConfig.personGeneration as string)
  ) {
    fail(400, `Invalid personGeneration: ${String(imageConfig.personGeneration)}.`);
  }
}

/** `generateContent` (and its stream) for Gemini image models. */
export async function handleGenerate(
  ctx: FakeImagenContext,
  model: FakeImagenModel,
  api: GoogleApi,
  body: Record<string, unknown>,
  scenario: FakeImagenScenario,
) {
  const contents = body.contents;
  const parts = Array.isArray(contents)
    ? ((contents.at(-1) as { parts?: unknown })?.parts as Array<{ text?: unknown }> | undefined)
    : undefined;
  const prompt = parts
    ?.map((part) => (typeof part.text === 'string' ? part.text : ''))
    .join(' ')
    .trim();
  if (!prompt) fail(400, '* GenerateContentRequest.contents: contents is not specified');
  const inputs = readInlineImages(ctx, model.id, parts ?? [], model.maxInputImages ?? 0);
  const config = (body.generationConfig ?? {}) as Record<string, unknown>;
  if (config.candidateCount !== undefined && config.candidateCount !== 1) {
    fail(400, `Multiple candidates is not enabled for models/${model.id}`);
  }
  const modalities = (config.responseModalities ?? ['TEXT', 'IMAGE']) as unknown[];
  const imageConfig = (config.imageConfig ?? {}) as Record<string, unknown>;
  const { size } = outputSize(ctx, model, imageConfig, inputs);
  const outputOptions = imageConfig.imageOutputOptions as
    | { mimeType?: string; compressionQuality?: number }
    | undefined;
  checkImageConfigForRoute(ctx, api, imageConfig);
  const mimeType = api === 'vertex' && outputOptions?.mimeType ? outputOptions.mimeType : model.mimeType;
  if (mimeType !== 'image/png' && mimeType !== 'image/jpeg')
    fail(400, `Unsupported imageOutputOptions.mimeType ${mimeType}.`);
  const responseId = `fake-${(++ctx.responseCounter).toString(36)}-${randomBytes(4).toString('hex')}`;
  const textPromptTokens = Math.max(1, Math.ceil((prompt as string).length / 4));
  const imagePromptTokens = inputs.length * (model.inputImageTokens ?? 258);
  const promptTokens = textPromptTokens + imagePromptTokens;
  const usage = (images: number, textTokens: number) => ({
    promptTokenCount: promptTokens,
    candidatesTokenCount: images * (model.imageTokens ?? 1120) + textTokens,
    totalTokenCount: promptTokens + images * (model.imageTokens ?? 1120) + textTokens,
    promptTokensDetails: [
      { modality: 'TEXT', tokenCount: textPromptTokens },
      ...(inputs.length > 0 ? [{ modality: 'IMAGE', tokenCount: imagePromptTokens }] : []),
    ],
    ...(images > 0
      ? {
          candidatesTokensDetails: [{ modality: 'IMAGE', tokenCount: images * (model.imageTokens ?? 1120) }],
        }
      : {}),
  });
  const wrap = (
    candidate: Record<string, unknown> | undefined,
    images: number,
    textTokens = 0,
    extra: Record<string, unknown> = {},
  ) => ({
    ...(candidate ? { candidates: [{ ...candidate, ...(api === 'gemini' ? { index: 0 } : {}) }] } : {}),
    ...extra,
    usageMetadata: usage(images, textTokens),
    modelVersion: model.id,
    responseId,
  });
  if (
    scenario === 'prompt_blocked' ||
    (typeof scenario === 'object' && scenario.type === 'prompt_feedback')
  ) {
    const blockReason =
      typeof scenario === 'object' && scenario.type === 'prompt_feedback'
        ? scenario.blockReason
        : 'PROHIBITED_CONTENT';
    return wrap(undefined, 0, 0, { promptFeedback: { blockReason } });
  }
  if (scenario === 'content_filtered') return wrap({ finishReason: 'IMAGE_SAFETY' }, 0);
  if (scenario === 'no_image') return wrap({ content: {}, finishReason: 'NO_IMAGE' }, 0);
  if (typeof scenario === 'object' && scenario.type === 'finish') {
    return wrap(
      {
        finishReason: scenario.finishReason,
        ...(scenario.finishMessage ? { finishMessage: scenario.finishMessage } : {}),
      },
      0,
    );
  }
  const wantText = modalities.includes('TEXT');
  if (scenario === 'text_only' || !modalities.includes('IMAGE')) {
    return wrap(
      {
        content: { role: 'model', parts: [{ text: "I can't draw that, but I can describe it." }] },
        finishReason: 'STOP',
      },
      0,
      12,
    );
  }
  const count = scenario === 'multiple_images' ? 2 : 1;
  const seed = Number.parseInt(
    createHash('sha256')
      .update(`${prompt as string}\u0000${inputs.map((input) => input.hash).join(',')}`)
      .digest('hex')
      .slice(0, 8),
    16,
  );
  const thinks = model.id.startsWith('gemini-3') || model.id.startsWith('gemini-nano');
  const outParts: unknown[] = [];
  if (scenario === 'thoughts') {
    outParts.push({ text: 'Planning the composition.', thought: true });
    outParts.push({
      inlineData: { mimeType, data: await render(ctx, size, mimeType, `draft ${prompt}`, seed + 99) },
      thought: true,
    });
  }
  if (wantText) outParts.push({ text: 'Here is your image.' });
  for (let index = 0; index < count; index++) {
    outParts.push({
      inlineData: {
        mimeType,
        data: await render(
          ctx,
          size,
          mimeType,
          prompt as string,
          seed + index,
          outputOptions?.compressionQuality,
        ),
      },
      ...(thinks ? { thoughtSignature: randomBytes(12).toString('base64') } : {}),
    });
  }
  const finishReason = scenario === 'unknown_finish_reason' ? 'FINISH_REASON_FROM_THE_FUTURE' : 'STOP';
  return wrap({ content: { role: 'model', parts: outParts }, finishReason }, count, wantText ? 5 : 0);
}

/**
 * Server-sent events the way `streamGenerateContent?alt=sse` sends them: text parts one by one,
 * each image whole in its own event, and a last event with the finish reason and full usage.
 */
export function stream(res: ServerResponse, answer: Record<string, unknown>) {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const candidates = answer.candidates as Array<Record<string, unknown>> | undefined;
  const candidate = candidates?.[0];
  const parts = ((candidate?.content as { parts?: unknown[] } | undefined)?.parts ?? []) as unknown[];
  const { candidates: _candidates, usageMetadata, ...rest } = answer;
  const event = (value: unknown) => res.write(`data: ${JSON.stringify(value)}\r\n\r\n`);
  if (!candidate) {
    event(answer);
    return res.end();
  }
  const { content: _content, finishReason, ...candidateRest } = candidate;
  for (const part of parts)
    event({ ...rest, candidates: [{ ...candidateRest, content: { role: 'model', parts: [part] } }] });
  event({
    ...rest,
    candidates: [{ ...candidateRest, content: { role: 'model', parts: [] }, finishReason }],
    usageMetadata,
  });
  res.end();
}
