/**
 * @pixelgate/provider-fal/testing: a fake fal API (queue, synchronous endpoint, media CDN on its
 * own host) for testing the plugin and apps built on it without credits or network.
 * @packageDocumentation
 */

export type { FakeFalOutcome, FakeFalRequestState } from './fake-fal-requests.ts';
export {
  type FakeFalRequest,
  type FakeFalScenario,
  type FakeFalServer,
  type FakeFalServerOptions,
  startFakeFalServer,
} from './fake-fal-server.ts';
