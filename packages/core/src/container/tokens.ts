/**
 * One token per replaceable part of the gateway. A user who passes a container may register any
 * of these before `createGateway` to replace the default. `Symbol.for` keeps tokens equal across
 * duplicate installs of the package.
 */
export const TOKENS = {
  Options: Symbol.for('pixelgate.Options'),
  Clock: Symbol.for('pixelgate.Clock'),
  IdGenerator: Symbol.for('pixelgate.IdGenerator'),
  Logger: Symbol.for('pixelgate.Logger'),
  Events: Symbol.for('pixelgate.Events'),
  ModelRegistry: Symbol.for('pixelgate.ModelRegistry'),
  Storage: Symbol.for('pixelgate.Storage'),
  AuditSink: Symbol.for('pixelgate.AuditSink'),
  BudgetStore: Symbol.for('pixelgate.BudgetStore'),
  RateLimitStore: Symbol.for('pixelgate.RateLimitStore'),
  Guardrails: Symbol.for('pixelgate.Guardrails'),
  AccessPolicy: Symbol.for('pixelgate.AccessPolicy'),
  MediaSigner: Symbol.for('pixelgate.MediaSigner'),
  Pipeline: Symbol.for('pixelgate.Pipeline'),
} as const;

// Clock and IdGenerator live in `shared/`; re-exported here for existing imports.
export { type Clock, systemClock } from '../shared/clock.ts';
export type { IdGenerator } from '../shared/ids.ts';
