import { InvalidArgumentError, Option } from 'commander';
import { type CliConfig, EMBEDDED_DEFAULTS, loadCliConfig } from '../config.ts';
import type { CliIo } from '../io.ts';

/** Seams of `main` beyond IO. */
export interface MainOptions {
  /** What stops `serve` and `worker` (default: SIGINT or SIGTERM). */
  shutdown?: () => AbortSignal;
}

/** What every command registration needs: the IO, where the exit code goes, and the seams. */
export interface CommandParts {
  io: CliIo;
  setExitCode: (code: number) => void;
  options: MainOptions;
}

/** A commander parser for a whole number in a range, with a message naming the flag. */
export function integer(name: string, min: number, max: number) {
  return (value: string): number => {
    if (!/^-?\d+$/.test(value)) throw new InvalidArgumentError(`${name} must be a whole number`);
    const parsed = Number(value);
    if (parsed < min || parsed > max)
      throw new InvalidArgumentError(`${name} must be between ${min} and ${max}`);
    return parsed;
  };
}

/** Loads `--config` (or PIXELGATE_CONFIG), or the embedded defaults when neither is given. */
export async function configFrom(path: string | undefined, io: CliIo): Promise<CliConfig> {
  const file = path ?? io.env.PIXELGATE_CONFIG;
  return file ? loadCliConfig(file, io.cwd) : EMBEDDED_DEFAULTS;
}

/** The `--config` option every command that reads the config file takes. */
export const configOption = () =>
  new Option(
    '-c, --config <file>',
    'JSON config file (default: $PIXELGATE_CONFIG, else built-in defaults and the environment)',
  );
