import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryAuditSink } from '../audit/memory-audit-sink.ts';
import { validateCapabilities } from '../capabilities/validate-capabilities.ts';
import { BackendError, GatewayError } from '../errors/gateway-error.ts';
import { GATEWAY_EVENT_NAMES } from '../events/gateway-events.ts';
import { createGateway } from '../gateway/create-gateway.ts';
import type { FetchFunction } from '../provider/http/provider-fetch.ts';
import type { ProviderCall } from '../provider/image-provider.ts';
import { ModelRegistry } from '../registry/model-registry.ts';
import { parseSize } from '../shared/image-size.ts';
import { sniffImage } from '../shared/media-type.ts';
import { describeEditChecks, expectUpstreamRequests } from './provider-conformance-edits.ts';
import {
  type ConformanceHarness,
  type ConformanceScenario,
  type ConformanceUpstream,
  callContext,
  type KitState,
} from './provider-conformance-state.ts';
import { describeStreamChecks } from './provider-conformance-stream.ts';

export type { ConformanceHarness, ConformanceScenario, ConformanceUpstream };

/** Options of {@link describeImageProviderConformance}. */
export interface ProviderConformanceOptions {
  name: string;
  /** Called before each test; must pass `context.fetch` to the provider factory. */
  setup(context: { fetch: FetchFunction }): Promise<ConformanceHarness>;
  /** Scenarios the fake server cannot produce (skipped, and listed in the test names). */
  unsupported?: ConformanceScenario[];
}

/** A validated call for the harness's model, as dispatch would hand it to the plugin. */
function prepareCall(state: KitState, n?: number): ProviderCall {
  const registry = new ModelRegistry({ providers: [state.harness.provider] });
  const { model } = registry.resolve(`${state.harness.provider.id}/${state.harness.modelId}`);
  const wanted = n ?? Math.min(2, model.capabilities.maxImagesPerCall);
  const { call } = validateCapabilities({ prompt: 'a lighthouse at dusk', n: wanted }, model, 'strict');
  return { ...call, n: Math.min(wanted, model.capabilities.maxImagesPerCall), providerOptions: {} };
}

/** The GatewayError a call fails with, checked to carry none of the harness's secrets. */
async function failureOf(state: KitState, promise: Promise<unknown>): Promise<GatewayError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error, 'the call should have failed').toBeDefined();
  expect(GatewayError.isInstance(error), `expected a GatewayError, got ${String(error)}`).toBe(true);
  const gatewayError = error as GatewayError;
  for (const secret of state.harness.secrets) {
    expect(gatewayError.message).not.toContain(secret);
    expect(JSON.stringify(gatewayError.toJSON())).not.toContain(secret);
  }
  return gatewayError;
}

/** The catalog, and a successful call's images. */
function describeSuccessChecks(state: KitState): void {
  it('declares a catalog the registry accepts', () => {
    const { provider, modelId } = state.harness;
    expect(provider.specificationVersion).toBe('v1');
    const registry = new ModelRegistry({ providers: [provider] });
    expect(registry.list().length).toBe(provider.models.length);
    expect(registry.get(`${provider.id}/${modelId}`)).toBeDefined();
  });

  it('returns n real images of the declared media type and size', async () => {
    const call = prepareCall(state);
    const result = await state.harness.provider.generate(call, callContext());
    expect(result.images.length + (result.filteredCount ?? 0)).toBe(call.n);
    expect(result.images.length).toBe(call.n);
    const expected = parseSize(call.size ?? '');
    for (const image of result.images) {
      const sniffed = sniffImage(image.bytes);
      expect(sniffed?.mediaType).toBe(image.mediaType);
      if (call.outputFormat) expect(image.mediaType).toBe(`image/${call.outputFormat}`);
      if (expected) expect({ width: sniffed?.width, height: sniffed?.height }).toEqual(expected);
    }
    expectUpstreamRequests(state);
  });
}

/** Each failure scenario maps to its normalized reason and retryability. */
function describeFailureChecks(state: KitState, unsupported: readonly ConformanceScenario[]): void {
  const skip = (scenario: ConformanceScenario) => unsupported.includes(scenario);
  const failWith = (scenario: ConformanceScenario, signal?: AbortSignal) => {
    state.harness.scenario(scenario);
    return failureOf(state, state.harness.provider.generate(prepareCall(state), callContext(signal)));
  };

  it.skipIf(skip('unauthorized'))(
    'maps a refused key to upstream_auth, not retryable, without echoing it',
    async () => {
      const error = await failWith('unauthorized');
      expect(BackendError.isBackendError(error) && error.reason).toBe('upstream_auth');
      expect(error.retryable).toBe(false);
    },
  );

  it.skipIf(skip('rate_limited'))(
    'maps throttling to rate_limited, retryable, with the upstream wait hint when there is one',
    async () => {
      const error = await failWith('rate_limited');
      expect(BackendError.isBackendError(error) && error.reason).toBe('rate_limited');
      expect(error.retryable).toBe(true);
      // No invented hint: without one, dispatch uses its own backoff.
      if (error.retryAfterMs !== undefined) {
        expect(Number.isFinite(error.retryAfterMs) && error.retryAfterMs >= 0).toBe(true);
      }
    },
  );

  it.skipIf(skip('server_error'))('maps a server error to a retryable backend error', async () => {
    const error = await failWith('server_error');
    expect(error.code).toBe('BACKEND_ERROR');
    expect(error.retryable).toBe(true);
  });

  it.skipIf(skip('malformed'))('maps a malformed or truncated body to malformed_response', async () => {
    const error = await failWith('malformed');
    expect(BackendError.isBackendError(error) && error.reason).toBe('malformed_response');
  });

  it.skipIf(skip('content_filtered'))(
    'maps a safety refusal to content_filtered, never retryable',
    async () => {
      const error = await failWith('content_filtered');
      expect(BackendError.isBackendError(error) && error.reason).toBe('content_filtered');
      expect(error.retryable).toBe(false);
    },
  );

  it.skipIf(skip('slow'))('stops when the caller aborts (ABORTED)', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    expect((await failWith('slow', controller.signal)).code).toBe('ABORTED');
  });

  it.skipIf(skip('slow'))('stops at the deadline (TIMEOUT)', async () => {
    expect((await failWith('slow', AbortSignal.timeout(50))).code).toBe('TIMEOUT');
  });
}

