/**
 * @pixelgate/cli: the `pixelgate` command (serve, generate, models, audit, demo). The commands are
 * exported as functions that take their IO, so scripts and tests can run them in-process.
 * @packageDocumentation
 */
export { auditLogLocation, openAuditLog } from './audit-log.ts';
export { createProgram, type MainOptions, main } from './cli.ts';
export {
  type AuditExportOptions,
  type AuditVerifyOptions,
  runAuditExport,
  runAuditVerify,
} from './commands/audit.ts';
export { type GenerateCommandOptions, runGenerate } from './commands/generate.ts';
export { type ModelsCommandOptions, modelsTable, runModels } from './commands/models.ts';
export { type RunningServer, runServe, type ServeCommandOptions, startServer } from './commands/serve.ts';
export {
  type CliConfig,
  cliConfigSchema,
  loadCliConfig,
  parseCliConfig,
  providersConfigSchema,
} from './config.ts';
export {
  createCliGateway,
  createProviders,
  PROVIDER_ENVIRONMENT,
  resolveProviders,
} from './gateway-from-config.ts';
export { type CliIo, EXIT, processIo, UsageError } from './io.ts';
