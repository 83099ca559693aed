import { CONSOLE_ROUTE_DOCS } from '@pixelgate/console';
import {
  type AuditSink,
  type Authenticate,
  createApiKeyAuthenticator,
  createHttpHandler,
  type Gateway,
  GatewayError,
  pinoLogger,
  type TenantContext,
} from '@pixelgate/core';
import { type ListeningServer, listen } from '@pixelgate/node';
import {
  createProvenanceStamper,
  loadProvenanceFileConfig,
  withProvenanceVerifyRoute,
} from '@pixelgate/provenance';
import type { Logger } from 'pino';
import { auditLogLocation, openAuditLog } from '../audit-log.ts';
import type { CliConfig } from '../config.ts';
import {
  type CliGatewayOptions,
  createCliGateway,
  dataDirectory,
  resolveProviders,
} from '../gateway-from-config.ts';
import { type CliIo, EXIT, UsageError } from '../io.ts';
import { consoleEnabled, withConsolePages } from '../serve/console-pages.ts';
import { readinessChecks } from '../serve/health.ts';
import { createServeLog, logLevelFrom } from '../serve/log.ts';
import { createOpsRoutes } from '../serve/ops-routes.ts';
import { requireProviderKeys } from '../serve/provider-keys.ts';
import { createRequestLog } from '../serve/request-log.ts';
import { serveHandler } from '../serve/serve-handler.ts';
import type { ServeTelemetry } from '../serve/telemetry.ts';
import { openSharedStores } from '../shared-stores.ts';
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
  /** Where traces are exported, when an OTLP endpoint is configured. */
  tracesTo?: string;
  /** Stops accepting, lets requests in flight finish (up to 10 s), then closes the gateway (flushing the audit log). */
  close(): Promise<void>;
}

/** The tenant of unauthenticated requests when no API keys are configured. */
export const LOCAL_TENANT: TenantContext = { tenantId: 'local' };

function parsePort(value: string, source: string): number {
  if (!/^\d{1,5}$/.test(value) || Number(value) > 65_535)
    throw new UsageError(`${source} must be a port number 0-65535, got "${value}"`);
  return Number(value);
}

/**
 * Who may call: the config's `auth.keys`, else one key from `PIXELGATE_API_KEY`, else nobody is
 * asked for a key and every request runs as the `local` tenant (logged as a warning, because
 * that is only right on a trusted machine).
 */
