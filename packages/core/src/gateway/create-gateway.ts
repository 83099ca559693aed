import { randomBytes, randomUUID } from 'node:crypto';
import { createAccessPolicy } from '../access/index.ts';
import type { TenantContext } from '../access/tenant.ts';
import type { AuditSink } from '../audit/audit-record.ts';
import { MemoryAuditSink } from '../audit/memory-audit-sink.ts';
import { createMemoryBudgetStore } from '../budget/index.ts';
import { type Clock, type IdGenerator, systemClock, TOKENS } from '../container/tokens.ts';
import { type DependencyContainer, container as rootContainer } from '../container/tsyringe.ts';
import { GatewayError } from '../errors/gateway-error.ts';
import { createGatewayEventEmitter, type GatewayEventEmitter } from '../events/gateway-events.ts';
import { defaultGuardrails } from '../guardrails/index.ts';
import { createMediaSigner } from '../media/index.ts';
import type { MediaSigner } from '../media/media-signer.ts';
import type { ModelDescriptor } from '../models/model-descriptor.ts';
import type { GenerationResult } from '../pipeline/generation-result.ts';
import { type GenerateOptions, ImagePipeline } from '../pipeline/image-pipeline.ts';
import { type Logger, silentLogger } from '../provider/logger.ts';
import { createMemoryRateLimitStore } from '../rate-limit/index.ts';
import { ModelRegistry } from '../registry/model-registry.ts';
import { zodToValidationError } from '../request/zod-error.ts';
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

/** Request ids that sort by time and never collide (`req_` + UUID v4). */
export const uuidIdGenerator: IdGenerator = {
  next: (prefix) => `${prefix}_${randomUUID().replaceAll('-', '')}`,
};

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
  readonly #pipeline: ImagePipeline;
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
    this.#pipeline = container.resolve<ImagePipeline>(TOKENS.Pipeline);
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

function registerDefault(container: DependencyContainer, token: symbol, value: unknown): void {
  // A token the user registered on the parent container wins over pixelgate's default.
  if (!container.isRegistered(token, true)) container.register(token, { useValue: value });
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
  const clock: Clock = options.clock ?? systemClock;

  container.register(TOKENS.Options, { useValue: config });
  registerDefault(container, TOKENS.Clock, clock);
  registerDefault(container, TOKENS.IdGenerator, options.idGenerator ?? uuidIdGenerator);
  registerDefault(container, TOKENS.Logger, options.logger ?? silentLogger);
  registerDefault(container, TOKENS.Events, createGatewayEventEmitter());
  if (!container.isRegistered(TOKENS.ModelRegistry, true)) {
    container.register(TOKENS.ModelRegistry, {
      useValue: new ModelRegistry({
        providers: options.providers,
        models: options.models ?? [],
        now: () => clock.now(),
      }),
    });
  }
  registerDefault(container, TOKENS.Storage, options.storageAdapter ?? createMemoryStorage());
  registerDefault(container, TOKENS.AuditSink, options.auditSink ?? new MemoryAuditSink());
  registerDefault(container, TOKENS.BudgetStore, options.budgetStore ?? createMemoryBudgetStore());
  registerDefault(container, TOKENS.RateLimitStore, options.rateLimitStore ?? createMemoryRateLimitStore());
  registerDefault(container, TOKENS.Guardrails, options.guardrails ?? defaultGuardrails());
  registerDefault(container, TOKENS.AccessPolicy, options.accessPolicy ?? createAccessPolicy(config.access));
  if (!container.isRegistered(TOKENS.MediaSigner, true)) {
    // Without configured keys, a random per-process key: URLs work until the process restarts.
    const keys = options.mediaSigningKeys ?? [
      { id: 'ephemeral', secret: randomBytes(32).toString('base64url') },
    ];
    const activeKeyId = options.mediaActiveKeyId ?? keys.find((key) => !key.retired)?.id ?? keys[0]!.id;
    container.register(TOKENS.MediaSigner, {
      useValue:
        options.mediaSigner ??
        createMediaSigner({ keys, activeKeyId, defaultTtlSeconds: config.media.ttlSeconds, clock }),
    });
  }
  container.register(TOKENS.Pipeline, { useClass: ImagePipeline });
  return new Gateway(container);
}
