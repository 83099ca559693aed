import { Command, CommanderError } from 'commander';
import { type CliIo, EXIT, UsageError } from './io.ts';
import { registerAdminCommands } from './program/admin-commands.ts';
import { registerDemoCommand, registerGenerateCommands } from './program/generate-commands.ts';
import type { CommandParts, MainOptions } from './program/options.ts';
import { registerServeCommands } from './program/serve-commands.ts';
import { cliVersion } from './version.ts';

export type { MainOptions } from './program/options.ts';

/**
 * Builds the `pixelgate` program. Commands run through `setExitCode`, since commander's actions
 * cannot return a value; output goes through `io`, so the whole CLI runs in-process in tests.
 */
export function createProgram(
  io: CliIo,
  setExitCode: (code: number) => void,
  options: MainOptions = {},
): Command {
  const program = new Command('pixelgate');
  program
    .description(
      'Compliant image generation through many providers: serve the HTTP API, generate images, inspect models, verify audit logs.',
    )
    .version(cliVersion, '-v, --version')
    .exitOverride()
    .showSuggestionAfterError(true)
    .configureOutput({
      writeOut: (text) => io.stdout(text),
      writeErr: (text) => io.stderr(text),
      // Commander's own errors (unknown option, missing argument, bad value): one line, no usage dump.
      outputError: (text, write) =>
        write(
          `pixelgate: ${text
            .replace(/^error: /, '')
            .replace(/\s*\n\s*/g, ' ')
            .trim()}\n`,
        ),
    });

  const parts: CommandParts = { io, setExitCode, options };
  registerServeCommands(program, parts);
  registerGenerateCommands(program, parts);
  registerAdminCommands(program, parts);
  registerDemoCommand(program, parts);
  return program;
}

/**
 * Runs the CLI and returns the exit code: 0 success, 1 failure, 2 wrong usage (bad flag, bad
 * config file). Every error is one line on stderr; a stack trace is printed only with
 * PIXELGATE_DEBUG=1, for bug reports.
 */
export async function main(argv: string[], io: CliIo, options: MainOptions = {}): Promise<number> {
  let exitCode: number = EXIT.ok;
  const program = createProgram(
    io,
    (code) => {
      exitCode = code;
    },
    options,
  );
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are successful exits; anything else commander reports is a usage error.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (error instanceof UsageError) {
      io.stderr(`pixelgate: ${error.message}\n`);
      return EXIT.usage;
    }
    io.stderr(`pixelgate: ${error instanceof Error ? error.message : String(error)}\n`);
    if (io.env.PIXELGATE_DEBUG && error instanceof Error && error.stack) io.stderr(`${error.stack}\n`);
    return EXIT.failure;
  }
}
