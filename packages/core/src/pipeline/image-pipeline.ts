import { createHash, randomUUID } from 'node:crypto';
import { modelAccessDeniedError } from '../access/index.ts';
import { ANONYMOUS_TENANT, type TenantContext } from '../access/tenant.ts';
import type { AuditRecord, AuditRecordInput, AuditSink } from '../audit/audit-record.ts';
import { auditRecordSchema } from '../audit/audit-record.ts';
import { promptForAudit } from '../audit/index.ts';
import type { BudgetReservation, BudgetStore } from '../budget/budget-store.ts';
import { budgetBuckets, budgetExceededError } from '../budget/index.ts';
import { validateCapabilities } from '../capabilities/validate-capabilities.ts';
import { type Clock, type IdGenerator, TOKENS } from '../container/tokens.ts';
import { inject, injectable } from '../container/tsyringe.ts';
import { BackendError, GatewayError, toGatewayError, validationError } from '../errors/gateway-error.ts';
import type { GatewayEventEmitter } from '../events/gateway-events.ts';
import type { AccessPolicy, GatewayConfig } from '../gateway/gateway-options.ts';
import type { Guardrail, RecordedVerdict } from '../guardrails/guardrail.ts';
import { contentBlockedError, redactPromptForAudit, runGuardrails } from '../guardrails/index.ts';
import { createMediaDelivery, type MediaDelivery } from '../media/media-delivery.ts';
import type { MediaSigner } from '../media/media-signer.ts';
import { type ModelDescriptor, qualifiedModelId } from '../models/model-descriptor.ts';
import { estimateImagePrice, priceFromUsage, roundUsd } from '../models/pricing.ts';
import type { ImageProvider, ProviderCall } from '../provider/image-provider.ts';
import type { Logger } from '../provider/logger.ts';
import type { GenerationWarning } from '../provider/warning.ts';
import { rateLimitEntries, rateLimitedError } from '../rate-limit/index.ts';
import type { RateLimitDecision, RateLimitStore } from '../rate-limit/rate-limit-store.ts';
import type { ModelRegistry, ResolvedModel } from '../registry/model-registry.ts';
import { type ImageRequest, imageRequestSchema } from '../request/image-request.ts';
import { zodToValidationError } from '../request/zod-error.ts';
import { parseSize } from '../shared/image-size.ts';
import { extensionFor, sniffImage } from '../shared/media-type.ts';
import type { StorageAdapter, StoredObjectInfo } from '../storage/storage-adapter.ts';
import { type DispatchResult, dispatchImages } from './dispatch.ts';
import type { GeneratedImage, GenerationResult, ImageData } from './generation-result.ts';

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
}

/** Facts collected along the way for the one audit record. */
interface RequestState {
  requestId: string;
  tenant: TenantContext;
  source: string;
  startedAt: number;
  request?: ImageRequest;
  rawModel?: string;
  model?: ModelDescriptor;
  warnings: GenerationWarning[];
  verdicts: RecordedVerdict[];
  labels: Set<string>;
  images: GeneratedImage[];
  attempts: Array<{ model: string; outcome: string; errorCode?: string }>;
  upstreamRequestIds: string[];
  timings: Record<string, number>;
  estimatedUsd?: number;
  actualUsd?: number;
  costBasis: string;
  usage?: Record<string, number>;
  rateLimit: RateLimitDecision[];
  publicBaseUrl?: string;
  /** The budget reservation currently held, if any. */
  reservation?: BudgetReservation;
}

