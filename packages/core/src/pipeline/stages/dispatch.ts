import { BackendError, GatewayError, toGatewayError } from '../../errors/gateway-error.ts';
import { qualifiedModelId } from '../../models/model-descriptor.ts';
import type {
  ImageProvider,
  ProviderCall,
  ProviderCallContext,
  ProviderPartialImage,
  ProviderResult,
} from '../../provider/image-provider.ts';
import { type DispatchResult, dispatchImages } from '../dispatch.ts';
import { composeProviderCall } from '../middleware.ts';
import type { PipelineDeps } from '../pipeline-deps.ts';
import { eventBase, need, type PreparedModel, type RequestContext } from '../request-context.ts';
import type { Stage } from '../stage.ts';
import { releaseReservation, reserveFor } from './budget-reserve.ts';
import { prepareInputsFor } from './prepare-inputs.ts';
import { prepareModel, recordPreparedFacts } from './resolve.ts';

/**
 * The plugin method of the call's operation. A plugin whose model declares `edit` or `variation`
 * without implementing the method is refused at registry load; this guards registries built by
 * hand.
 */
function providerMethod(
  provider: ImageProvider,
  call: ProviderCall,
): (call: ProviderCall, context: ProviderCallContext) => Promise<ProviderResult> {
  const method =
    call.operation === 'edit'
      ? provider.edit
      : call.operation === 'variation'
        ? provider.createVariation
        : provider.generate;
  if (!method) {
    throw new GatewayError(
      'CONFIGURATION_ERROR',
      `The provider '${provider.id}' declares ${call.operation} for '${qualifiedModelId(call.model)}' but does not implement it.`,
      { provider: provider.id },
    );
  }
  if (call.mask && call.mask.convention !== call.model.capabilities.edit?.mask?.convention) {
    throw new Error('pixelgate pipeline: a mask is dispatched before its conversion.');
  }
  return (c, context) => method.call(provider, c, context);
}

/**
 * Where a streamed call's partial images go: counted in the facts, turned into the caller's
 * event (base64 reused from the plugin when it had it), never stored. Nothing when not streaming.
 */
function partialImageSink(
  ctx: RequestContext,
  call: ProviderCall,
): ((partial: ProviderPartialImage) => void) | undefined {
  const listener = ctx.onPartialImage;
  if (!call.partialImages || !listener || call.operation === 'variation') return undefined;
  const operation = call.operation;
  return (partial) => {
    if (ctx.dispatched || ctx.signal.aborted) return; // late reports of a finished or cancelled call
    const stream = ctx.facts.stream;
    if (stream) stream.partialImagesSent++;
    listener({
      type: 'partial_image',
      operation,
      imageIndex: partial.imageIndex,
      partialImageIndex: partial.partialImageIndex,
      b64:
        partial.base64 ??
        Buffer.from(partial.bytes.buffer, partial.bytes.byteOffset, partial.bytes.byteLength).toString(
          'base64',
        ),
      mediaType: partial.mediaType,
      ...(call.size === undefined ? {} : { size: call.size }),
      ...(call.quality === undefined ? {} : { quality: call.quality }),
      ...(call.background === undefined ? {} : { background: call.background }),
      ...(call.outputFormat === undefined ? {} : { outputFormat: call.outputFormat }),
    });
  };
}

/** Sends one prepared model's call through the dispatcher, with events and middleware around each call. */
function dispatchTo(
  ctx: RequestContext,
  deps: PipelineDeps,
  prepared: PreparedModel,
): Promise<DispatchResult> {
  const { provider, model } = prepared.resolved;
  const qualified = qualifiedModelId(model);
  const base = eventBase(ctx);
  const texts = need(ctx.texts, 'texts');
  const credentials = ctx.tenant.credentials?.[provider.id];
  // The negative prompt is sent only where the capability check kept it, and then redacted.
  const call: ProviderCall = {
    ...prepared.call,
    prompt: texts.prompt,
    ...(prepared.call.negativePrompt !== undefined && texts.negativePrompt !== undefined
      ? { negativePrompt: texts.negativePrompt }
      : {}),
  };
  const { dispatch } = deps.config;
  const onPartialImage = partialImageSink(ctx, call);
  return dispatchImages({
    provider,
    call,
    invoke: composeProviderCall(deps.middleware, ctx, provider, providerMethod(provider, call)),
    ...(onPartialImage ? { onPartialImage } : {}),
    retry: dispatch.retry,
    concurrency: dispatch.concurrency,
    partialFailure: dispatch.partialFailure,
    signal: ctx.signal,
    deadlineAt: ctx.startedAt + dispatch.timeoutMs,
    now: () => deps.clock.now(),
    requestId: ctx.requestId,
    ...(credentials ? { credentials } : {}),
    logger: deps.logger,
    onCallStart: (event) => deps.events.emit('provider-call-start', { ...base, model: qualified, ...event }),
    onCallEnd: (event) =>
      deps.events.emit('provider-call-end', {
        ...base,
        model: qualified,
        callIndex: event.callIndex,
        attempt: event.attempt,
        durationMs: event.durationMs,
        images: event.images,
        ...(event.error ? { errorCode: event.error.code } : {}),
        ...(event.error && BackendError.isBackendError(event.error) ? { reason: event.error.reason } : {}),
      }),
    onRetry: (event) =>
      deps.events.emit('provider-retry', {
        ...base,
        model: qualified,
        callIndex: event.callIndex,
        attempt: event.attempt,
        delayMs: event.delayMs,
        ...(BackendError.isBackendError(event.error) ? { reason: event.error.reason } : {}),
      }),
  });
}