function authentication(
  config: CliConfig,
  io: CliIo,
  log: Logger,
): { authenticate?: Authenticate; anonymous?: TenantContext } {
  const keys = config.auth?.keys ?? [];
  if (keys.length) return { authenticate: createApiKeyAuthenticator({ keys }) };
  const single = io.env.PIXELGATE_API_KEY;
  if (single)
    return {
      authenticate: createApiKeyAuthenticator({ keys: [{ id: 'env', key: single, tenantId: 'default' }] }),
    };
  log.warn({}, 'no API keys configured (auth.keys or PIXELGATE_API_KEY): requests are not authenticated');
  return { anonymous: LOCAL_TENANT };
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
  seams: Partial<Pick<CliGatewayOptions, 'providers' | 'storageAdapter' | 'auditSink'>> = {},
): Promise<RunningServer> {
  const host = options.host ?? config.server?.host ?? io.env.HOST ?? '127.0.0.1';
  const port = options.port ?? config.server?.port ?? (io.env.PORT ? parsePort(io.env.PORT, 'PORT') : 8787);
  const log = await createServeLog(logLevelFrom(config.log?.level, io.env), io);
  requireProviderKeys(resolveProviders(config, io.env), io.env);
  const auth = authentication(config, io, log);
  const dataDir = dataDirectory(config, io.cwd);
  // Provenance is checked (certificates, a test signature) before anything else is opened.
  const provenanceConfig = config.provenance
    ? await loadProvenanceFileConfig(config.provenance, io.cwd)
    : undefined;
  const provenance = provenanceConfig ? await createProvenanceStamper(provenanceConfig) : undefined;
  // Shared stores (config `redis`/`postgres`): several replicas, one truth.
  const shared = await openSharedStores(config, io.cwd);
  let auditSink: AuditSink | undefined = seams.auditSink ?? shared.auditSink;
  let auditDirectory: string | undefined;
  if (!auditSink && config.auditLog?.enabled !== false) {
    const keyFile = config.auditLog?.signingKeyFile;
    const location = auditLogLocation(dataDir, keyFile, io.cwd);
    auditSink = await openAuditLog(location, keyFile === undefined);
    auditDirectory = location.dir;
  }
  let gateway: Gateway;
  try {
    gateway = createCliGateway(config, {
      cwd: io.cwd,
      env: io.env,
      ...seams,
      ...(auditSink ? { auditSink } : {}),
      ...(shared.budgetStore ? { budgetStore: shared.budgetStore } : {}),
      ...(shared.rateLimitStore ? { rateLimitStore: shared.rateLimitStore } : {}),
      logger: pinoLogger(log),
      ...(provenance ? { provenance } : {}),
    });
  } catch (error) {
    await auditSink?.close?.();
    await shared.close();
    await provenance?.close();
    throw error;
  }
  let server: ListeningServer;
  let telemetry: ServeTelemetry | undefined;
  try {
    await gateway.verify();
    // Loaded here, not at the top: the OpenTelemetry SDK is only needed by `serve`.
    const { startTelemetry } = await import('../serve/telemetry.ts');
    const started = await startTelemetry(gateway, {
      env: io.env,
      version: cliVersion,
      ...(config.telemetry?.otlpEndpoint ? { otlpEndpoint: config.telemetry.otlpEndpoint } : {}),
    });
    telemetry = started;
    const ops = createOpsRoutes({
      readiness: readinessChecks({
        gateway,
        auditKeyLoaded: auditSink !== undefined,
        ...(auditDirectory ? { auditDirectory } : {}),
      }),
      ...(config.telemetry?.metrics === false ? {} : { prometheus: started.prometheus }),
    });
    const logRequest = createRequestLog(gateway.events, log);
    const withPages = consoleEnabled(config, host);
    const api = createHttpHandler(
      gateway,
      withPages ? { ...auth, extraRouteDocs: CONSOLE_ROUTE_DOCS } : auth,
    );
    const trustAnchors = provenanceConfig?.trustAnchorsPem;
    // POST /v1/provenance/verify sits in front of the API (behind the same keys); without
    // provenance the API handler keeps its Node fast path.
    const withVerify = provenance
      ? withProvenanceVerifyRoute(api, {
          ...(trustAnchors ? { trustAnchors } : {}),
          authorize: async (request) => {
            if (auth.authenticate && !(await auth.authenticate(request)))
              throw new GatewayError('AUTHENTICATION_ERROR', 'A valid API key is required.');
          },
        })
      : api;
    const front = withPages
      ? await withConsolePages(withVerify, {
          gateway,
          config,
          auth,
          ...(auditDirectory ? { auditDirectory } : {}),
        })
      : withVerify;
    const handler = serveHandler(front, { ops, logRequest });
    server = await listen(handler, { port, host });
  } catch (error) {
    await gateway.close();
    await shared.close();
    await telemetry?.shutdown();
    await provenance?.close();
    throw listenError(error, host, port);
  }
  let closing: Promise<void> | undefined;
  return {
    url: server.url,
    gateway,
    log,
    ...(telemetry?.tracesTo ? { tracesTo: telemetry.tracesTo } : {}),
    close() {
      // Drain requests in flight (the adapter's grace period), flush the audit log, then the spans.
      closing ??= server
        .close()
        .then(() => gateway.close())
        .then(() => shared.close())
        .then(() => telemetry?.shutdown())
        .then(() => provenance?.close());
      return closing;
    },
  };
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
  seams: Partial<Pick<CliGatewayOptions, 'providers' | 'storageAdapter' | 'auditSink'>> = {},
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
      ...(running.tracesTo ? { tracesTo: running.tracesTo } : {}),
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
