/**
 * Test helpers for apps using @pixelgate/provider-imagen: a fake of Google's image APIs (both
 * routes, both model families, an OAuth2 token endpoint) on 127.0.0.1.
 * @packageDocumentation
 */
export {
  createFakeGoogleServer,
  defaultFakeGoogleModels,
  type FakeGoogleBehaviour,
  type FakeGoogleModel,
  type FakeGoogleRequest,
  type FakeGoogleScenario,
  type FakeGoogleServer,
  type FakeGoogleServerOptions,
} from './fake-google-server.ts';
