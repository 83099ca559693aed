import { validationError } from '../../errors/gateway-error.ts';
import { imageRequestSchema } from '../../request/image-request.ts';
import { zodToValidationError } from '../../request/zod-error.ts';
import type { Stage } from '../stage.ts';

/**
 * parse: the request body through the zod request schema (strict: an unknown field is refused,
 * never dropped), and the model to use (the request's, or the configured default).
 */
export const parseStage: Stage = {
  name: 'parse',
  timing: 'validate',
  run(ctx, deps) {
    const parsed = imageRequestSchema.safeParse(ctx.input);
    if (!parsed.success) throw zodToValidationError(parsed.error);
    ctx.request = parsed.data;
    const modelName = parsed.data.model ?? deps.config.defaultModel;
    if (!modelName)
      throw validationError(
        'model',
        "'model' is required (this gateway has no default model). GET /v1/models lists the choices.",
      );
    ctx.facts.requestedModel = modelName;
  },
};
