/**
 * Test helpers for apps using @pixelgate/provider-openai: a faithful fake of OpenAI's Images and
 * Moderations APIs (and Azure's deployment paths) that runs on 127.0.0.1 without credits.
 * @packageDocumentation
 */
export {
  FAKE_OPENAI_API_KEY,
  type FakeAzureOptions,
  type FakeOpenAIScenario,
  type FakeOpenAIServer,
  type FakeOpenAIServerOptions,
  type RecordedRequest,
  startFakeOpenAIServer,
} from './fake-openai-server.ts';
