import {
  type AuditSink,
  type Authenticate,
  createApiKeyAuthenticator,
  type Gateway,
  pinoLogger,
  type TenantContext,
} from '@pixelgate/core';
import { createProvenanceStamper, loadProvenanceFileConfig } from '@pixelgate/provenance';
import type { Logger } from 'pino';
import { auditLogLocation, openAuditLog } from '../audit-log.ts';
import type { CliConfig } from '../config.ts';
import {
  type CliGatewayOptions,
  createCliGateway,
  dataDirectory,
  resolveProviders,
} from '../gateway-from-config.ts';
import type { CliIo } from '../io.ts';
import { openSharedStores, type SharedStores } from '../shared-stores.ts';
import { createServeLog, logLevelFrom } from './log.ts';
import { requireProviderKeys } from './provider-keys.ts';

/** The tenant of unauthenticated requests when no API keys are configured. */
export const LOCAL_TENANT: TenantContext = { tenantId: 'local' };

/** Who may call: an authenticator, or the anonymous tenant every request runs as. */
export interface ServeAuth {
  authenticate?: Authenticate;
  anonymous?: TenantContext;
}

/** Test seams of `serve` and `worker`: parts that replace what the config would build. */
export type ServeSeams = Partial<Pick<CliGatewayOptions, 'providers' | 'storageAdapter' | 'auditSink'>>;

/** A gateway opened from the config the way `serve` and `worker` run it, with what it holds. */
export interface OpenedGateway {
  gateway: Gateway;
  log: Logger;
  auth: ServeAuth;
  auditSink?: AuditSink;
  /** The file audit log's folder, when the audit log is the file one. */
  auditDirectory?: string;
  /** The loaded provenance settings (the verify route reads its trust anchors). */
  provenanceConfig?: Awaited<ReturnType<typeof loadProvenanceFileConfig>>;
  /** Closes the gateway (flushing the audit log), the shared stores and the provenance signer. */
  close(): Promise<void>;
}

/**
 * Who may call: the config's `auth.keys`, else one key from `PIXELGATE_API_KEY`, else nobody is
 * asked for a key and every request runs as the `local` tenant (logged as a warning, because
 * that is only right on a trusted machine).
 */
function authentication(config: CliConfig, io: CliIo, log: Logger): ServeAuth {
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

/**
 * Opens the gateway `serve` and `worker` share: provider keys checked, provenance checked before
 * anything else is opened, the shared stores (config `redis`/`postgres`) or the file audit log,
 * then the gateway. Whatever was opened is closed again if a later step fails.
 */
export async function openServeGateway(
  config: CliConfig,
  io: CliIo,
  seams: ServeSeams = {},
): Promise<OpenedGateway> {
  const log = await createServeLog(logLevelFrom(config.log?.level, io.env), io);
  requireProviderKeys(resolveProviders(config, io.env), io.env);
  const auth = authentication(config, io, log);
  const dataDir = dataDirectory(config, io.cwd);
  const provenanceConfig = config.provenance
    ? await loadProvenanceFileConfig(config.provenance, io.cwd)
    : undefined;
  const provenance = provenanceConfig ? await createProvenanceStamper(provenanceConfig) : undefined;
  // Shared stores (config `redis`/`postgres`): several replicas, one truth.
  const shared: SharedStores = await openSharedStores(config, io.cwd);
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
  return {
    gateway,
    log,
    auth,
    ...(auditSink ? { auditSink } : {}),
    ...(auditDirectory ? { auditDirectory } : {}),
    ...(provenanceConfig ? { provenanceConfig } : {}),
    async close() {
      await gateway.close();
      await shared.close();
      await provenance?.close();
    },
  };
}
