/**
 * @pixelgate/provider-stability/testing: a fake Stability AI server (real HTTP on 127.0.0.1) for
 * testing the plugin and apps built on it without credits or network.
 * @packageDocumentation
 */
export {
  type FakeStabilityRequest,
  type FakeStabilityScenario,
  type FakeStabilityServer,
  type FakeStabilityServerOptions,
  startFakeStabilityServer,
  type V1EngineSizeRule,
} from './fake-stability-server.ts';
export {
  type SlidingWindowLimit,
  SlidingWindowLimiter,
  STABILITY_RATE_LIMIT,
} from './sliding-window-limiter.ts';
