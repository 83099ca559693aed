import { CONSOLE_ROUTE_DOCS } from '@pixelgate/console';
import { createHttpHandler, type FetchHandler, type Gateway, GatewayError } from '@pixelgate/core';
import { JOBS_ROUTE_DOCS } from '@pixelgate/jobs';
import { type ListeningServer, listen } from '@pixelgate/node';
import { withProvenanceVerifyRoute } from '@pixelgate/provenance';
import type { Logger } from 'pino';
import type { CliConfig } from '../config.ts';
import { type CliIo, EXIT, UsageError } from '../io.ts';
import { type OpenJobs, openJobs } from '../jobs-from-config.ts';
import { consoleEnabled, withConsolePages } from '../serve/console-pages.ts';
import { readinessChecks } from '../serve/health.ts';
import { type OpenedGateway, openServeGateway, type ServeSeams } from '../serve/open-gateway.ts';
import { createOpsRoutes } from '../serve/ops-routes.ts';
import { otlpConfigOf, resolveOtlpSettings } from '../serve/otlp-settings.ts';
import { createRequestLog } from '../serve/request-log.ts';
import { serveHandler } from '../serve/serve-handler.ts';
import type { ServeTelemetry } from '../serve/telemetry.ts';
import { cliVersion } from '../version.ts';

/** Flags of `pixelgate serve` (they win over the config file and the environment). */
export interface ServeCommandOptions {
  port?: number;
  host?: string;
}

/** A running server, as {@link startServer} returns it. */
export interface RunningServer {
  /** `http://host:port`, with the port actually bound. */
  url: string;
  gateway: Gateway;
  /** The server's JSON logger (standard output). */
  log: Logger;
  /** Where traces are exported, when an OTLP endpoint is configured (no credentials). */
  tracesTo?: string;
  /** Where metrics are pushed, when an OTLP endpoint is configured (no credentials). */
  metricsTo?: string;
  /** Stops accepting, lets requests in flight finish (up to 10 s), then closes the gateway (flushing the audit log). */
  close(): Promise<void>;
}

export { LOCAL_TENANT } from '../serve/open-gateway.ts';

function parsePort(value: string, source: string): number {
  if (!/^\d{1,5}$/.test(value) || Number(value) > 65_535)
    throw new UsageError(`${source} must be a port number 0-65535, got "${value}"`);
  return Number(value);
}

/** The gateway's failure to listen, as the one line the environment's owner needs. */
function listenError(error: unknown, host: string, port: number): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  // The environment's fault, not the invocation's: exit 1 with one line.
  if (code === 'EADDRINUSE') return new Error(`cannot listen on ${host}:${port}: the port is in use`);
  if (code === 'EACCES' || code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND')
    return new Error(`cannot listen on ${host}:${port}: ${code}`);
  return error;
}

/**
 * Starts the HTTP server: the gateway from the configuration, its file audit log, the
 * OpenAI-compatible and native routes, the health and metrics routes, one JSON log line per
 * request, on `host:port` (port 0 picks a free one). Separate from {@link runServe} so tests and
 * embedding scripts get the bound URL and a `close` back.
 */
export async function startServer(
  options: ServeCommandOptions,
  config: CliConfig,
  io: CliIo,
  seams: ServeSeams = {},
): Promise<RunningServer> {
  const host = options.host ?? config.server?.host ?? io.env.HOST ?? '127.0.0.1';
  const port = options.port ?? config.server?.port ?? (io.env.PORT ? parsePort(io.env.PORT, 'PORT') : 8787);
  // Resolved before anything opens: a bad OTLP setting is a usage error, not a half-started server.
  const otlp = resolveOtlpSettings(otlpConfigOf(config.telemetry), io.env);
  const opened = await openServeGateway(config, io, seams);
  const { gateway } = opened;
  let server: ListeningServer;
  let telemetry: ServeTelemetry | undefined;
  let jobs: OpenJobs | undefined;
  try {
    await gateway.verify();
    // Loaded here, not at the top: the OpenTelemetry SDK is only needed by `serve`.
    const { startTelemetry } = await import('../serve/telemetry.ts');
    telemetry = await startTelemetry(gateway, {
      env: io.env,
      version: cliVersion,
      ...(otlp ? { otlp } : {}),
    });
    jobs = openJobs(config, gateway);
    if (jobs && config.jobs?.workers !== false) await jobs.startWorkers();
    const handler = await serveFront(opened, config, host, telemetry, jobs);
    server = await listen(handler, { port, host });
  } catch (error) {
    await jobs?.close();
    await opened.close();
    await telemetry?.shutdown();
    throw listenError(error, host, port);
  }
  logOtlpExport(opened.log, telemetry);
  let closing: Promise<void> | undefined;
  return {
    url: server.url,
    gateway,
    log: opened.log,
    ...(telemetry?.tracesTo ? { tracesTo: telemetry.tracesTo } : {}),
    ...(telemetry?.metricsTo ? { metricsTo: telemetry.metricsTo } : {}),
    close() {
      // Drain requests in flight (the adapter's grace period), stop the workers (a running job
      // is finished or handed over), flush the audit log, then the spans.
      closing ??= server
        .close()
        .then(() => jobs?.close())
        .then(() => opened.close())
        .then(() => telemetry?.shutdown());
      return closing;
    },
  };
}

