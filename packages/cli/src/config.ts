import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { gatewayConfigSchema } from '@pixelgate/core';
import { apiKeyEntrySchema, modelOverrideSchema } from '@pixelgate/core/spec';
import { provenanceFileConfigSchema } from '@pixelgate/provenance';
import { z } from 'zod';
import { UsageError } from './io.ts';
import { jobsConfigSchema } from './jobs-from-config.ts';
import { otlpConfigSchema } from './serve/otlp-settings.ts';
import { postgresConfigSchema, redisConfigSchema } from './shared-stores.ts';

const apiKeySetting = z
  .string()
  .min(1)
  .optional()
  .describe('the key itself; better left to the environment variable');
const baseUrlSetting = z.url().optional();

/** Log levels of `serve`, from most to least verbose, plus `silent`. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

/** Settings of the providers `serve`, `generate` and `models` enable. A provider is on when its section is present. */
export const providersConfigSchema = z.strictObject({
  /** The offline provider; on unless `false`. */
  local: z
    .union([
      z.literal(false),
      z.strictObject({
        latencyMs: z.number().int().min(0).max(60_000).optional(),
        noise: z.number().min(0).max(1).optional(),
      }),
    ])
    .optional(),
  openai: z
    .strictObject({
      apiKey: apiKeySetting,
      baseURL: baseUrlSetting,
      organization: z.string().min(1).optional(),
      project: z.string().min(1).optional(),
      servedBy: z.enum(['openai', 'compatible']).optional(),
    })
    .optional(),
  stability: z.strictObject({ apiKey: apiKeySetting, baseURL: baseUrlSetting }).optional(),
  bfl: z.strictObject({ apiKey: apiKeySetting, baseURL: baseUrlSetting }).optional(),
  fal: z.strictObject({ apiKey: apiKeySetting }).optional(),
  /** Credentials come from the AWS default chain (environment, profile, SSO, instance role), never from this file. */
  bedrock: z.strictObject({ region: z.string().min(1).optional(), endpoint: baseUrlSetting }).optional(),
  google: z
    .strictObject({
      api: z.enum(['gemini', 'vertex']).optional(),
      apiKey: apiKeySetting,
      project: z.string().min(1).optional(),
      location: z.string().min(1).optional(),
      keyFilename: z.string().min(1).optional(),
      baseURL: baseUrlSetting,
    })
    .optional(),
});
/** Parsed provider settings. */
export type ProvidersConfig = z.infer<typeof providersConfigSchema>;

/**
 * The CLI's configuration file: the core's gateway configuration (same keys, same validation),
 * plus what only a standalone server needs: which providers to enable, API keys, models added by
 * configuration, where to listen and where to keep data.
 */
export const cliConfigSchema = gatewayConfigSchema.extend({
  providers: providersConfigSchema.optional(),
  models: z.array(modelOverrideSchema).optional(),
  /** API keys (core's `apiKeyEntrySchema`: `hash` preferred over `key`); none means no authentication. */
  auth: z.strictObject({ keys: z.array(apiKeyEntrySchema).default([]) }).optional(),
  server: z
    .strictObject({
      host: z.string().min(1).optional(),
      port: z.number().int().min(0).max(65_535).optional(),
    })
    .optional(),
  /** `serve`'s file audit log in `<dataDir>/audit` (on by default; its signing key is created on first start). */
  auditLog: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** PEM file of the Ed25519 key that signs checkpoints (default `<dataDir>/audit-signing-key.pem`). */
      signingKeyFile: z.string().min(1).optional(),
    })
    .optional(),
  /** Budgets and rate limits shared by every replica, in Redis (see docs/deploying.md). */
  redis: redisConfigSchema.optional(),
  /** Durable jobs, batches, webhooks and Idempotency-Key on that Redis (on whenever `redis` is set; see docs/jobs.md). */
  jobs: jobsConfigSchema.optional(),
  /** The audit log and spend ledger shared by every replica, in PostgreSQL. */
  postgres: postgresConfigSchema.optional(),
  /** `serve`'s logs (JSON lines on standard output); the level falls back to LOG_LEVEL, then `info`. */
  log: z.strictObject({ level: z.enum(LOG_LEVELS).optional() }).optional(),
  /** `serve`'s OpenTelemetry: Prometheus metrics at `GET /metrics`, metrics and traces to an OTLP endpoint. */
  telemetry: z
    .strictObject({
      /** Serve `GET /metrics` (default true). */
      metrics: z.boolean().default(true),
      /** OTLP/HTTP export; without it, OTEL_EXPORTER_OTLP_ENDPOINT (and _HEADERS) turn it on. */
      otlp: otlpConfigSchema.optional(),
      /**
       * @deprecated The earlier spelling of `otlp.endpoint`, kept so existing configs still start;
       * it means `otlp: { endpoint }` (traces and metrics). Setting both is an error.
       */
      otlpEndpoint: z.url().optional(),
    })
    .optional(),
  /**
   * Content provenance (XMP + signed C2PA manifests) on every image `serve` delivers, and
   * `POST /v1/provenance/verify`; PEM file paths are relative to the working directory.
   */
  provenance: provenanceFileConfigSchema.optional(),
  /**
   * The browser console (`/console/`) and API reference (`/docs`): on by default when `serve`
   * listens on a loopback address only, off elsewhere unless enabled. Admin tenants see every
   * tenant's audit records.
   */
  console: z
    .strictObject({ enabled: z.boolean().optional(), adminTenantIds: z.array(z.string().min(1)).optional() })
    .optional(),
  /** Folder for stored images and the audit log (default `./pixelgate-data`). */
  dataDir: z.string().min(1).optional(),
  /** Keys that sign media URLs; without them URLs stop working when the process restarts. */
  mediaSigningKeys: z
    .array(
      z.strictObject({
        id: z.string().min(1),
        secret: z.string().min(32, 'a signing secret has at least 32 characters'),
        retired: z.boolean().optional(),
      }),
    )
    .min(1)
    .optional(),
});
/** A parsed CLI configuration file. */
export type CliConfig = z.infer<typeof cliConfigSchema>;

/** Formats the first zod issue as `path: message`, the one line a user needs to fix the file. */
function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid';
  const path = issue.path.map(String).join('.');
  return `${path || '(root)'}: ${issue.message}`;
}

/** Validates a parsed config object; a mistake is a UsageError naming the file and the field. */
export function parseCliConfig(value: unknown, source = 'config'): CliConfig {
  const parsed = cliConfigSchema.safeParse(value);
  if (!parsed.success) throw new UsageError(`invalid config file ${source}: ${firstIssue(parsed.error)}`);
  return parsed.data;
}

/**
 * Reads and validates a JSON config file. Unreadable files, bad JSON and schema mistakes all
 * become one UsageError line naming the file; no stack trace reaches the terminal.
 */
export async function loadCliConfig(path: string, cwd: string): Promise<CliConfig> {
  const file = resolve(cwd, path);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(
      `cannot read config file ${path}: ${code === 'ENOENT' ? 'no such file' : (code ?? String(error))}`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`config file ${path} is not valid JSON: ${(error as Error).message}`);
  }
  return parseCliConfig(json, path);
}

/** The configuration used when no file is given: everything from defaults and the environment. */
export const EMBEDDED_DEFAULTS: CliConfig = cliConfigSchema.parse({});
