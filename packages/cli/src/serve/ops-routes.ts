import { type CheckResult, checkReadiness, type ReadinessCheck } from './health.ts';

/** What the operations routes answer from. */
export interface OpsRoutesOptions {
  readiness: Record<string, ReadinessCheck>;
  /** The Prometheus text, or undefined when metrics are off (then `/metrics` is not served). */
  prometheus?: () => Promise<string>;
}

/** An operations route's answer, before it becomes a fetch `Response` or a Node reply. */
export interface OpsAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** The Prometheus text exposition format's content type. */
export const PROMETHEUS_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

function json(status: number, body: unknown): OpsAnswer {
  return {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
    body: JSON.stringify(body),
  };
}

/**
 * The routes load balancers, Kubernetes and Prometheus call, at the root whatever the API's path
 * prefix: `GET /healthz` (the process answers: liveness), `GET /readyz` (the stores answer, the
 * signing key is loaded, providers are configured: readiness; 503 naming what fails) and
 * `GET /metrics`. They need no API key, like every probe. Returns undefined for every other
 * request, which then goes to the API.
 */
export function createOpsRoutes(options: OpsRoutesOptions) {
  return async (method: string, pathname: string): Promise<OpsAnswer | undefined> => {
    if (method !== 'GET' && method !== 'HEAD') return undefined;
    if (pathname === '/healthz') return json(200, { status: 'ok' });
    if (pathname === '/readyz') {
      const result = await checkReadiness(options.readiness);
      const body: { status: string; failing?: string[]; checks: Record<string, CheckResult> } = {
        status: result.ready ? 'ready' : 'not ready',
        ...(result.ready ? {} : { failing: result.failing }),
        checks: result.checks,
      };
      return json(result.ready ? 200 : 503, body);
    }
    if (pathname === '/metrics' && options.prometheus) {
      return {
        status: 200,
        headers: { 'content-type': PROMETHEUS_TYPE, 'cache-control': 'no-store' },
        body: await options.prometheus(),
      };
    }
    return undefined;
  };
}

/** The operations routes as {@link createOpsRoutes} returns them. */
export type OpsRoutes = ReturnType<typeof createOpsRoutes>;