/** One startup line saying where OTLP telemetry goes: URLs only, never the headers. */
function logOtlpExport(log: Logger, telemetry: ServeTelemetry): void {
  const { tracesTo, metricsTo } = telemetry;
  if (!tracesTo && !metricsTo) return;
  log.info(
    { ...(metricsTo ? { metricsTo } : {}), ...(tracesTo ? { tracesTo } : {}) },
    `telemetry exported over OTLP/HTTP to ${[metricsTo, tracesTo].filter(Boolean).join(' and ')}`,
  );
}

/**
 * The handler `serve` listens with, outermost first: health and metrics routes and the request
 * log, the console pages, `POST /v1/provenance/verify`, the job routes and `Idempotency-Key`
 * (when Redis is configured), then the API.
 */
async function serveFront(
  opened: OpenedGateway,
  config: CliConfig,
  host: string,
  telemetry: ServeTelemetry,
  jobs: OpenJobs | undefined,
): Promise<FetchHandler> {
  const { gateway, auth, auditDirectory } = opened;
  const ops = createOpsRoutes({
    readiness: readinessChecks({
      gateway,
      auditKeyLoaded: opened.auditSink !== undefined,
      ...(auditDirectory ? { auditDirectory } : {}),
    }),
    ...(config.telemetry?.metrics === false ? {} : { prometheus: telemetry.prometheus }),
  });
  const logRequest = createRequestLog(gateway.events, opened.log);
  const withPages = consoleEnabled(config, host);
  const extraRouteDocs = [...(withPages ? CONSOLE_ROUTE_DOCS : []), ...(jobs ? JOBS_ROUTE_DOCS : [])];
  const api = createHttpHandler(gateway, extraRouteDocs.length > 0 ? { ...auth, extraRouteDocs } : auth);
  // With jobs, the API loses the Node fast path: the job routes read web Requests.
  const withJobs = jobs ? jobs.wrap(api, auth) : api;
  const trustAnchors = opened.provenanceConfig?.trustAnchorsPem;
  // POST /v1/provenance/verify sits in front of the API (behind the same keys); without
  // provenance the API handler keeps its Node fast path.
  const withVerify = opened.provenanceConfig
    ? withProvenanceVerifyRoute(withJobs, {
        ...(trustAnchors ? { trustAnchors } : {}),
        authorize: async (request) => {
          if (auth.authenticate && !(await auth.authenticate(request)))
            throw new GatewayError('AUTHENTICATION_ERROR', 'A valid API key is required.');
        },
      })
    : withJobs;
  const front = withPages
    ? await withConsolePages(withVerify, {
        gateway,
        config,
        auth,
        ...(auditDirectory ? { auditDirectory } : {}),
      })
    : withVerify;
  return serveHandler(front, { ops, logRequest });
}

/** Resolves on the first of SIGINT or SIGTERM (the default shutdown trigger of `serve`). */
export function processShutdownSignal(): AbortSignal {
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return controller.signal;
}

/**
 * `pixelgate serve`: a ready server from the config file or the environment. Prints the URL (and
 * the base URL to give OpenAI SDKs), then runs until `shutdown` fires (SIGINT/SIGTERM), lets
 * requests in flight finish, flushes the audit log and exits 0.
 */
export async function runServe(
  options: ServeCommandOptions,
  config: CliConfig,
  io: CliIo,
  shutdown: AbortSignal,
  seams: ServeSeams = {},
): Promise<number> {
  let running: RunningServer;
  try {
    running = await startServer(options, config, io, seams);
  } catch (error) {
    if (GatewayError.isInstance(error)) {
      io.stderr(`pixelgate: ${error.code}${error.param ? ` (${error.param})` : ''}: ${error.message}\n`);
      return error.code === 'CONFIGURATION_ERROR' ? EXIT.usage : EXIT.failure;
    }
    throw error;
  }
  const providers = running.gateway.registry.providers().map((provider) => provider.id);
  const prefix = running.gateway.config.media.pathPrefix;
  running.log.info(
    {
      url: running.url,
      baseURL: `${running.url}${prefix}/v1`,
      providers,
    },
    `pixelgate listening on ${running.url}`,
  );
  if (!shutdown.aborted)
    await new Promise<void>((resolve) => shutdown.addEventListener('abort', () => resolve(), { once: true }));
  running.log.info({}, 'pixelgate shutting down');
  await running.close();
  running.log.info({}, 'pixelgate stopped');
  return EXIT.ok;
}
