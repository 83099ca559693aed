/**
 * Everything a command touches outside itself. Commands take it as a parameter instead of reaching
 * for `process`, so tests run them in-process and read what they printed.
 */
export interface CliIo {
  /** Writes to standard output (results: paths, tables, URLs). */
  stdout(text: string): void;
  /** Writes to standard error (progress, warnings, the one-line error). */
  stderr(text: string): void;
  /** Environment variables (provider keys, PORT, HOST). */
  env: Readonly<Record<string, string | undefined>>;
  /** Base for relative paths (`--out`, `--config`, the data directory). */
  cwd: string;
  /** Whether stderr is a terminal: the progress spinner only draws on one. */
  stderrIsTTY: boolean;
  /** Whether stdout is a terminal: `serve` prints its logs pretty on one (with pino-pretty installed). */
  stdoutIsTTY?: boolean;
}

/** The real process's IO. */
export function processIo(): CliIo {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    cwd: process.cwd(),
    stderrIsTTY: Boolean(process.stderr.isTTY),
    stdoutIsTTY: Boolean(process.stdout.isTTY),
  };
}

/**
 * Exit codes: 0 success, 1 the work failed (a provider error, storage, a tampered log), 2 the
 * invocation was wrong (bad flag, bad config file, a request the gateway refused as invalid).
 */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

/**
 * A mistake in how the command was called (a flag, a config file). Printed as one line on stderr,
 * without a stack trace, and exits 2.
 */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
