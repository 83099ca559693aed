import { ANONYMOUS_TENANT, type TenantContext } from '../access/tenant.ts';
import { GatewayError, toGatewayError } from '../errors/gateway-error.ts';
import { qualifiedModelId } from '../models/model-descriptor.ts';
import { startDeadline } from './deadline.ts';
import type { GenerationResult } from './generation-result.ts';
import type { PartialImageEvent } from './image-stream.ts';
import { composeRequest } from './middleware.ts';
import { requestOutcome } from './outcome.ts';
import type { PipelineDeps } from './pipeline-deps.ts';
import {
  createRequestContext,
  eventBase,
  need,
  type Operation,
  type PreparedModel,
  type RequestContext,
} from './request-context.ts';
import { buildAuditRecord, buildResult } from './request-record.ts';
import type { Stage } from './stage.ts';
import { GENERATE_STAGES } from './stages/index.ts';

/** Per-request options of `generate`. */
export interface GenerateOptions {
  /** The caller; defaults to an anonymous tenant. */
  tenant?: TenantContext;
  /** Cancels the request (and every provider call and retry wait). */
  signal?: AbortSignal;
  /** Where the request came from, for audit (`library`, `http:openai`, `http:native`). */
  source?: string;
  /** Use this request id (for example one an HTTP layer already issued). */
  requestId?: string;
  /**
   * Absolute base URL for media links of this request (an HTTP layer passes the origin the client
   * used); `media.publicBaseUrl` in the configuration wins when set.
   */
  publicBaseUrl?: string;
  /**
   * A refusal the caller already decided before the stages could run (an HTTP layer's failed
   * authentication, unreadable body, wrong method): the request is audited and ended like any
   * other refused request, then this error is thrown. Keeps "one audit record per request" true
   * for requests that never reach the stages.
   */
  refusedWith?: GatewayError;
  /**
   * Streaming (`stream: true` in the request, on a model that streams natively): receives each
   * partial image as the provider reports it, before the final result. Partial images are never
   * stored; `gateway.stream` uses this to build its events.
   */
  onPartialImage?: (event: PartialImageEvent) => void;
}

/** Options of {@link PipelineRunner.preflight}: who asks, from where, under which id. */
export type PreflightOptions = Pick<GenerateOptions, 'tenant' | 'signal' | 'source' | 'requestId'>;

/** The checking stages of a request: those before the budget reservation, without the rate limit. */
function preflightStages(stages: ReadonlyArray<Stage>): Stage[] {
  const end = stages.findIndex((stage) => stage.name === 'budget-reserve');
  return stages.slice(0, end < 0 ? stages.length : end).filter((stage) => stage.name !== 'rate-limit');
}

/** Runs the stages in order; a stage that answers synchronously is not awaited. */
async function runStages(
  ctx: RequestContext,
  deps: PipelineDeps,
  stages: ReadonlyArray<Stage>,
  ran: Stage[],
) {
  for (const stage of stages) {
    if (ctx.signal.aborted) throw ctx.signal.reason;
    ran.push(stage);
    const started = deps.clock.now();
    const pending = stage.run(ctx, deps);
    if (pending) await pending;
    if (stage.timing) {
      ctx.facts.timings[stage.timing] = (ctx.facts.timings[stage.timing] ?? 0) + (deps.clock.now() - started);
    }
  }
}

/**
 * The pipeline runner: a request goes through a list of stages (data: see `GENERATE_STAGES`),
 * inside the configured request middleware, under one deadline. Whatever happens, exactly one
 * audit record is written (in `finally`) and one `request-end` event emitted; on a failure, every
 * stage that ran may undo what it holds (a budget reservation) before the record is written.
 */
export class PipelineRunner {
  readonly #deps: PipelineDeps;
  readonly #stages: ReadonlyArray<Stage>;

  constructor(deps: PipelineDeps, stages: ReadonlyArray<Stage> = GENERATE_STAGES) {
    this.#deps = deps;
    this.#stages = stages;
  }

  /** The stages this runner uses, in order. */
  get stages(): ReadonlyArray<Stage> {
    return this.#stages;
  }

  /** Runs one request. Throws a GatewayError; the audit record is written either way. */
  generate(input: unknown, options: GenerateOptions = {}): Promise<GenerationResult> {
    return this.run('generate', input, options);
  }

