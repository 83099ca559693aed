import { type DestinationStream, type Level, type Logger, pino } from 'pino';
import { LOG_LEVELS } from '../config.ts';
import { type CliIo, UsageError } from '../io.ts';

/** A log level. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * The level: the config file's `log.level`, else `LOG_LEVEL`, else `info` (the same order as the
 * port: what is written down for this server wins over the environment). A bad `LOG_LEVEL` is a
 * usage error, not a silent default.
 */
export function logLevelFrom(configured: LogLevel | undefined, env: CliIo['env']): LogLevel {
  if (configured) return configured;
  const value = env.LOG_LEVEL?.trim().toLowerCase();
  if (!value) return 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(value))
    throw new UsageError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${env.LOG_LEVEL}"`);
  return value as LogLevel;
}

/** Writes log lines through `io.stdout`, so tests read them like any other output. */
function ioDestination(io: CliIo): DestinationStream {
  return { write: (line: string) => io.stdout(line) };
}

/**
 * pino-pretty's stream when standard output is a terminal and pino-pretty is installed (it is an
 * optional extra, not a dependency); otherwise undefined and the logs stay JSON.
 */
async function prettyDestination(io: CliIo): Promise<DestinationStream | undefined> {
  if (!io.stdoutIsTTY) return undefined;
  try {
    const specifier = 'pino-pretty';
    const { default: pretty } = (await import(specifier)) as {
      default: (options: object) => DestinationStream;
    };
    return pretty({ colorize: true, sync: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' });
  } catch {
    return undefined;
  }
}

/**
 * The server's logger: JSON lines on standard output (one object per line, `time` in epoch ms,
 * `level` as a name so log pipelines need no number table), errors serialized with their stack
 * under `err`. Nothing secret is ever passed to it; as a second line of defence, credential
 * headers are redacted should a caller ever log a request.
 */
export async function createServeLog(level: LogLevel, io: CliIo): Promise<Logger> {
  const destination = (await prettyDestination(io)) ?? ioDestination(io);
  return pino(
    {
      name: 'pixelgate',
      level,
      base: { pid: process.pid },
      formatters: { level: (label: string) => ({ level: label as Level }) },
      redact: {
        paths: ['headers.authorization', 'headers["x-api-key"]', 'apiKey', 'key'],
        censor: '[redacted]',
      },
    },
    destination,
  );
}
