import { join, resolve } from 'node:path';
import {
  type AuditSink,
  type BudgetStore,
  createFilesystemStorage,
  createGateway,
  type Gateway,
  type ImageProvenance,
  type ImageProvider,
  type Logger,
  type RateLimitStore,
  type StorageAdapter,
} from '@pixelgate/core';
import { jobProviderConcurrency, jobResumeMiddleware } from '@pixelgate/jobs';
import { createBedrockProvider } from '@pixelgate/provider-bedrock';
import { createBflProvider } from '@pixelgate/provider-bfl';
import { createFalProvider } from '@pixelgate/provider-fal';
import { createGoogleImageProvider } from '@pixelgate/provider-imagen';
import { createLocalProvider } from '@pixelgate/provider-local';
import { createOpenAIProvider } from '@pixelgate/provider-openai';
import { createStabilityProvider } from '@pixelgate/provider-stability';
import type { CliConfig, ProvidersConfig } from './config.ts';

/** Environment variables that switch a provider on when the config file has no `providers` section. */
export const PROVIDER_ENVIRONMENT = {
  openai: 'OPENAI_API_KEY',
  stability: 'STABILITY_API_KEY',
  google: 'GEMINI_API_KEY',
  bfl: 'BFL_API_KEY',
  fal: 'FAL_KEY',
} as const;

/**
 * Which providers to enable and with what settings. A config file's `providers` section is the
 * complete list (local stays on unless set to `false`); without one, the environment decides:
 * each provider whose key variable is set, plus local. Keys come from `env` explicitly rather than
 * from the plugins' own `process.env` lookups, so what is enabled is what is configured.
 */
export function resolveProviders(
  config: CliConfig,
  env: Readonly<Record<string, string | undefined>>,
): ProvidersConfig {
  if (config.providers) return config.providers;
  const fromEnv: ProvidersConfig = {};
  if (env.OPENAI_API_KEY) fromEnv.openai = { apiKey: env.OPENAI_API_KEY };
  if (env.STABILITY_API_KEY) fromEnv.stability = { apiKey: env.STABILITY_API_KEY };
  if (env.GEMINI_API_KEY) fromEnv.google = { api: 'gemini', apiKey: env.GEMINI_API_KEY };
  if (env.BFL_API_KEY) fromEnv.bfl = { apiKey: env.BFL_API_KEY };
  if (env.FAL_KEY) fromEnv.fal = { apiKey: env.FAL_KEY };
  // Bedrock signs with the AWS default chain; explicit AWS credentials or a profile switch it on.
  if (env.AWS_ACCESS_KEY_ID || env.AWS_PROFILE) {
    const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
    fromEnv.bedrock = region ? { region } : {};
  }
  return fromEnv;
}

/** Builds the provider plugins for a resolved provider section. */
export function createProviders(
  providers: ProvidersConfig,
  env: Readonly<Record<string, string | undefined>>,
): ImageProvider[] {
  const list: ImageProvider[] = [];
  if (providers.local !== false) list.push(createLocalProvider(providers.local ?? {}));
  if (providers.openai) {
    const { apiKey, ...rest } = providers.openai;
    const key = apiKey ?? env.OPENAI_API_KEY;
    list.push(createOpenAIProvider({ ...rest, ...(key ? { apiKey: key } : {}) }));
  }
  if (providers.stability) {
    const { apiKey, ...rest } = providers.stability;
    const key = apiKey ?? env.STABILITY_API_KEY;
    list.push(createStabilityProvider({ ...rest, ...(key ? { apiKey: key } : {}) }));
  }
  if (providers.google) {
    const { apiKey, ...rest } = providers.google;
    const key = apiKey ?? env.GEMINI_API_KEY;
    list.push(createGoogleImageProvider({ ...rest, ...(key ? { apiKey: key } : {}) }));
  }
  if (providers.bfl) {
    const { apiKey, ...rest } = providers.bfl;
    const key = apiKey ?? env.BFL_API_KEY;
    list.push(createBflProvider({ ...rest, ...(key ? { apiKey: key } : {}) }));
  }
  if (providers.fal) {
    const key = providers.fal.apiKey ?? env.FAL_KEY;
    list.push(createFalProvider(key ? { apiKey: key } : {}));
  }
  if (providers.bedrock) list.push(createBedrockProvider(providers.bedrock));
  return list;
}

