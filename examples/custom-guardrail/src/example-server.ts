import {
  createApiKeyAuthenticator,
  createDefaultGuardrails,
  createGateway,
  createHttpHandler,
  type Gateway,
  type ImageProvider,
} from '@pixelgate/core';
import { listen } from '@pixelgate/node';
import { createLocalProvider } from '@pixelgate/provider-local';
import { EXAMPLE_TERMS } from './policy.ts';
import { createTrademarkGuardrail } from './trademark-guardrail.ts';

/** A running example server. */
export interface RunningExample {
  url: string;
  gateway: Gateway;
  close(): Promise<void>;
}

/**
 * A gateway with the trademark guardrail added to pixelgate's defaults (prompt length, PII,
 * image integrity, provider safety), served over HTTP. Custom guardrails go in the same list as
 * the built-in ones and run in order, so the trademark check sees the prompt after PII redaction.
 */
export async function startExample(
  options: {
    env?: Record<string, string | undefined>;
    port?: number;
    host?: string;
    providers?: ImageProvider[];
  } = {},
): Promise<RunningExample> {
  const env = options.env ?? process.env;
  const gateway = createGateway({
    providers: options.providers ?? [createLocalProvider()],
    defaultModel: 'local/placeholder',
    guardrails: [...createDefaultGuardrails(), createTrademarkGuardrail({ terms: EXAMPLE_TERMS })],
  });
  const key = env.PIXELGATE_API_KEY ?? 'pg-example-key-change-me';
  const handler = createHttpHandler(gateway, {
    authenticate: createApiKeyAuthenticator({ keys: [{ id: 'example', key, tenantId: 'example' }] }),
  });
  const server = await listen(handler, { port: options.port ?? 0, host: options.host ?? '127.0.0.1' });
  return {
    url: server.url,
    gateway,
    async close() {
      await server.close();
      await gateway.close();
    },
  };
}