/** The fallback model names configured for a model (qualified id first, then bare id). */
function fallbacksFor(deps: PipelineDeps, prepared: PreparedModel): string[] {
  const { fallbacks } = deps.config.dispatch;
  const { model } = prepared.resolved;
  return fallbacks[qualifiedModelId(model)] ?? fallbacks[model.id] ?? [];
}

/** Whether a failure moves on to the next model in the chain. */
function canFallBack(
  deps: PipelineDeps,
  ctx: RequestContext,
  error: GatewayError,
  hasNext: boolean,
): boolean {
  const reason = BackendError.isBackendError(error) ? error.reason : undefined;
  return (
    hasNext &&
    reason !== undefined &&
    (deps.config.dispatch.fallbackOn as string[]).includes(reason) &&
    !ctx.signal.aborted
  );
}

/** Warnings and labels for what the provider withheld or failed to produce; none produced is an error. */
function recordDispatch(ctx: RequestContext, result: DispatchResult, used: PreparedModel): void {
  const { facts } = ctx;
  const requested = used.call.n;
  facts.model = used.resolved.model;
  facts.upstreamRequestIds.push(...result.upstreamRequestIds);
  facts.warnings.push(...result.warnings);
  for (const label of result.labels) facts.labels.add(label);
  if (result.usage) facts.usage = { ...result.usage } as Record<string, number>;
  if (result.filteredCount > 0) {
    facts.labels.add('provider:content_filtered');
    facts.warnings.push({
      type: 'content_filtered',
      param: 'n',
      message: `${result.filteredCount} of ${requested} images were withheld by the provider's safety filter.`,
    });
  }
  if (result.missing > 0) {
    facts.warnings.push({
      type: 'partial',
      param: 'n',
      message: `${result.missing} of ${requested} images failed (${result.firstError?.code ?? 'error'}); returning the ${result.images.length} that succeeded.`,
    });
  }
  if (result.images.length === 0) {
    throw new BackendError(`All ${requested} images were withheld by the provider's safety filter.`, {
      reason: 'content_filtered',
      provider: used.resolved.model.provider,
    });
  }
  if (result.images.length < requested && !facts.warnings.some((w) => w.type === 'partial')) {
    facts.warnings.push({
      type: 'partial',
      param: 'n',
      message: `Returning ${result.images.length} of ${requested} images.`,
    });
  }
}

/** Adds the time since `started` to a timing key. */
function time(ctx: RequestContext, deps: PipelineDeps, key: string, started: number): void {
  ctx.facts.timings[key] = (ctx.facts.timings[key] ?? 0) + (deps.clock.now() - started);
}

/**
 * dispatch with fallbacks: the primary model (its budget already reserved), then each configured
 * fallback on a failure listed in `dispatch.fallbackOn`. A fallback model is resolved, access- and
 * capability-checked and priced like the primary one (a fallback that fails those checks is
 * skipped); the reservation moves with it.
 */
async function runDispatch(ctx: RequestContext, deps: PipelineDeps): Promise<void> {
  const primary = need(ctx.primary, 'primary');
  const chain: Array<PreparedModel | string> = [primary, ...fallbacksFor(deps, primary)];
  let lastError: GatewayError | undefined;
  for (let index = 0; index < chain.length; index++) {
    const entry = chain[index]!;
    let prepared: PreparedModel;
    if (typeof entry === 'string') {
      try {
        prepared = prepareModel(ctx, deps, entry);
      } catch (error) {
        ctx.facts.attempts.push({ model: entry, outcome: 'skipped', errorCode: toGatewayError(error).code });
        continue;
      }
      await prepareInputsFor(ctx, deps, prepared);
      recordPreparedFacts(ctx, prepared);
      const started = deps.clock.now();
      ctx.reservation = await reserveFor(ctx, deps, prepared);
      time(ctx, deps, 'budget', started);
    } else prepared = entry;
    const qualified = qualifiedModelId(prepared.resolved.model);
    const started = deps.clock.now();
    try {
      const result = await dispatchTo(ctx, deps, prepared);
      time(ctx, deps, 'dispatch', started);
      ctx.facts.attempts.push({ model: qualified, outcome: 'success' });
      ctx.dispatched = { result, used: prepared };
      recordDispatch(ctx, result, prepared);
      return;
    } catch (error) {
      time(ctx, deps, 'dispatch', started);
      const normalized = toGatewayError(error);
      ctx.facts.attempts.push({ model: qualified, outcome: 'failed', errorCode: normalized.code });
      lastError = normalized;
      const next = chain[index + 1];
      if (!canFallBack(deps, ctx, normalized, next !== undefined)) throw normalized;
      await releaseReservation(ctx, deps);
      const nextName = typeof next === 'string' ? next : qualifiedModelId(next!.resolved.model);
      const reason = (normalized as BackendError).reason;
      deps.events.emit('model-fallback', {
        ...eventBase(ctx),
        from: qualified,
        to: nextName,
        errorCode: normalized.code,
      });
      ctx.facts.warnings.push({
        type: 'fallback',
        param: 'model',
        message: `${qualified} failed (${reason}); trying ${nextName}.`,
        from: qualified,
        to: nextName,
      });
    }
  }
  throw lastError ?? new GatewayError('INTERNAL_ERROR', 'No model could be tried.');
}

/** dispatch (split n, retry, deadline, abort, fallbacks). Times itself: fallbacks also reserve budget. */
export const dispatchStage: Stage = { name: 'dispatch', run: runDispatch };
