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

/** A source of the current time; replaced in tests to move through budget periods and token expiry. */
export interface Clock {
  now(): number;
}

/** The system clock. */
export const systemClock: Clock = { now: () => Date.now() };

/** Generates request and reservation ids. */
export interface IdGenerator {
  next(prefix: string): string;
}
