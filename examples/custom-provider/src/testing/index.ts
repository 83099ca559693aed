/**
 * The fake acme-images server: what a plugin package ships under `./testing` so that its own
 * tests, the conformance kit and apps run offline against a server that behaves like the API.
 */
export {
  type FakeAcmeRequest,
  type FakeAcmeScenario,
  type FakeAcmeServer,
  type FakeAcmeServerOptions,
  startFakeAcmeServer,
} from './fake-acme-server.ts';
