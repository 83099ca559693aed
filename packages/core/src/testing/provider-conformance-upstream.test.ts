// The kit's upstream-request assertion, for both kinds of harness: a plugin calling an API through
// `context.fetch`, and a fetch-less one (`upstream: 'none'`).
import { describe, expect, it } from 'vitest';
import { createMockImageProvider } from './mock-image-provider.ts';
import { expectUpstreamRequests } from './provider-conformance-edits.ts';
import type { ConformanceUpstream, KitState } from './provider-conformance-state.ts';

/** A kit state whose harness has `upstream` and has fetched `urls`. */
function stateWith(upstream: ConformanceUpstream, urls: string[]): KitState {
  const harness = {
    provider: createMockImageProvider(),
    modelId: 'mock-image',
    secrets: [],
    scenario() {},
    requests: () => urls,
    teardown: async () => {},
    ...upstream,
  };
  return { harness, urls };
}

describe('expectUpstreamRequests', () => {
  const api = { baseURL: 'http://127.0.0.1:4000/v1' };

  it('passes a fetching plugin whose requests all stay under baseURL', () => {
    expect(() => expectUpstreamRequests(stateWith(api, ['http://127.0.0.1:4000/v1/images']))).not.toThrow();
  });

  it('fails a fetching plugin that made no request or left baseURL', () => {
    expect(() => expectUpstreamRequests(stateWith(api, []))).toThrow(/context\.fetch/);
    expect(() =>
      expectUpstreamRequests(stateWith(api, ['http://127.0.0.1:4000/v1/a', 'https://api.example.com/b'])),
    ).toThrow(/outside/);
  });

  it("passes a fetch-less plugin (upstream: 'none') that made no request, and fails one that did", () => {
    expect(() => expectUpstreamRequests(stateWith({ upstream: 'none' }, []))).not.toThrow();
    expect(() =>
      expectUpstreamRequests(stateWith({ upstream: 'none' }, ['http://127.0.0.1:4000/x'])),
    ).toThrow(/no HTTP requests/);
  });
});