/** Through a real gateway: validation before any request, splitting, and secrets kept out. */
function describeGatewayChecks(state: KitState, unsupported: readonly ConformanceScenario[]): void {
  it('refuses invalid requests before any upstream request', async () => {
    const { harness } = state;
    const audit = new MemoryAuditSink();
    const gateway = createGateway({ providers: [harness.provider], auditSink: audit, guardrails: [] });
    const model = `${harness.provider.id}/${harness.modelId}`;
    const before = harness.requests().length;
    const badSize = await gateway.generate({ model, prompt: 'x', size: '997x991' }).catch((e: unknown) => e);
    expect((badSize as GatewayError).code).toBe('VALIDATION_ERROR');
    expect((badSize as GatewayError).param).toBe('size');
    const limit = gateway.registry.resolve(model).model.capabilities.maxPromptLength;
    const tooLong = await gateway.generate({ model, prompt: 'x'.repeat(limit + 1) }).catch((e: unknown) => e);
    expect((tooLong as GatewayError).param).toBe('prompt');
    expect(harness.requests().length).toBe(before);
    expect(audit.records.map((r) => r.outcome)).toEqual(['rejected', 'rejected']);
    await gateway.close();
  });

  it('splits n above the per-call limit and returns every image through the gateway', async () => {
    const { harness } = state;
    const gateway = createGateway({
      providers: [harness.provider],
      guardrails: [],
      dispatch: { retry: { maxRetries: 0 } },
    });
    const model = `${harness.provider.id}/${harness.modelId}`;
    const descriptor = gateway.registry.resolve(model).model;
    const n = Math.min(
      descriptor.capabilities.maxImagesPerRequest,
      descriptor.capabilities.maxImagesPerCall + 1,
    );
    const result = await gateway.generate({ model, prompt: 'a lighthouse at dusk', n });
    expect(result.images.length).toBe(n);
    expect(result.data.every((d) => typeof d.b64_json === 'string' && d.b64_json.length > 0)).toBe(true);
    await gateway.close();
  });

  it.skipIf(unsupported.includes('unauthorized'))(
    'keeps secrets out of errors, events and audit records',
    async () => {
      const { harness } = state;
      const audit = new MemoryAuditSink();
      const gateway = createGateway({
        providers: [harness.provider],
        auditSink: audit,
        guardrails: [],
        dispatch: { retry: { maxRetries: 0 } },
      });
      const seen: unknown[] = [];
      for (const name of GATEWAY_EVENT_NAMES) gateway.events.on(name, (event: unknown) => seen.push(event));
      harness.scenario('unauthorized');
      const error = await gateway
        .generate({ model: `${harness.provider.id}/${harness.modelId}`, prompt: 'a lighthouse' })
        .catch((e: unknown) => e);
      expect(GatewayError.isInstance(error)).toBe(true);
      const everything = JSON.stringify([
        seen,
        audit.records,
        (error as GatewayError).toJSON(),
        (error as Error).message,
      ]);
      for (const secret of harness.secrets) expect(everything).not.toContain(secret);
      expect(audit.records).toHaveLength(1);
      expect(audit.records[0]!.outcome).toBe('failed');
      await gateway.close();
    },
  );
}

/**
 * The shared suite every provider plugin runs against its fake server, so that "declared
 * capability matches behaviour" and "failures are normalized the same way" are tested, not
 * hoped for. Checks: the catalog parses; a call returns `n` real images of the declared type and
 * size; 401, 429, 5xx, malformed bodies and safety refusals map to their normalized reasons with
 * the right retryability; abort and deadline give ABORTED and TIMEOUT; nothing leaves `baseURL`
 * (a harness with `upstream: 'none'`, for plugins that make no HTTP requests, must make none);
 * secrets never reach errors, events or audit records; invalid requests fail before any upstream
 * request; `n` above the per-call limit is split. docs/provider-plugins.md documents each scenario
 * and what the fake server must do for it.
 */
export function describeImageProviderConformance(options: ProviderConformanceOptions): void {
  const unsupported = options.unsupported ?? [];
  describe(`${options.name}: provider conformance`, () => {
    const state = { urls: [] as string[] } as KitState;

    beforeEach(async () => {
      state.urls = [];
      const recordingFetch: FetchFunction = (input, init) => {
        state.urls.push(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
        return globalThis.fetch(input, init);
      };
      state.harness = await options.setup({ fetch: recordingFetch });
    });
    afterEach(async () => {
      await state.harness.teardown();
    });

    describeSuccessChecks(state);
    describeFailureChecks(state, unsupported);
    describeGatewayChecks(state, unsupported);
    describeEditChecks(state);
    describeStreamChecks(state);
  });
}