function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Base64 of the bytes, reusing the provider's own text when it is the canonical encoding. */
function toBase64(bytes: Uint8Array, upstream?: string): string {
  if (upstream !== undefined && upstream.length === 4 * Math.ceil(bytes.byteLength / 3)) return upstream;
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** Request parameters kept in the audit record: everything but the prompt texts and free metadata. */
function auditParameters(request: ImageRequest | undefined): Record<string, unknown> {
  if (!request) return {};
  const {
    prompt: _prompt,
    negative_prompt: negativePrompt,
    metadata: _metadata,
    provider_options: providerOptions,
    ...rest
  } = request;
  return {
    ...rest,
    ...(negativePrompt === undefined ? {} : { negative_prompt_sha256: sha256Hex(negativePrompt) }),
    ...(providerOptions === undefined ? {} : { provider_options: Object.keys(providerOptions) }),
  };
}

/**
 * The generation pipeline, in the order of the design: parse, resolve, access, capabilities,
 * rate limit, input guardrails, budget reserve, dispatch (with fallbacks), output guardrails,
 * store, deliver, budget settle, audit. Whatever happens, exactly one audit record is written
 * and one `request-end` event emitted.
 */
@injectable()
export class ImagePipeline {
  readonly #delivery: MediaDelivery;

  constructor(
    @inject(TOKENS.Options) private readonly config: GatewayConfig,
    @inject(TOKENS.ModelRegistry) private readonly registry: ModelRegistry,
    @inject(TOKENS.Storage) private readonly storage: StorageAdapter,
    @inject(TOKENS.AuditSink) private readonly auditSink: AuditSink,
    @inject(TOKENS.BudgetStore) private readonly budgetStore: BudgetStore,
    @inject(TOKENS.RateLimitStore) private readonly rateLimitStore: RateLimitStore,
    @inject(TOKENS.Guardrails) private readonly guardrails: Guardrail[],
    @inject(TOKENS.AccessPolicy) private readonly accessPolicy: AccessPolicy,
    @inject(TOKENS.MediaSigner) mediaSigner: MediaSigner,
    @inject(TOKENS.Events) private readonly events: GatewayEventEmitter,
    @inject(TOKENS.Clock) private readonly clock: Clock,
    @inject(TOKENS.IdGenerator) private readonly ids: IdGenerator,
    @inject(TOKENS.Logger) private readonly logger: Logger,
  ) {
    this.#delivery = createMediaDelivery({
      mode: config.media.mode,
      ...(config.media.publicBaseUrl ? { publicBaseUrl: config.media.publicBaseUrl } : {}),
      pathPrefix: `${config.media.pathPrefix}/v1/media/`,
      signer: mediaSigner,
      storage,
      defaultTtlSeconds: config.media.ttlSeconds,
      clock,
    });
  }

  /** Runs one request through every stage. Throws a GatewayError; the audit record is written either way. */
  async generate(input: unknown, options: GenerateOptions = {}): Promise<GenerationResult> {
    const state: RequestState = {
      requestId: options.requestId ?? this.ids.next('req'),
      tenant: options.tenant ?? ANONYMOUS_TENANT,
      source: options.source ?? 'library',
      startedAt: this.clock.now(),
      warnings: [],
      verdicts: [],
      labels: new Set(),
      images: [],
      attempts: [],
      upstreamRequestIds: [],
      timings: {},
      costBasis: 'none',
      rateLimit: [],
      ...(options.publicBaseUrl ? { publicBaseUrl: options.publicBaseUrl } : {}),
    };
    const base = { requestId: state.requestId, tenantId: state.tenant.tenantId };
    const rawModel =
      typeof (input as { model?: unknown } | null)?.model === 'string'
        ? (input as { model: string }).model
        : undefined;
    this.events.emit('request-start', {
      ...base,
      source: state.source,
      ...(rawModel ? { requestedModel: rawModel } : {}),
    });
    const deadline = AbortSignal.timeout(this.config.dispatch.timeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, deadline]) : deadline;
    let failure: GatewayError | undefined;
    let result: GenerationResult | undefined;
    try {
      result = await this.#run(input, state, signal);
      const reservation = state.reservation;
      if (reservation) {
        await this.budgetStore.settle(reservation, state.actualUsd ?? reservation.amountUsd);
        this.events.emit('budget-settle', {
          ...base,
          reservedUsd: reservation.amountUsd,
          actualUsd: state.actualUsd,
          released: false,
        });
      }
    } catch (error) {
      failure =
        signal.aborted && !GatewayError.isInstance(error)
          ? toGatewayError(signal.reason)
          : toGatewayError(error);
      if (failure.code === 'INTERNAL_ERROR')
        this.logger.error(
          {
            requestId: state.requestId,
            err: failure.cause instanceof Error ? failure.cause : String(failure.cause),
          },
          'pixelgate: internal error',
        );
      const reservation = state.reservation;
      if (reservation) {
        await this.budgetStore.release(reservation).catch(() => {});
        this.events.emit('budget-settle', {
          ...base,
          reservedUsd: reservation.amountUsd,
          actualUsd: undefined,
          released: true,
        });
      }
    }
    try {
      await this.#audit(state, failure);
    } catch (error) {
      failure = toGatewayError(error);
    }
    const durationMs = this.clock.now() - state.startedAt;
    const outcome = failure
      ? this.#outcomeOf(failure)
      : state.warnings.some((w) => w.type === 'partial')
        ? 'partial'
        : 'success';
    this.events.emit('request-end', {
      ...base,
      outcome,
      ...(state.model ? { model: qualifiedModelId(state.model) } : {}),
      durationMs,
      images: state.images.length,
      ...(state.actualUsd === undefined ? {} : { costUsd: state.actualUsd }),
      ...(failure ? { errorCode: failure.code } : {}),
      ...(state.usage ? { usage: state.usage } : {}),
      warnings: state.warnings.length,
    });
    if (failure) throw failure;
    return result!;
  }

  #outcomeOf(error: GatewayError): AuditRecord['outcome'] {
    if (error.code === 'CONTENT_BLOCKED') return 'blocked';
    if (error.code === 'BACKEND_ERROR' && error.details?.reason === 'content_filtered') return 'blocked';
    return error.status < 500 && error.code !== 'BACKEND_ERROR' && error.code !== 'ABORTED'
      ? 'rejected'
      : 'failed';
  }

  #time(state: RequestState, stage: string, started: number): void {
    state.timings[stage] = (state.timings[stage] ?? 0) + (this.clock.now() - started);
  }

  async #run(input: unknown, state: RequestState, signal: AbortSignal): Promise<GenerationResult> {
    const base = { requestId: state.requestId, tenantId: state.tenant.tenantId };
    let started = this.clock.now();

    // 1. parse
    const parsed = imageRequestSchema.safeParse(input);
    if (!parsed.success) throw zodToValidationError(parsed.error);
    const request = parsed.data;
    state.request = request;
    const modelName = request.model ?? this.config.defaultModel;
    if (!modelName)
      throw validationError(
        'model',
        "'model' is required (this gateway has no default model). GET /v1/models lists the choices.",
      );
    state.rawModel = modelName;

    // 2-4. resolve, access, capabilities (repeated for each fallback model)
    const primary = this.#prepare(modelName, request, state);
    state.model = primary.resolved.model;
    this.#time(state, 'validate', started);

    // 5. rate limit
    started = this.clock.now();
    const entries = rateLimitEntries(this.config.rateLimits.rules, state.tenant, request.n ?? 1);
    if (entries.length) {
      const decisions = await this.rateLimitStore.consume(entries, this.clock.now());
      state.rateLimit = decisions;
      const tightest = decisions.reduce((a, b) => (b.remaining < a.remaining ? b : a), decisions[0]!);
      this.events.emit('rate-limit', {
        ...base,
        allowed: decisions.every((d) => d.allowed),
        limit: tightest.limit,
        remaining: tightest.remaining,
        resetMs: tightest.resetMs,
        decisions,
      });
      if (decisions.some((d) => !d.allowed)) throw rateLimitedError(decisions);
    }
    this.#time(state, 'rate_limit', started);

    // 6. input guardrails
    started = this.clock.now();
    const inputGuardrails = this.guardrails.filter((g) => g.stage === 'input');
    let prompt = request.prompt;
    let negativePrompt = request.negative_prompt;
    if (inputGuardrails.length) {
      const outcome = await runGuardrails(
        inputGuardrails,
        {
          stage: 'input',
          prompt,
          ...(request.negative_prompt ? { negativePrompt: request.negative_prompt } : {}),
          model: primary.resolved.model,
          tenant: state.tenant,
          requestId: state.requestId,
        },
        { signal, onVerdict: (verdict) => this.events.emit('guardrail-verdict', { ...base, verdict }) },
      );
      state.verdicts.push(...outcome.verdicts);
      for (const label of outcome.labels) state.labels.add(label);
      if (outcome.blocked) throw contentBlockedError(outcome.blocked);
      prompt = outcome.prompt;
      if (outcome.negativePrompt !== undefined) negativePrompt = outcome.negativePrompt;
    }
    this.#time(state, 'input_guardrails', started);

    // 7-8. budget reserve and dispatch, walking the fallback list
    const chain = [primary, ...this.#fallbacksFor(primary.resolved.model)];
    let dispatched: DispatchResult | undefined;
    let used = primary;
    let lastError: GatewayError | undefined;
    for (let index = 0; index < chain.length; index++) {
      let candidate = chain[index]!;
      if (typeof candidate === 'string') {
        try {
          candidate = this.#prepare(candidate, request, state);
        } catch (error) {
          state.attempts.push({
            model: chain[index] as string,
            outcome: 'skipped',
            errorCode: toGatewayError(error).code,
          });
          continue;
        }
      }
      const prepared = candidate as Prepared;
      const qualified = qualifiedModelId(prepared.resolved.model);
      started = this.clock.now();
      state.reservation = await this.#reserve(prepared, state);
      this.#time(state, 'budget', started);
      started = this.clock.now();
      try {
        dispatched = await this.#dispatch(prepared, { prompt, negativePrompt }, state, signal);
        used = prepared;
        state.attempts.push({ model: qualified, outcome: 'success' });
        this.#time(state, 'dispatch', started);
        break;
      } catch (error) {
        this.#time(state, 'dispatch', started);
        const normalized = toGatewayError(error);
        state.attempts.push({ model: qualified, outcome: 'failed', errorCode: normalized.code });
        lastError = normalized;
        const reason = BackendError.isBackendError(normalized) ? normalized.reason : undefined;
        const next = chain[index + 1];
        const canFallBack =
          next !== undefined &&
          reason !== undefined &&
          (this.config.dispatch.fallbackOn as string[]).includes(reason) &&
          !signal.aborted;
        if (!canFallBack) throw normalized;
        if (state.reservation) {
          await this.budgetStore.release(state.reservation);
          state.reservation = undefined;
        }
        const nextName =
          typeof next === 'string' ? next : qualifiedModelId((next as Prepared).resolved.model);
        this.events.emit('model-fallback', {
          ...base,
          from: qualified,
          to: nextName,
          errorCode: normalized.code,
        });
        state.warnings.push({
          type: 'fallback',
          param: 'model',
          message: `${qualified} failed (${reason}); trying ${nextName}.`,
          from: qualified,
          to: nextName,
        });
      }
    }
    if (!dispatched) throw lastError ?? new GatewayError('INTERNAL_ERROR', 'No model could be tried.');
    state.model = used.resolved.model;
    const model = used.resolved.model;
    const requested = used.call.n;
    state.upstreamRequestIds.push(...dispatched.upstreamRequestIds);
    state.warnings.push(...dispatched.warnings);
    for (const label of dispatched.labels) state.labels.add(label);
    if (dispatched.usage) state.usage = { ...dispatched.usage } as Record<string, number>;
    if (dispatched.filteredCount > 0) {
      state.labels.add('provider:content_filtered');
      state.warnings.push({
        type: 'content_filtered',
        param: 'n',
        message: `${dispatched.filteredCount} of ${requested} images were withheld by the provider's safety filter.`,
      });
    }
    if (dispatched.missing > 0) {
      state.warnings.push({
        type: 'partial',
        param: 'n',
        message: `${dispatched.missing} of ${requested} images failed (${dispatched.firstError?.code ?? 'error'}); returning the ${dispatched.images.length} that succeeded.`,
      });
    }
    if (dispatched.images.length === 0) {
      throw new BackendError(`All ${requested} images were withheld by the provider's safety filter.`, {
        reason: 'content_filtered',
        provider: model.provider,
      });
    }
    if (dispatched.images.length < requested && !state.warnings.some((w) => w.type === 'partial')) {
      state.warnings.push({
        type: 'partial',
        param: 'n',
        message: `Returning ${dispatched.images.length} of ${requested} images.`,
      });
    }

    // 9. output guardrails
    started = this.clock.now();
    const expectedSize = parseSize(used.call.size ?? '');
    const expectedType = used.call.outputFormat ? `image/${used.call.outputFormat}` : undefined;
    const outputGuardrails = this.guardrails.filter((g) => g.stage === 'output');
    if (outputGuardrails.length) {
      const outcome = await runGuardrails(
        outputGuardrails,
        {
          stage: 'output',
          prompt,
          model,
          tenant: state.tenant,
          requestId: state.requestId,
          providerLabels: dispatched.labels,
          images: dispatched.images.map((image) => ({
            bytes: image.bytes,
            mediaType: image.mediaType,
            expected: {
              ...(expectedType ? { mediaType: expectedType } : {}),
              ...(expectedSize ? { width: expectedSize.width, height: expectedSize.height } : {}),
            },
            labels: image.labels ?? [],
          })),
        },
        { signal, onVerdict: (verdict) => this.events.emit('guardrail-verdict', { ...base, verdict }) },
      );
      state.verdicts.push(...outcome.verdicts);
      for (const label of outcome.labels) state.labels.add(label);
      if (outcome.blocked) throw contentBlockedError(outcome.blocked);
    }
    this.#time(state, 'output_guardrails', started);

    // 10-11. store and deliver
    started = this.clock.now();
    const responseFormat = request.response_format ?? 'b64_json';
    const store = this.config.storage.mode === 'always' || responseFormat === 'url';
    const expiresAt = new Date(this.clock.now() + this.config.storage.retentionSeconds * 1000);
    const day = new Date(this.clock.now()).toISOString().slice(0, 10);
    const storedInfo: Array<StoredObjectInfo | undefined> = [];
    state.images = await Promise.all(
      dispatched.images.map(async (image, index) => {
        const sniffed = sniffImage(image.bytes);
        const sha256 = sha256Hex(image.bytes);
        const generated: GeneratedImage = {
          bytes: image.bytes,
          mediaType: image.mediaType,
          sha256,
          sizeBytes: image.bytes.byteLength,
          ...(sniffed?.width ? { width: sniffed.width, height: sniffed.height! } : {}),
          ...(image.revisedPrompt ? { revisedPrompt: image.revisedPrompt } : {}),
          ...(image.seed === undefined ? {} : { seed: image.seed }),
          labels: image.labels ?? [],
        };
        if (store) {
          const key = `images/${day}/${randomUUID()}.${extensionFor(image.mediaType)}`;
          const putStarted = this.clock.now();
          try {
            storedInfo[index] = await this.storage.put(key, image.bytes, {
              mediaType: image.mediaType,
              metadata: { tenant: state.tenant.tenantId, 'request-id': state.requestId, sha256 },
              expiresAt,
              signal,
              sha256,
            });
          } catch (error) {
            const normalized = toGatewayError(error);
            if (normalized.code === 'ABORTED' || normalized.code === 'TIMEOUT') throw normalized;
            // A store refusing what the gateway sent is the gateway's problem, never the client's:
            // always a 5xx, keeping the store's reason.
            throw normalized.code === 'STORAGE_ERROR' && normalized.status >= 500
              ? normalized
              : new GatewayError(
                  'STORAGE_ERROR',
                  `Could not store the image in '${this.storage.id}' storage.`,
                  {
                    status: 503,
                    retryable: normalized.retryable,
                    ...(normalized.details ? { details: normalized.details } : {}),
                    cause: error,
                  },
                );
          }
          generated.storageKey = key;
          this.events.emit('storage-put', {
            ...base,
            key,
            sizeBytes: image.bytes.byteLength,
            mediaType: image.mediaType,
            durationMs: this.clock.now() - putStarted,
          });
        }
        return generated;
      }),
    );
    this.#time(state, 'store', started);
    started = this.clock.now();
    const data = await Promise.all(
      state.images.map((image, index) =>
        this.#deliver(image, responseFormat, state, storedInfo[index], dispatched.images[index]?.base64),
      ),
    );
    this.#time(state, 'deliver', started);

    // 12. cost (settled by the caller of #run)
    const delivered = state.images.length;
    const reported = dispatched.costUsd;
    const fromUsage = dispatched.usage ? priceFromUsage(model, dispatched.usage) : undefined;
    const perImage = estimateImagePrice(model, {
      n: delivered,
      size: used.call.size,
      quality: used.call.quality,
    });
    if (reported !== undefined) {
      state.actualUsd = roundUsd(reported);
      state.costBasis = 'provider_reported';
    } else if (fromUsage !== undefined) {
      state.actualUsd = fromUsage;
      state.costBasis = 'tokens';
    } else if (perImage.usd !== undefined) {
      state.actualUsd = perImage.usd;
      state.costBasis = 'per_image';
    } else {
      state.costBasis = 'unknown';
    }

    return {
      created: Math.floor(this.clock.now() / 1000),
      data,
      requestId: state.requestId,
      model: qualifiedModelId(model),
      provider: model.provider,
      images: state.images,
      warnings: state.warnings,
      labels: [...state.labels].sort(),
      verdicts: state.verdicts,
      ...(dispatched.usage ? { usage: dispatched.usage } : {}),
      cost: {
        ...(state.estimatedUsd === undefined ? {} : { estimatedUsd: state.estimatedUsd }),
        ...(state.actualUsd === undefined ? {} : { actualUsd: state.actualUsd }),
        basis: state.costBasis,
      },
      rateLimit: state.rateLimit,
      timings: state.timings,
    };
  }

  #prepare(modelName: string, request: ImageRequest, state: RequestState): Prepared {
    const resolved = this.registry.resolve(modelName);
    const base = { requestId: state.requestId, tenantId: state.tenant.tenantId };
    if (!this.accessPolicy(state.tenant, resolved.model)) throw modelAccessDeniedError(modelName);
    this.events.emit('model-resolve', {
      ...base,
      model: qualifiedModelId(resolved.model),
      provider: resolved.provider.id,
      lifecycle: resolved.model.lifecycle.status,
    });
    const checked = validateCapabilities(request, resolved.model, this.config.capabilityPolicy);
    const providerOptions = this.#providerOptions(request, resolved.provider);
    const warnings = [...resolved.warnings, ...checked.warnings];
    for (const warning of warnings) {
      if (!state.warnings.some((w) => w.message === warning.message)) {
        state.warnings.push(warning);
        this.events.emit('capability-warning', { ...base, warning });
      }
    }
    return { resolved, call: { ...checked.call, providerOptions } };
  }

  #providerOptions(request: ImageRequest, provider: ImageProvider): Record<string, unknown> {
    const all = request.provider_options ?? {};
    for (const namespace of Object.keys(all)) {
      if (!this.registry.provider(namespace)) {
        throw validationError(
          `provider_options.${namespace}`,
          `Unknown provider namespace '${namespace}'; use one of ${this.registry
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

  #fallbacksFor(model: ModelDescriptor): string[] {
    const fallbacks = this.config.dispatch.fallbacks;
    return fallbacks[qualifiedModelId(model)] ?? fallbacks[model.id] ?? [];
  }

  async #reserve(prepared: Prepared, state: RequestState): Promise<BudgetReservation | undefined> {
    const base = { requestId: state.requestId, tenantId: state.tenant.tenantId };
    const { model } = prepared.resolved;
    const estimate = estimateImagePrice(model, {
      n: prepared.call.n,
      size: prepared.call.size,
      quality: prepared.call.quality,
    });
    state.estimatedUsd = estimate.usd;
    state.costBasis = estimate.basis;
    const buckets = budgetBuckets(this.config.budgets.rules, state.tenant, this.clock.now());
    if (buckets.length === 0) return undefined;
    let amount = estimate.usd;
    if (amount === undefined) {
      if (this.config.budgets.unknownPrice === 'refuse') {
        this.events.emit('budget-reserve', { ...base, amountUsd: undefined, granted: false });
        throw new GatewayError(
          'BUDGET_EXCEEDED',
          `The price of '${qualifiedModelId(model)}' at this size and quality is unknown, and this gateway refuses unpriced requests while budgets apply.`,
          {
            param: 'model',
            details: { reason: 'unknown_price' },
          },
        );
      }
      state.labels.add('budget:unknown_price');
      state.warnings.push({
        type: 'other',
        param: 'model',
        message: `The price of '${qualifiedModelId(model)}' is unknown; the request is allowed but not counted against budgets.`,
      });
      amount = 0;
    }
    const outcome = await this.budgetStore.reserve(buckets, amount, this.ids.next('rsv'));
    const granted = 'id' in outcome;
    this.events.emit('budget-reserve', { ...base, amountUsd: amount, granted });
    if (!granted) throw budgetExceededError(outcome);
    return outcome;
  }

  async #dispatch(
    prepared: Prepared,
    texts: { prompt: string; negativePrompt: string | undefined },
    state: RequestState,
    signal: AbortSignal,
  ): Promise<DispatchResult> {
    const base = { requestId: state.requestId, tenantId: state.tenant.tenantId };
    const { provider, model } = prepared.resolved;
    const qualified = qualifiedModelId(model);
    const credentials = state.tenant.credentials?.[provider.id];
    // The negative prompt is sent only where the capability check kept it, and then redacted.
    const call: ProviderCall = {
      ...prepared.call,
      prompt: texts.prompt,
      ...(prepared.call.negativePrompt !== undefined && texts.negativePrompt !== undefined
        ? { negativePrompt: texts.negativePrompt }
        : {}),
    };
    return dispatchImages({
      provider,
      call,
      retry: this.config.dispatch.retry,
      concurrency: this.config.dispatch.concurrency,
      partialFailure: this.config.dispatch.partialFailure,
      signal,
      deadlineAt: state.startedAt + this.config.dispatch.timeoutMs,
      now: () => this.clock.now(),
      requestId: state.requestId,
      ...(credentials ? { credentials } : {}),
      logger: this.logger,
      onCallStart: (event) =>
        this.events.emit('provider-call-start', { ...base, model: qualified, ...event }),
      onCallEnd: (event) =>
        this.events.emit('provider-call-end', {
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
        this.events.emit('provider-retry', {
          ...base,
          model: qualified,
          callIndex: event.callIndex,
          attempt: event.attempt,
          delayMs: event.delayMs,
          ...(BackendError.isBackendError(event.error) ? { reason: event.error.reason } : {}),
        }),
    });
  }

  async #deliver(
    image: GeneratedImage,
    format: 'b64_json' | 'url',
    state: RequestState,
    info: StoredObjectInfo | undefined,
    upstreamBase64?: string,
  ): Promise<ImageData> {
    const revised = image.revisedPrompt ? { revised_prompt: image.revisedPrompt } : {};
    if (format === 'b64_json') return { b64_json: toBase64(image.bytes, upstreamBase64), ...revised };
    const delivered = await this.#delivery.deliver({
      info: info!,
      tenantId: state.tenant.tenantId,
      ...(state.publicBaseUrl ? { baseUrl: state.publicBaseUrl } : {}),
    });
    image.url = delivered.url;
    image.urlExpiresAt = delivered.expiresAt.getTime();
    return { url: delivered.url, ...revised };
  }

  async #audit(state: RequestState, failure: GatewayError | undefined): Promise<void> {
    const started = this.clock.now();
    const base = { requestId: state.requestId, tenantId: state.tenant.tenantId };
    const request = state.request;
    const outcome = failure
      ? this.#outcomeOf(failure)
      : state.warnings.some((w) => w.type === 'partial')
        ? 'partial'
        : 'success';
    const input: AuditRecordInput = {
      v: 1,
      requestId: state.requestId,
      timestamp: new Date(state.startedAt).toISOString(),
      tenantId: state.tenant.tenantId,
      ...(state.tenant.userId
        ? { userId: state.tenant.userId }
        : request?.user
          ? { userId: request.user }
          : {}),
      ...(state.tenant.keyId ? { keyId: state.tenant.keyId } : {}),
      source: state.source,
      ...(state.rawModel ? { requestedModel: state.rawModel } : {}),
      ...(state.model ? { model: qualifiedModelId(state.model), provider: state.model.provider } : {}),
      attempts: state.attempts,
      parameters: auditParameters(request),
      ...(request
        ? { prompt: promptForAudit(request.prompt, this.config.audit.promptRetention, redactPromptForAudit) }
        : {}),
      ...(request?.metadata ? { metadata: request.metadata } : {}),
      verdicts: state.verdicts.map(({ guardrail, stage, action, labels, reason }) => ({
        guardrail,
        stage,
        action,
        labels,
        ...(reason ? { reason } : {}),
      })),
      labels: [...state.labels].sort(),
      outcome,
      ...(failure
        ? {
            error: {
              code: failure.code,
              message: failure.message,
              ...(failure.param ? { param: failure.param } : {}),
              ...(typeof failure.details?.reason === 'string' ? { reason: failure.details.reason } : {}),
            },
          }
        : {}),
      warnings: state.warnings,
      images: state.images.map((image) => ({
        sha256: image.sha256,
        sizeBytes: image.sizeBytes,
        mediaType: image.mediaType,
        ...(image.width ? { width: image.width, height: image.height } : {}),
        ...(image.storageKey ? { storageKey: image.storageKey } : {}),
      })),
      cost: {
        ...(state.estimatedUsd === undefined ? {} : { estimatedUsd: state.estimatedUsd }),
        ...(state.actualUsd === undefined || failure ? {} : { actualUsd: state.actualUsd }),
        basis: state.costBasis,
      },
      ...(state.usage ? { usage: state.usage } : {}),
      timings: { ...state.timings, total: this.clock.now() - state.startedAt },
      upstreamRequestIds: state.upstreamRequestIds,
    };
    const record = auditRecordSchema.parse(input);
    try {
      await this.auditSink.write(record);
      this.events.emit('audit-write', { ...base, outcome, durationMs: this.clock.now() - started });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.events.emit('audit-error', { ...base, message });
      this.logger.error({ requestId: state.requestId, message }, 'pixelgate: audit write failed');
      if (this.config.audit.failClosed && !failure) {
        throw new GatewayError(
          'INTERNAL_ERROR',
          'The request could not be audited, so its result is withheld.',
          { cause: error },
        );
      }
    }
  }
}

/** A model resolved and checked for one request, ready to dispatch. */
interface Prepared {
  resolved: ResolvedModel;
  call: ProviderCall;
}
