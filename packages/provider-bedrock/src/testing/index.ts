/**
 * @pixelgate/provider-bedrock/testing: a fake Bedrock Runtime (InvokeModel with SigV4 checks) for
 * testing the plugin and apps built on it without an AWS account or network.
 * @packageDocumentation
 */

export {
  FAKE_BEDROCK_CREDENTIALS,
  type FakeBedrockRequest,
  type FakeBedrockScenario,
  type FakeBedrockServer,
  type FakeBedrockServerOptions,
  startFakeBedrockServer,
} from './fake-bedrock-server.ts';
export { checkSigV4, type SigV4Expectation, type SigV4Failure } from './fake-bedrock-sigv4.ts';