  /** Runs one request of any operation through the stages. */
  async run(operation: Operation, input: unknown, options: GenerateOptions = {}): Promise<GenerationResult> {
    const deps = this.#deps;
    const { deadline, ctx } = this.#start(operation, input, options);
    this.#emitStart(ctx);
    const ran: Stage[] = [];
    let failure: GatewayError | undefined;
    let result: GenerationResult | undefined;
    try {
      if (options.refusedWith) throw options.refusedWith;
      result = await composeRequest(deps.middleware, ctx, async () => {
        await runStages(ctx, deps, this.#stages, ran);
        return buildResult(ctx, deps.clock.now());
      });
    } catch (error) {
      failure = await this.#fail(ctx, error, ran);
    } finally {
      deadline.clear();
      failure = await this.#audit(ctx, failure);
    }
    if (failure) throw failure;
    return result!;
  }

  /**
   * Checks a request as far as it can be checked without running it: parse, model, access,
   * capabilities, input images and the input guardrails (no rate limit, no budget, no provider
   * call). For work accepted now and run later (a durable job): a refusal is audited as the
   * request's one record and thrown; a pass writes nothing, since the later run writes the record.
   * Answers the model and the call the later run will prepare again.
   */
  async preflight(
    operation: Operation,
    input: unknown,
    options: PreflightOptions = {},
  ): Promise<PreparedModel> {
    const deps = this.#deps;
    const { deadline, ctx } = this.#start(operation, input, options);
    const ran: Stage[] = [];
    try {
      await runStages(ctx, deps, preflightStages(this.#stages), ran);
      return need(ctx.primary, 'primary');
    } catch (error) {
      this.#emitStart(ctx);
      const failure = await this.#fail(ctx, error, ran);
      throw (await this.#audit(ctx, failure)) ?? failure;
    } finally {
      deadline.clear();
    }
  }

  /** A request's deadline (one timer, held until `clear()`) and its fresh context. */
  #start(operation: Operation, input: unknown, options: GenerateOptions) {
    const deps = this.#deps;
    const deadline = startDeadline(deps.config.dispatch.timeoutMs, options.signal);
    const ctx = createRequestContext({
      operation,
      requestId: options.requestId ?? deps.ids.next('req'),
      tenant: options.tenant ?? ANONYMOUS_TENANT,
      source: options.source ?? 'library',
      input,
      signal: deadline.signal,
      startedAt: deps.clock.now(),
      ...(options.publicBaseUrl ? { publicBaseUrl: options.publicBaseUrl } : {}),
      ...(options.onPartialImage ? { onPartialImage: options.onPartialImage } : {}),
    });
    return { deadline, ctx };
  }

  #emitStart(ctx: RequestContext): void {
    const model = (ctx.input as { model?: unknown } | null)?.model;
    this.#deps.events.emit('request-start', {
      ...eventBase(ctx),
      source: ctx.source,
      operation: ctx.operation,
      ...(typeof model === 'string' && model ? { requestedModel: model } : {}),
    });
  }

  /** Normalizes a failure (an abort is TIMEOUT or ABORTED), logs internal errors, undoes what stages hold. */
  async #fail(ctx: RequestContext, error: unknown, ran: Stage[]): Promise<GatewayError> {
    const failure =
      ctx.signal.aborted && !GatewayError.isInstance(error)
        ? toGatewayError(ctx.signal.reason)
        : toGatewayError(error);
    // The HTTP layer answers with the x-ratelimit-* figures of a refused request too.
    if (ctx.facts.rateLimit.length > 0) failure.rateLimit = ctx.facts.rateLimit;
    if (failure.code === 'INTERNAL_ERROR')
      this.#deps.logger.error(
        {
          requestId: ctx.requestId,
          err: failure.cause instanceof Error ? failure.cause : String(failure.cause),
        },
        'pixelgate: internal error',
      );
    for (const stage of ran.reverse()) {
      try {
        await stage.onFailure?.(ctx, this.#deps, failure);
      } catch {
        // An undo step must not hide the request's own failure.
      }
    }
    return failure;
  }

  /**
   * Writes the record and emits `request-end`. Returns the request's failure, or an INTERNAL_ERROR
   * when a successful request could not be audited and `audit.failClosed` withholds its result.
   */
  async #audit(ctx: RequestContext, failure: GatewayError | undefined): Promise<GatewayError | undefined> {
    const deps = this.#deps;
    const started = deps.clock.now();
    let outcome = requestOutcome(failure, ctx.facts.warnings);
    try {
      const record = buildAuditRecord(ctx, deps.config, failure, outcome, started);
      await deps.auditSink.write(record);
      deps.events.emit('audit-write', { ...eventBase(ctx), outcome, durationMs: deps.clock.now() - started });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      deps.events.emit('audit-error', { ...eventBase(ctx), message });
      deps.logger.error({ requestId: ctx.requestId, message }, 'pixelgate: audit write failed');
      if (deps.config.audit.failClosed && !failure) {
        failure = new GatewayError(
          'INTERNAL_ERROR',
          'The request could not be audited, so its result is withheld.',
          {
            cause: error,
          },
        );
        outcome = requestOutcome(failure, ctx.facts.warnings);
      }
    }
    const { facts } = ctx;
    deps.events.emit('request-end', {
      ...eventBase(ctx),
      outcome,
      ...(facts.model ? { model: qualifiedModelId(facts.model) } : {}),
      durationMs: deps.clock.now() - ctx.startedAt,
      images: facts.images.length,
      ...(facts.cost.actualUsd === undefined ? {} : { costUsd: facts.cost.actualUsd }),
      ...(failure ? { errorCode: failure.code } : {}),
      ...(facts.usage ? { usage: facts.usage } : {}),
      warnings: facts.warnings.length,
      operation: ctx.operation,
      ...(facts.inputImages ? { inputImages: facts.inputImages.map((image) => ({ ...image })) } : {}),
      ...(facts.stream ? { stream: { ...facts.stream } } : {}),
      timings: { ...facts.timings },
    });
    return failure;
  }
}
