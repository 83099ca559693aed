/**
 * The logging seam. pixelgate only ever passes structured, secret-free fields; the default logger
 * discards everything so an embedding server's own logger decides what is written.
 *
 * The argument order is pino's (fields first, then the message), so a pino logger, or anything
 * with pino's signature (Fastify's `request.log`, bunyan-style loggers), can be passed as is; an
 * `err` field holds an Error whose stack the logger may serialize.
 */
export interface Logger {
  debug(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

/** A logger that writes nothing. */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};

/** The part of a pino logger (or a child of one) that {@link pinoLogger} calls. */
export interface PinoLikeLogger {
  debug(fields: object, message?: string): void;
  info(fields: object, message?: string): void;
  warn(fields: object, message?: string): void;
  error(fields: object, message?: string): void;
}

/**
 * Adapts a pino logger to the {@link Logger} contract. A pino instance already has the right
 * signature; the adapter binds its methods (pino's need their `this`, and pixelgate may pass the
 * methods around) and keeps pixelgate off the rest of pino's surface. Bring your own pino: core
 * does not depend on it.
 */
export function pinoLogger(pino: PinoLikeLogger): Logger {
  return {
    debug: (fields, message) => pino.debug(fields, message),
    info: (fields, message) => pino.info(fields, message),
    warn: (fields, message) => pino.warn(fields, message),
    error: (fields, message) => pino.error(fields, message),
  };
}
