import type { GatewayEventEmitter, GatewayEvents } from '@pixelgate/core';
import type { Logger } from 'pino';

type RequestEnd = Parameters<GatewayEvents['request-end']>[0];

/** How long a generation's summary waits for its HTTP response before it is dropped (a leak guard). */
const SUMMARY_TTL_MS = 10 * 60_000;

/** What the server knows about one answered request. */
export interface AnsweredRequest {
  method: string;
  pathname: string;
  status: number;
  requestId: string | undefined;
  /** `performance.now()` when the request arrived. */
  startedAt: number;
  /** The body of an error reply, when it is JSON in memory (for its error code). */
  errorBody(): Promise<string | undefined>;
}

/** The error code of an error reply's body (OpenAI's `error.code` or the native `error.code`). */
async function errorCodeOf(answered: AnsweredRequest): Promise<string | undefined> {
  try {
    const text = await answered.errorBody();
    const body = text ? (JSON.parse(text) as { error?: { code?: unknown } }) : undefined;
    return typeof body?.error?.code === 'string' ? body.error.code : undefined;
  } catch {
    return undefined;
  }
}

/** The path to log: media tokens are credentials, so `/v1/media/<token>` becomes `/v1/media/:token`. */
export function routeOf(pathname: string): string {
  return pathname.replace(/\/v1\/media\/[^/]+$/, '/v1/media/:token');
}

/**
 * Logs one line per HTTP request: request id, tenant, method, route, status, model, images,
 * outcome, error code and duration. The generation details come from the gateway's `request-end`
 * event, matched by request id (every reply carries `x-request-id`); the route is the path
 * without its query or media token. 5xx lines are `error`, 4xx `warn`, the rest `info`.
 */
export function createRequestLog(events: GatewayEventEmitter, log: Logger) {
  const summaries = new Map<string, { event: RequestEnd; timer: NodeJS.Timeout }>();
  events.on('request-end', (event) => {
    const timer = setTimeout(() => summaries.delete(event.requestId), SUMMARY_TTL_MS);
    timer.unref();
    summaries.set(event.requestId, { event, timer });
  });
  return async (answered: AnsweredRequest): Promise<void> => {
    const { requestId, status } = answered;
    const summary = requestId ? summaries.get(requestId) : undefined;
    if (summary && requestId) {
      clearTimeout(summary.timer);
      summaries.delete(requestId);
    }
    const event = summary?.event;
    const errorCode = event?.errorCode ?? (status >= 400 ? await errorCodeOf(answered) : undefined);
    const line = {
      requestId,
      ...(event ? { tenant: event.tenantId } : {}),
      method: answered.method,
      route: routeOf(answered.pathname),
      status,
      ...(event?.model ? { model: event.model } : {}),
      ...(event ? { images: event.images, outcome: event.outcome } : {}),
      ...(errorCode ? { errorCode } : {}),
      durationMs: Math.round((performance.now() - answered.startedAt) * 10) / 10,
    };
    log[status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info'](line, 'request');
  };
}

/** The request log as {@link createRequestLog} returns it. */
export type RequestLog = ReturnType<typeof createRequestLog>;
