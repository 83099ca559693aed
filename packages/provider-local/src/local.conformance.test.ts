import { type ConformanceScenario, describeImageProviderConformance } from '@pixelgate/core/testing';
import { createLocalProvider } from './local-provider.ts';

/**
 * Failures the kit provokes through a fake server: the local provider has no upstream, so none of
 * them can happen to it (there is no key to refuse, no server to throttle, fail or garble). A
 * slow call it can make: its artificial latency, which must stop at an abort or deadline.
 */
const NO_UPSTREAM_FAILURES: ConformanceScenario[] = [
  'unauthorized',
  'rate_limited',
  'server_error',
  'malformed',
  'content_filtered',
];

/**
 * The core kit against the local provider, which draws images in process and makes no HTTP
 * requests (`upstream: 'none'`): generation, edits (several images, alpha mask), variations,
 * streamed partial images, and abort and deadline during its artificial latency. A little latency spreads a streamed call over its partial images, so
 * the abort check has a partial image to abort after.
 */
describeImageProviderConformance({
  name: 'local',
  unsupported: NO_UPSTREAM_FAILURES,
  async setup() {
    let provider = createLocalProvider({ latencyMs: 40 });
    return {
      // Read by the kit at each call, so a `slow` scenario swaps in a provider that takes minutes.
      get provider() {
        return provider;
      },
      modelId: 'placeholder',
      upstream: 'none',
      secrets: [],
      scenario(name) {
        if (name === 'slow') provider = createLocalProvider({ latencyMs: 120_000 });
      },
      requests: () => [],
      teardown: async () => {},
    };
  },
});
