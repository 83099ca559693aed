import {
  type AuditSink,
  type Authenticate,
  createApiKeyAuthenticator,
  createHttpHandler,
  type Gateway,
  GatewayError,
  type TenantContext,
} from '@pixelgate/core';
import { type ListeningServer, listen } from '@pixelgate/node';
import {
  createProvenanceStamper,
  loadProvenanceFileConfig,
  withProvenanceVerifyRoute,
} from '@pixelgate/provenance';
import { auditLogLocation, openAuditLog } from '../audit-log.ts';
import type { CliConfig } from '../config.ts';
import { type CliGatewayOptions, createCliGateway, dataDirectory } from '../gateway-from-config.ts';
import { type CliIo, EXIT, UsageError } from '../io.ts';
import { openSharedStores } from '../shared-stores.ts';

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
 * asked for a key and every request runs as the `local` tenant (announced on stderr, because
 * that is only right on a trusted machine).
 */
function authentication(
  config: CliConfig,
  io: CliIo,
): { authenticate?: Authenticate; anonymous?: TenantContext } {
  const keys = config.auth?.keys ?? [];
  if (keys.length) return { authenticate: createApiKeyAuthenticator({ keys }) };
  const single = io.env.PIXELGATE_API_KEY;
  if (single)
    return {
      authenticate: createApiKeyAuthenticator({ keys: [{ id: 'env', key: single, tenantId: 'default' }] }),
    };
  io.stderr(
    'pixelgate: no API keys configured (auth.keys or PIXELGATE_API_KEY): requests are not authenticated\n',
  );
  return { anonymous: LOCAL_TENANT };
}

/**
 * Starts the HTTP server: the gateway from the configuration, its file audit log, the
 * OpenAI-compatible and native routes, on `host:port` (port 0 picks a free one). Separate from
 * {@link runServe} so tests and embedding scripts get the bound URL and a `close` back.
 */
export async function startServer(
  options: ServeCommandOptions,
  config: CliConfig,
  io: CliIo,
  seams: Partial<Pick<CliGatewayOptions, 'providers' | 'storageAdapter' | 'auditSink'>> = {},
): Promise<RunningServer> {
  const host = options.host ?? config.server?.host ?? io.env.HOST ?? '127.0.0.1';
  const port = options.port ?? config.server?.port ?? (io.env.PORT ? parsePort(io.env.PORT, 'PORT') : 8787);
  const auth = authentication(config, io);
  const dataDir = dataDirectory(config, io.cwd);
  // Provenance is checked (certificates, a test signature) before anything else is opened.
  const provenanceConfig = config.provenance
    ? await loadProvenanceFileConfig(config.provenance, io.cwd)
    : undefined;
  const provenance = provenanceConfig ? await createProvenanceStamper(provenanceConfig) : undefined;
  // Shared stores (config `redis`/`postgres`): several replicas, one truth.
  const shared = await openSharedStores(config, io.cwd);
  let auditSink: AuditSink | undefined = seams.auditSink ?? shared.auditSink;
  if (!auditSink && config.auditLog?.enabled !== false) {
    const keyFile = config.auditLog?.signingKeyFile;
    auditSink = await openAuditLog(auditLogLocation(dataDir, keyFile, io.cwd), keyFile === undefined);
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
      ...(provenance ? { provenance } : {}),
    });
  } catch (error) {
    await auditSink?.close?.();
    await shared.close();
    await provenance?.close();
    throw error;
  }
  let server: ListeningServer;
  try {
    await gateway.verify();
    const api = createHttpHandler(gateway, auth);
    const trustAnchors = provenanceConfig?.trustAnchorsPem;
    const handler = provenance
      ? withProvenanceVerifyRoute(api, {
          ...(trustAnchors ? { trustAnchors } : {}),
          authorize: async (request) => {
            if (auth.authenticate && !(await auth.authenticate(request)))
              throw new GatewayError('AUTHENTICATION_ERROR', 'A valid API key is required.');
          },
        })
      : api;
    server = await listen(handler, { port, host });
  } catch (error) {
    await gateway.close();
    await shared.close();
    await provenance?.close();
    const code = (error as NodeJS.ErrnoException).code;
    // The environment's fault, not the invocation's: exit 1 with one line.
    if (code === 'EADDRINUSE') throw new Error(`cannot listen on ${host}:${port}: the port is in use`);
    if (code === 'EACCES' || code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND')
      throw new Error(`cannot listen on ${host}:${port}: ${code}`);
    throw error;
  }
  let closing: Promise<void> | undefined;
  return {
    url: server.url,
    gateway,
    close() {
      // Drain requests in flight (the adapter's grace period), then flush the audit log.
      closing ??= server
        .close()
        .then(() => gateway.close())
        .then(() => shared.close())
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
  io.stdout(`pixelgate listening on ${running.url}\n`);
  io.stdout(
    `  OpenAI SDK baseURL  ${running.url}${prefix}/v1\n  providers           ${providers.join(', ')}\n`,
  );
  if (!shutdown.aborted)
    await new Promise<void>((resolve) => shutdown.addEventListener('abort', () => resolve(), { once: true }));
  io.stderr('pixelgate: shutting down\n');
  await running.close();
  io.stderr('pixelgate: stopped\n');
  return EXIT.ok;
}