/**
 * The model used when neither the request nor the config names one: the enabled real provider's
 * flagship (OpenAI, then Stability, then Google), else the local placeholder. Printed with every
 * result, so it is never a surprise.
 */
export function defaultModelFor(providers: ProvidersConfig): string | undefined {
  if (providers.openai) return 'openai/gpt-image-1.5';
  if (providers.stability) return 'stability/stable-image-core';
  if (providers.google) return 'google/gemini-3-pro-image';
  if (providers.bfl) return 'bfl/flux-pro-1.1';
  if (providers.fal) return 'fal/fal-ai/flux/dev';
  return providers.local === false ? undefined : 'local/placeholder';
}

/** Seams for {@link createCliGateway}. */
export interface CliGatewayOptions {
  /** Base for a relative `dataDir`. */
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
  /** Replaces the filesystem store (tests). */
  storageAdapter?: StorageAdapter;
  auditSink?: AuditSink;
  /** Shared stores (`redis` in the config). */
  budgetStore?: BudgetStore;
  rateLimitStore?: RateLimitStore;
  /** Extra providers (tests point them at fake servers). */
  providers?: ImageProvider[];
  /** Where the gateway logs internal errors (serve passes its pino logger); default: silent. */
  logger?: Logger;
  /** The provenance stamper built from the config's `provenance` section (see `serve`). */
  provenance?: ImageProvenance;
}

/** The data folder: `dataDir` from the config, else `./pixelgate-data`. */
export function dataDirectory(config: CliConfig, cwd: string): string {
  return resolve(cwd, config.dataDir ?? 'pixelgate-data');
}

/**
 * The gateway every command uses: the config's gateway settings, its providers, filesystem
 * storage in `<dataDir>/images`, and its media signing keys.
 */
export function createCliGateway(config: CliConfig, options: CliGatewayOptions): Gateway {
  const {
    providers: _p,
    auth: _a,
    server: _s,
    dataDir: _d,
    auditLog: _l,
    redis: _r,
    postgres: _pg,
    log: _log,
    console: _console,
    telemetry: _t,
    provenance: _pv,
    jobs: _j,
    models,
    mediaSigningKeys,
    ...gatewayConfig
  } = config;
  const enabled = resolveProviders(config, options.env);
  const defaultModel = gatewayConfig.defaultModel ?? defaultModelFor(enabled);
  return createGateway({
    ...gatewayConfig,
    ...(defaultModel ? { defaultModel } : {}),
    providers: [...createProviders(enabled, options.env), ...(options.providers ?? [])],
    ...(models ? { models } : {}),
    ...(mediaSigningKeys ? { mediaSigningKeys } : {}),
    storageAdapter:
      options.storageAdapter ??
      createFilesystemStorage({ root: join(dataDirectory(config, options.cwd), 'images') }),
    ...(options.auditSink ? { auditSink: options.auditSink } : {}),
    ...(options.budgetStore ? { budgetStore: options.budgetStore } : {}),
    ...(options.rateLimitStore ? { rateLimitStore: options.rateLimitStore } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.provenance ? { provenance: options.provenance } : {}),
    // With jobs on, submit-and-poll calls of a job are resumed by a worker that takes it over.
    ...(config.redis && config.jobs?.enabled !== false ? { middleware: jobMiddleware(config.jobs) } : {}),
  });
}

/** The middleware of a gateway that runs jobs: resume, and the per-provider limit when configured. */
function jobMiddleware(jobs: CliConfig['jobs']) {
  const limits = jobs?.providerConcurrency;
  return limits && Object.keys(limits).length > 0
    ? [jobResumeMiddleware, jobProviderConcurrency(limits)]
    : [jobResumeMiddleware];
}
