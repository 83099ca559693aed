/**
 * Submits one BFL task (`POST {base}/v1/{endpoint}` with `x-key`) and checks where BFL says to
 * poll it: a polling URL off the allow list is `malformed_response` and is never requested.
 */
import {
  BackendError,
  checkedUrl,
  type FetchFunction,
  type ProviderCall,
  type ProviderCallContext,
  providerFetch,
  readBodyBytes,
  readJsonBody,
} from '@pixelgate/core/provider-utils';
import { bflSubmitResponseSchema } from './bfl-api.ts';
import type { BflProviderData } from './bfl-catalog.ts';
import { mapBflError } from './bfl-error.ts';

/** The provider settings a submit needs. */
export interface BflSubmitEnvironment {
  provider: string;
  baseURL: string;
  fetch: FetchFunction | undefined;
  pollingHosts: readonly string[];
  allowHttp: boolean;
  /** The configured key, scrubbed from messages besides the one in use. */
  apiKey: string | undefined;
}

/** A submitted task: its id, the checked polling URL and the reported cost in credits. */
export interface BflSubmittedTask {
  taskId: string;
  pollingUrl: URL;
  cost: number | undefined;
}

/** Submits the task; a failed answer is mapped by {@link mapBflError}. */
export async function submitTask(
  call: ProviderCall,
  route: BflProviderData,
  body: Record<string, unknown>,
  key: string,
  context: ProviderCallContext,
  env: BflSubmitEnvironment,
): Promise<BflSubmittedTask> {
  const { provider: id, baseURL, pollingHosts, allowHttp } = env;
  const secrets = [key, env.apiKey];
  const response = await providerFetch(
    `${baseURL}${route.endpoint}`,
    {
      method: 'POST',
      headers: { 'x-key': key, 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
    },
    { provider: id, fetch: env.fetch, signal: context.signal, secrets },
  );
  if (!response.ok) {
    const bytes = await readBodyBytes(response, {
      provider: id,
      maxBytes: 256 * 1024,
      signal: context.signal,
    }).catch((error: unknown) => {
      if (context.signal.aborted) throw error;
      return new Uint8Array(0);
    });
    throw mapBflError({
      provider: id,
      status: response.status,
      headers: response.headers,
      bodyText: new TextDecoder().decode(bytes),
      secrets,
    });
  }
  const parsed = bflSubmitResponseSchema.safeParse(
    await readJsonBody(response, { provider: id, maxBytes: 1024 * 1024, signal: context.signal }),
  );
  if (!parsed.success) {
    throw new BackendError(`${id}: the submit answer for '${call.model.id}' has no task id.`, {
      reason: 'malformed_response',
      provider: id,
      upstreamStatus: response.status,
    });
  }
  const pollingText =
    parsed.data.polling_url ?? `${baseURL}/v1/get_result?id=${encodeURIComponent(parsed.data.id)}`;
  const pollingUrl = checkedUrl(pollingText, {
    provider: id,
    hosts: pollingHosts,
    allowHttp,
    what: 'polling URL',
  });
  return { taskId: parsed.data.id, pollingUrl, cost: parsed.data.cost ?? undefined };
}
