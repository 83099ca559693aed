/**
 * Test helpers for apps using @pixelgate/provider-imagen: a fake of Google's image APIs (both
 * routes, both model families, an OAuth2 token endpoint) on 127.0.0.1.
 * @packageDocumentation
 */
export {
  defaultFakeImagenModels,
  type FakeImagenBehaviour,
  type FakeImagenModel,
  type FakeImagenRequest,
  type FakeImagenScenario,
  type FakeImagenServer,
  type FakeImagenServerOptions,
  startFakeImagenServer,
} from './fake-imagen-server.ts';
