import { validationError } from '../../errors/gateway-error.ts';
import { imageEditRequestSchema, imageVariationRequestSchema } from '../../request/image-edit-request.ts';
import { imageRequestSchema } from '../../request/image-request.ts';
import { decodeInputImageSource, type InputImageSource } from '../../request/input-image-source.ts';
import { zodToValidationError } from '../../request/zod-error.ts';
import type { PipelineRequest, RequestContext, RequestInputs } from '../request-context.ts';
import type { Stage } from '../stage.ts';

/** The validated request and, for edits and variations, its input images decoded (not checked yet). */
function parseByOperation(ctx: RequestContext): { request: PipelineRequest; inputs?: RequestInputs } {
  if (ctx.operation === 'generate') {
    const parsed = imageRequestSchema.safeParse(ctx.input);
    if (!parsed.success) throw zodToValidationError(parsed.error);
    return { request: parsed.data };
  }
  if (ctx.operation === 'edit') {
    const parsed = imageEditRequestSchema.safeParse(ctx.input);
    if (!parsed.success) throw zodToValidationError(parsed.error);
    const { image, mask, ...request } = parsed.data;
    return { request, inputs: decodeInputs(image, mask) };
  }
  const parsed = imageVariationRequestSchema.safeParse(ctx.input);
  if (!parsed.success) throw zodToValidationError(parsed.error);
  const { image, ...request } = parsed.data;
  // A variation has no prompt: the later stages read an empty one (no guardrail runs on it).
  return { request: { ...request, prompt: '' }, inputs: decodeInputs(image, undefined) };
}

/** Decodes the sources: one image is `image`, several are `image[0]`, `image[1]`, ... */
function decodeInputs(
  image: InputImageSource | InputImageSource[],
  mask: InputImageSource | undefined,
): RequestInputs {
  const images = Array.isArray(image)
    ? image.map((source, index) => decodeInputImageSource(`image[${index}]`, source))
    : [decodeInputImageSource('image', image)];
  return { images, ...(mask === undefined ? {} : { mask: decodeInputImageSource('mask', mask) }) };
}

/**
 * parse: the request body through the operation's zod schema (strict: an unknown field is
 * refused, never dropped), the input images of an edit or variation turned into bytes, and the
 * model to use (the request's, or the configured default).
 */
export const parseStage: Stage = {
  name: 'parse',
  timing: 'validate',
  run(ctx, deps) {
    const { request, inputs } = parseByOperation(ctx);
    ctx.request = request;
    if (inputs) ctx.inputs = inputs;
    const modelName = request.model ?? deps.config.defaultModel;
    if (!modelName)
      throw validationError(
        'model',
        "'model' is required (this gateway has no default model). GET /v1/models lists the choices.",
      );
    ctx.facts.requestedModel = modelName;
  },
};
