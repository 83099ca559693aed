import { describe, expect, it } from 'vitest';
import { type Logger, type PinoLikeLogger, pinoLogger } from './logger.ts';

/** A stand-in with pino's shape whose methods need their `this`, as pino's do. */
class RecordingPino implements PinoLikeLogger {
  readonly lines: Array<{ level: string; fields: object; message: string | undefined }> = [];
  #write(level: string, fields: object, message?: string) {
    this.lines.push({ level, fields, message });
  }
  debug(fields: object, message?: string) {
    this.#write('debug', fields, message);
  }
  info(fields: object, message?: string) {
    this.#write('info', fields, message);
  }
  warn(fields: object, message?: string) {
    this.#write('warn', fields, message);
  }
  error(fields: object, message?: string) {
    this.#write('error', fields, message);
  }
}

describe('pinoLogger', () => {
  it("passes fields then message, in pino's order, at each level", () => {
    const pino = new RecordingPino();
    const logger: Logger = pinoLogger(pino);
    logger.debug({ a: 1 }, 'one');
    logger.info({ b: 2 }, 'two');
    logger.warn({ c: 3 }, 'three');
    const err = new Error('boom');
    logger.error({ requestId: 'r1', err }, 'four');
    expect(pino.lines).toEqual([
      { level: 'debug', fields: { a: 1 }, message: 'one' },
      { level: 'info', fields: { b: 2 }, message: 'two' },
      { level: 'warn', fields: { c: 3 }, message: 'three' },
      { level: 'error', fields: { requestId: 'r1', err }, message: 'four' },
    ]);
  });

  it('keeps working when its methods are passed around detached', () => {
    const pino = new RecordingPino();
    const { error } = pinoLogger(pino);
    error({ code: 'X' }, 'detached');
    expect(pino.lines).toEqual([{ level: 'error', fields: { code: 'X' }, message: 'detached' }]);
  });
});
