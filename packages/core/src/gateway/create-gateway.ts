import { randomBytes } from 'node:crypto';
import { createAccessPolicy } from '../access/index.ts';
import type { TenantContext } from '../access/tenant.ts';
import type { AuditSink } from '../audit/audit-record.ts';
import { MemoryAuditSink } from '../audit/memory-audit-sink.ts';
import { createMemoryBudgetStore } from '../budget/index.ts';
import { TOKENS } from '../container/tokens.ts';
import { type DependencyContainer, container as rootContainer } from '../container/tsyringe.ts';
import { GatewayError } from '../errors/gateway-error.ts';
import { createGatewayEventEmitter, type GatewayEventEmitter } from '../events/gateway-events.ts';
import type { Guardrail } from '../guardrails/guardrail.ts';
import { defaultGuardrails } from '../guardrails/index.ts';
import { createMediaSigner } from '../media/index.ts';
import { createMediaDelivery } from '../media/media-delivery.ts';
import type { MediaSigner } from '../media/media-signer.ts';
import type { ModelDescriptor } from '../models/model-descriptor.ts';
import type { GenerationResult } from '../pipeline/generation-result.ts';
import { type ImageStreamEvent, type StreamOperation, streamRequest } from '../pipeline/image-stream.ts';
import type { PipelineDeps } from '../pipeline/pipeline-deps.ts';
import type { Operation } from '../pipeline/request-context.ts';
import { type GenerateOptions, PipelineRunner } from '../pipeline/runner.ts';
import { insertStageAfter } from '../pipeline/stage.ts';
import { GENERATE_STAGES } from '../pipeline/stages/index.ts';
import { provenanceStage } from '../pipeline/stages/provenance.ts';
import { createMemoryRateLimitStore } from '../rate-limit/index.ts';
import { ModelRegistry } from '../registry/model-registry.ts';
import { zodToValidationError } from '../request/zod-error.ts';
import { type Clock, systemClock } from '../shared/clock.ts';
import { type IdGenerator, uuidIdGenerator } from '../shared/ids.ts';
import { type Logger, silentLogger } from '../shared/logger.ts';
import { createMemoryStorage } from '../storage/memory-storage-adapter.ts';
import type { StorageAdapter } from '../storage/storage-adapter.ts';
import {
  type AccessPolicy,
  type GatewayConfig,
  type GatewayOptions,
  gatewayConfigSchema,
} from './gateway-options.ts';

/** The data part of the options, read from the schema so the two never drift apart. */
const CONFIG_KEYS = Object.keys(gatewayConfigSchema.shape) as Array<keyof typeof gatewayConfigSchema.shape>;

export { uuidIdGenerator } from '../shared/ids.ts';

/**
 * A configured gateway: the one object an embedding server keeps. `generate` runs the whole
 * pipeline; `listModels` answers `GET /v1/models`; `events` is where logs and metrics hang.
 */
export class Gateway {
  /** Typed pipeline events. */
  readonly events: GatewayEventEmitter;
  /** Providers and models. */
  readonly registry: ModelRegistry;
  /** Where images are stored. */
  readonly storage: StorageAdapter;
  /** Where audit records go. */
  readonly auditSink: AuditSink;
  /** The validated configuration. */
  readonly config: GatewayConfig;
  /** The container the gateway was composed in (a child of the one passed in, if any). */
  readonly container: DependencyContainer;
  /** Signs and verifies media tokens (the HTTP layer's media route verifies with it). */
  readonly mediaSigner: MediaSigner;
  /** The clock every stage reads. */
  readonly clock: Clock;
  /** Issues request ids. */
  readonly ids: IdGenerator;
  /** Where the gateway logs. */
  readonly logger: Logger;
  readonly #pipeline: PipelineRunner;
  readonly #access: AccessPolicy;
  #closed = false;

  /** @internal use {@link createGateway}. */
  constructor(container: DependencyContainer) {
    this.container = container;
    this.events = container.resolve<GatewayEventEmitter>(TOKENS.Events);
    this.registry = container.resolve<ModelRegistry>(TOKENS.ModelRegistry);
    this.storage = container.resolve<StorageAdapter>(TOKENS.Storage);
    this.auditSink = container.resolve<AuditSink>(TOKENS.AuditSink);
    this.config = container.resolve<GatewayConfig>(TOKENS.Options);
    this.#access = container.resolve<AccessPolicy>(TOKENS.AccessPolicy);
    this.#pipeline = container.resolve<PipelineRunner>(TOKENS.Pipeline);
    this.mediaSigner = container.resolve<MediaSigner>(TOKENS.MediaSigner);
    this.clock = container.resolve<Clock>(TOKENS.Clock);
    this.ids = container.resolve<IdGenerator>(TOKENS.IdGenerator);
    this.logger = container.resolve<Logger>(TOKENS.Logger);
  }

