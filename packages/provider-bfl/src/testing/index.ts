/**
 * @pixelgate/provider-bfl/testing: a fake Black Forest Labs API (submit, poll, expiring results on
 * a second host) for testing the plugin and apps built on it without credits or network.
 * @packageDocumentation
 */

export {
  type FakeBflRequest,
  type FakeBflScenario,
  type FakeBflServer,
  type FakeBflServerOptions,
  startFakeBflServer,
} from './fake-bfl-server.ts';
export type { FakeBflOutcome, FakeBflTask } from './fake-bfl-tasks.ts';
