import { modelAccessDeniedError } from '../../access/index.ts';
import { validateCapabilities } from '../../capabilities/validate-capabilities.ts';
import { validateOperation } from '../../capabilities/validate-operation.ts';
import { validationError } from '../../errors/gateway-error.ts';
import { qualifiedModelId } from '../../models/model-descriptor.ts';
import type { ImageProvider } from '../../provider/image-provider.ts';
import type { ImageRequest } from '../../request/image-request.ts';
import { zodToValidationError } from '../../request/zod-error.ts';
import type { PipelineDeps } from '../pipeline-deps.ts';
import {
  addWarningOnce,
  eventBase,
  need,
  type PreparedModel,
  type RequestContext,
} from '../request-context.ts';
import type { Stage } from '../stage.ts';

/** The request's options for one provider, checked by the provider's own schema. */
function providerOptionsFor(
  request: ImageRequest,
  provider: ImageProvider,
  deps: PipelineDeps,
): Record<string, unknown> {
  const all = request.provider_options ?? {};
  for (const namespace of Object.keys(all)) {
    if (!deps.registry.provider(namespace)) {
      throw validationError(
        `provider_options.${namespace}`,
        `Unknown provider namespace '${namespace}'; use one of ${deps.registry
          .providers()
          .map((p) => `'${p.id}'`)
          .join(', ')}.`,
      );
    }
  }
  const own = all[provider.id];
  if (own === undefined) return {};
  if (!provider.providerOptionsSchema) {
    if (Object.keys(own).length === 0) return {};
    throw validationError(
      `provider_options.${provider.id}`,
      `The provider '${provider.id}' takes no provider_options.`,
    );
  }
  const parsed = provider.providerOptionsSchema.safeParse(own);
  if (!parsed.success) throw zodToValidationError(parsed.error, `provider_options.${provider.id}`);
  return parsed.data;
}

/**
 * Resolves a model name, checks the tenant may use it, and checks every request value against the
 * model's capabilities (strict refuses, coerce warns). Used for the primary model and again for
 * each fallback model, so a fallback is held to the same rules.
 */
export function prepareModel(ctx: RequestContext, deps: PipelineDeps, modelName: string): PreparedModel {
  const request = need(ctx.request, 'request');
  const resolved = deps.registry.resolve(modelName);
  if (!deps.accessPolicy(ctx.tenant, resolved.model)) throw modelAccessDeniedError(modelName);
  deps.events.emit('model-resolve', {
    ...eventBase(ctx),
    model: qualifiedModelId(resolved.model),
    provider: resolved.provider.id,
    lifecycle: resolved.model.lifecycle.status,
  });
  const policy = deps.config.capabilityPolicy;
  const operation = validateOperation(ctx.operation, request, ctx.inputs, resolved.model, policy, () =>
    deps.registry.list(),
  );
  const checked = validateCapabilities(request, resolved.model, policy);
  const providerOptions = providerOptionsFor(request, resolved.provider, deps);
  for (const warning of [...resolved.warnings, ...operation.warnings, ...checked.warnings]) {
    if (addWarningOnce(ctx, warning)) deps.events.emit('capability-warning', { ...eventBase(ctx), warning });
  }
  return {
    resolved,
    call: { ...checked.call, ...operation.call, providerOptions },
    ...(operation.maskConversion ? { maskConversion: operation.maskConversion } : {}),
    ...(operation.inputImages ? { inputImages: operation.inputImages } : {}),
    ...(operation.stream ? { stream: operation.stream } : {}),
  };
}

/** The facts of the model in use: its checked input images and what it does with a stream. */
export function recordPreparedFacts(ctx: RequestContext, prepared: PreparedModel): void {
  if (prepared.inputImages) ctx.facts.inputImages = prepared.inputImages;
  if (prepared.stream) {
    ctx.facts.stream = {
      native: prepared.stream.native,
      partialImagesRequested: prepared.stream.partialImagesRequested,
      partialImagesSent: ctx.facts.stream?.partialImagesSent ?? 0,
    };
  }
}

/** resolve + access + capabilities for the model the request names. */
export const resolveStage: Stage = {
  name: 'resolve',
  timing: 'validate',
  run(ctx, deps) {
    const primary = prepareModel(ctx, deps, need(ctx.facts.requestedModel, 'requestedModel'));
    ctx.primary = primary;
    ctx.facts.model = primary.resolved.model;
    recordPreparedFacts(ctx, primary);
  },
};