  /**
   * Generates images. `input` is an OpenAI `images.generate` body (plus pixelgate's fields); it is
   * validated here, so it may come straight from an HTTP body. Throws a GatewayError; exactly one
   * audit record is written either way.
   */
  generate(input: unknown, options?: GenerateOptions): Promise<GenerationResult> {
    if (this.#closed)
      return Promise.reject(new GatewayError('CONFIGURATION_ERROR', 'This gateway has been closed.'));
    return this.#pipeline.generate(input, options);
  }

  /**
   * Edits images (OpenAI's `images.edit`): `input` is an edit body whose `image` is one source or
   * up to 16 (bytes, `{ data, media_type, filename }` or data URLs) with an optional `mask`. The
   * images are checked against the model's `capabilities.edit` before anything is sent. Same
   * result, errors and audit record as `generate`.
   */
  edit(input: unknown, options?: GenerateOptions): Promise<GenerationResult> {
    return this.#run('edit', input, options);
  }

  /** Variations of one image (OpenAI's `images.createVariation`, dall-e-2 semantics). */
  createVariation(input: unknown, options?: GenerateOptions): Promise<GenerationResult> {
    return this.#run('variation', input, options);
  }

  /**
   * Streams a generation or an edit: partial images as the model draws them (on models with
   * `capabilities.stream`), then one `completed` event with the result. Stopping the loop early
   * aborts the upstream call and releases the budget reservation; the request leaves exactly one
   * audit record either way. Errors are thrown from the iterator after the request was audited.
   */
  stream(
    operation: StreamOperation,
    input: unknown,
    options: Omit<GenerateOptions, 'onPartialImage'> = {},
  ): AsyncIterable<ImageStreamEvent> {
    if (operation !== 'generate' && operation !== 'edit') {
      throw new GatewayError(
        'VALIDATION_ERROR',
        `Only 'generate' and 'edit' stream; got '${String(operation)}'.`,
        {
          param: 'operation',
        },
      );
    }
    const body =
      input !== null && typeof input === 'object' && !Array.isArray(input)
        ? { ...input, stream: true }
        : input;
    return streamRequest(
      operation,
      (onPartialImage, signal) => this.#run(operation, body, { ...options, signal, onPartialImage }),
      options.signal,
    );
  }

  #run(operation: Operation, input: unknown, options?: GenerateOptions): Promise<GenerationResult> {
    if (this.#closed)
      return Promise.reject(new GatewayError('CONFIGURATION_ERROR', 'This gateway has been closed.'));
    return this.#pipeline.run(operation, input, options);
  }

  /** The models a tenant may use (retired ones left out), with their capabilities. */
  listModels(tenant?: TenantContext): ModelDescriptor[] {
    return this.registry
      .list()
      .filter((model) => model.lifecycle.status !== 'retired')
      .filter((model) => !tenant || this.#access(tenant, model));
  }

  /** Runs each plugin's and the store's startup checks, so misconfiguration fails before traffic. */
  async verify(): Promise<void> {
    await this.storage.verify?.();
    for (const provider of this.registry.providers()) await provider.verify?.();
  }

  /** Flushes the audit sink and releases plugins and stores. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.auditSink.flush?.();
    await this.auditSink.close?.();
    for (const provider of this.registry.providers()) await provider.dispose?.();
    await this.storage.dispose?.();
    this.events.removeAllListeners();
  }
}

/**
 * Registers a part on the gateway's own container. Precedence, highest first: an explicit option
 * (`options.auditSink`), a registration on the container passed in, pixelgate's default. The
 * default is built only when it is used.
 */
function registerPart<T>(
  container: DependencyContainer,
  token: symbol,
  explicit: T | undefined,
  fallback: () => T,
): void {
  if (explicit !== undefined) container.register(token, { useValue: explicit });
  else if (!container.isRegistered(token, true)) container.register(token, { useValue: fallback() });
}

/** The parts the stages use, taken from the container once. */
function pipelineDeps(container: DependencyContainer, options: GatewayOptions): PipelineDeps {
  const config = container.resolve<GatewayConfig>(TOKENS.Options);
  const clock = container.resolve<Clock>(TOKENS.Clock);
  const storage = container.resolve<StorageAdapter>(TOKENS.Storage);
  const guardrails = container.resolve<Guardrail[]>(TOKENS.Guardrails);
  return {
    config,
    registry: container.resolve<ModelRegistry>(TOKENS.ModelRegistry),
    storage,
    auditSink: container.resolve<AuditSink>(TOKENS.AuditSink),
    budgetStore: container.resolve(TOKENS.BudgetStore),
    rateLimitStore: container.resolve(TOKENS.RateLimitStore),
    guardrails: {
      input: guardrails.filter((g) => g.stage === 'input'),
      output: guardrails.filter((g) => g.stage === 'output'),
    },
    accessPolicy: container.resolve<AccessPolicy>(TOKENS.AccessPolicy),
    delivery: createMediaDelivery({
      mode: config.media.mode,
      ...(config.media.publicBaseUrl ? { publicBaseUrl: config.media.publicBaseUrl } : {}),
      pathPrefix: `${config.media.pathPrefix}/v1/media/`,
      signer: container.resolve<MediaSigner>(TOKENS.MediaSigner),
      storage,
      defaultTtlSeconds: config.media.ttlSeconds,
      clock,
    }),
    events: container.resolve<GatewayEventEmitter>(TOKENS.Events),
    clock,
    ids: container.resolve<IdGenerator>(TOKENS.IdGenerator),
    logger: container.resolve<Logger>(TOKENS.Logger),
    middleware: [...(options.middleware ?? [])],
  };
}

/**
 * The front door: builds a gateway from plain options. Inside, a child tsyringe container holds
 * one token per replaceable part, each with an in-process default; pass `container` (with your
 * own registrations for any `TOKENS.*`) to replace parts without touching pixelgate's code.
 *
 * @throws GatewayError CONFIGURATION_ERROR when the configuration is invalid.
 */
export function createGateway(options: GatewayOptions): Gateway {
  const configInput: Record<string, unknown> = {};
  for (const key of CONFIG_KEYS) if (options[key] !== undefined) configInput[key] = options[key];
  const parsed = gatewayConfigSchema.safeParse(configInput);
  if (!parsed.success) {
    const error = zodToValidationError(parsed.error);
    throw new GatewayError('CONFIGURATION_ERROR', `Invalid gateway configuration: ${error.message}`, {
      ...(error.param ? { param: error.param } : {}),
    });
  }
  const config = parsed.data;
  if (!options.providers?.length && !(options.container?.isRegistered(TOKENS.ModelRegistry, true) ?? false)) {
    throw new GatewayError(
      'CONFIGURATION_ERROR',
      'createGateway needs at least one provider (for example createLocalProvider() from @pixelgate/provider-local).',
    );
  }
  const container = (options.container ?? rootContainer).createChildContainer();
  container.register(TOKENS.Options, { useValue: config });
  registerPart(container, TOKENS.Clock, options.clock, () => systemClock);
  const clock = container.resolve<Clock>(TOKENS.Clock);
  registerPart(container, TOKENS.IdGenerator, options.idGenerator, () => uuidIdGenerator);
  registerPart(container, TOKENS.Logger, options.logger, () => silentLogger);
  registerPart(container, TOKENS.Events, undefined, createGatewayEventEmitter);
  const { providers } = options;
  registerPart(
    container,
    TOKENS.ModelRegistry,
    providers?.length
      ? new ModelRegistry({ providers, models: options.models ?? [], now: () => clock.now() })
      : undefined,
    () => new ModelRegistry({ providers: [], models: [], now: () => clock.now() }),
  );
  registerPart(container, TOKENS.Storage, options.storageAdapter, createMemoryStorage);
  registerPart(container, TOKENS.AuditSink, options.auditSink, () => new MemoryAuditSink());
  registerPart(container, TOKENS.BudgetStore, options.budgetStore, createMemoryBudgetStore);
  registerPart(container, TOKENS.RateLimitStore, options.rateLimitStore, createMemoryRateLimitStore);
  registerPart(container, TOKENS.Guardrails, options.guardrails, defaultGuardrails);
  registerPart(container, TOKENS.AccessPolicy, options.accessPolicy, () => createAccessPolicy(config.access));
  registerPart(
    container,
    TOKENS.MediaSigner,
    options.mediaSigner ?? keyedSigner(options, config, clock),
    () =>
      // Without configured keys, a random per-process key: URLs work until the process restarts.
      createMediaSigner({
        keys: [{ id: 'ephemeral', secret: randomBytes(32).toString('base64url') }],
        activeKeyId: 'ephemeral',
        defaultTtlSeconds: config.media.ttlSeconds,
        clock,
      }),
  );
  const stages = options.provenance
    ? insertStageAfter(GENERATE_STAGES, 'output-guardrails', provenanceStage(options.provenance))
    : GENERATE_STAGES;
  container.register(TOKENS.Pipeline, {
    useValue: new PipelineRunner(pipelineDeps(container, options), stages),
  });
  return new Gateway(container);
}

/** The HMAC signer for configured `mediaSigningKeys`, or undefined when none are configured. */
function keyedSigner(options: GatewayOptions, config: GatewayConfig, clock: Clock): MediaSigner | undefined {
  const keys = options.mediaSigningKeys;
  if (!keys?.length) return undefined;
  const activeKeyId = options.mediaActiveKeyId ?? keys.find((key) => !key.retired)?.id ?? keys[0]!.id;
  return createMediaSigner({ keys, activeKeyId, defaultTtlSeconds: config.media.ttlSeconds, clock });
}
