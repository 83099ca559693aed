import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { runAuditExport, runAuditVerify } from './commands/audit.ts';
import { runDemo } from './commands/demo.ts';
import { runGenerate } from './commands/generate.ts';
import { runModels } from './commands/models.ts';
import { runProvenanceInit, runProvenanceVerify } from './commands/provenance.ts';
import { processShutdownSignal, runServe } from './commands/serve.ts';
import {
  runAuditExportPostgres,
  runAuditVerifyPostgres,
  runBudgetReconcile,
  runDbMigrate,
} from './commands/shared-stores.ts';
import { type CliConfig, EMBEDDED_DEFAULTS, loadCliConfig } from './config.ts';
import { createProviders, resolveProviders } from './gateway-from-config.ts';
import { type CliIo, EXIT, UsageError } from './io.ts';
import { cliVersion } from './version.ts';

/** Seams of {@link main} beyond IO. */
export interface MainOptions {
  /** What stops `serve` (default: SIGINT or SIGTERM). */
  shutdown?: () => AbortSignal;
}

function integer(name: string, min: number, max: number) {
  return (value: string): number => {
    if (!/^-?\d+$/.test(value)) throw new InvalidArgumentError(`${name} must be a whole number`);
    const parsed = Number(value);
    if (parsed < min || parsed > max)
      throw new InvalidArgumentError(`${name} must be between ${min} and ${max}`);
    return parsed;
  };
}

/** Loads `--config` (or PIXELGATE_CONFIG), or the embedded defaults when neither is given. */
async function configFrom(path: string | undefined, io: CliIo): Promise<CliConfig> {
  const file = path ?? io.env.PIXELGATE_CONFIG;
  return file ? loadCliConfig(file, io.cwd) : EMBEDDED_DEFAULTS;
}

const configOption = () =>
  new Option(
    '-c, --config <file>',
    'JSON config file (default: $PIXELGATE_CONFIG, else built-in defaults and the environment)',
  );

/** `pixelgate audit verify` and `pixelgate audit export`, over files or (`--postgres`) the database. */
function registerAuditCommands(program: Command, io: CliIo, setExitCode: (code: number) => void): void {
  const audit = program.command('audit').description('Check and export the tamper-evident audit log.');
  audit
    .command('verify')
    .description(
      'Verify an audit log directory (hash chain, signed checkpoints), an evidence bundle exported from one (offline), or the PostgreSQL audit log.',
    )
    .argument('[dir]', 'audit log directory (for serve: ./pixelgate-data/audit) or evidence bundle folder')
    .option('--postgres <url>', 'verify the PostgreSQL audit log instead (needs --public-key)')
    .addOption(configOption())
    .option(
      '--public-key <file>',
      "PEM public key checkpoints must be signed with (default: the one serve wrote into <dir>, or the bundle's own)",
    )
    .option(
      '--allow-unsigned-tail',
      'accept any records after the last checkpoint (a live tail within the checkpoint interval is accepted without it)',
    )
    .action(
      async (
        dir: string | undefined,
        flags: { publicKey?: string; allowUnsignedTail?: boolean; postgres?: string; config?: string },
      ) => {
        const { config: path, postgres, ...rest } = flags;
        if (postgres || dir === undefined) {
          const options = { ...rest, ...(postgres ? { postgres } : {}) };
          setExitCode(await runAuditVerifyPostgres(options, await configFrom(path, io), io));
          return;
        }
        setExitCode(await runAuditVerify(dir, rest, io));
      },
    );
  audit
    .command('export')
    .description('Export the records of a time range, with the evidence to verify them, into a folder.')
    .argument('[auditDir]', 'audit log directory')
    .option('--postgres <url>', 'export from the PostgreSQL audit log instead (needs --public-key)')
    .addOption(configOption())
    .requiredOption(
      '--from <time>',
      'start of the period, inclusive (YYYY-MM-DD in UTC, or an ISO 8601 time)',
    )
    .requiredOption('--to <time>', 'end of the period, exclusive')
    .requiredOption('--out <dir>', 'folder to write the evidence bundle to')
    .option(
      '--public-key <file>',
      'PEM public key checkpoints must be signed with (default: the one serve wrote into <auditDir>)',
    )
    .option(
      '--signing-key <file>',
      "PEM private key that signs the bundle's manifest (default: serve's audit-signing-key.pem beside <auditDir>, if there)",
    )
    .action(
      async (
        auditDir: string | undefined,
        flags: {
          from: string;
          to: string;
          out: string;
          publicKey?: string;
          signingKey?: string;
          postgres?: string;
          config?: string;
        },
      ) => {
        const { config: path, postgres, ...rest } = flags;
        if (postgres || auditDir === undefined) {
          const options = { ...rest, ...(postgres ? { postgres } : {}) };
          setExitCode(await runAuditExportPostgres(options, await configFrom(path, io), io));
          return;
        }
        setExitCode(await runAuditExport(auditDir, rest, io));
      },
    );
}

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

  program
    .command('serve')
    .description('Run the HTTP API (OpenAI-compatible and native routes) until SIGINT or SIGTERM.')
    .addOption(configOption())
    .option(
      '-p, --port <port>',
      'port to listen on (default: config, $PORT, else 8787; 0 picks a free port)',
      integer('--port', 0, 65_535),
    )
    .option('-H, --host <host>', 'interface to listen on (default: config, $HOST, else 127.0.0.1)')
    .addHelpText(
      'after',
      '\nProviders: the config\'s "providers" section, else OPENAI_API_KEY, STABILITY_API_KEY, GEMINI_API_KEY,\nBFL_API_KEY, FAL_KEY and AWS credentials (AWS_ACCESS_KEY_ID or AWS_PROFILE, for Bedrock) enable those providers; the offline local provider is always on. Images and the audit log go to ./pixelgate-data.',
    )
    .action(async (flags: { config?: string; port?: number; host?: string }) => {
      const config = await configFrom(flags.config, io);
      const serveOptions = {
        ...(flags.port === undefined ? {} : { port: flags.port }),
        ...(flags.host ? { host: flags.host } : {}),
      };
      setExitCode(await runServe(serveOptions, config, io, (options.shutdown ?? processShutdownSignal)()));
    });

  program
    .command('generate')
    .description('Generate images for a prompt and save them.')
    .argument('<prompt>', 'what to draw')
    .addOption(configOption())
    .option('-m, --model <model>', 'model id, provider/id or alias (see `pixelgate models`)')
    .option('-s, --size <size>', 'WIDTHxHEIGHT, checked against the model')
    .option('-n, --n <count>', 'number of images, 1-10', integer('--n', 1, 10))
    .option('-q, --quality <quality>', 'quality, if the model has the setting')
    .option(
      '--seed <seed>',
      'seed for reproducible images, if the model supports seeds',
      integer('--seed', 0, 4_294_967_295),
    )
    .addOption(new Option('-f, --format <format>', 'output format').choices(['png', 'jpeg', 'webp']))
    .option('-o, --out <dir>', 'folder for the images', 'pixelgate-output')
    .action(
      async (
        prompt: string,
        flags: {
          config?: string;
          model?: string;
          size?: string;
          n?: number;
          quality?: string;
          seed?: number;
          format?: string;
          out: string;
        },
      ) => {
        const { config: path, ...generateOptions } = flags;
        setExitCode(await runGenerate(prompt, generateOptions, await configFrom(path, io), io));
      },
    );

  program
    .command('models')
    .description('List the models the configured providers serve, with what each accepts and costs.')
    .addOption(configOption())
    .option('--provider <id>', 'only this provider')
    .option('--json', 'print the model descriptors as JSON')
    .action(async (flags: { config?: string; provider?: string; json?: boolean }) => {
      const { config: path, ...modelsOptions } = flags;
      setExitCode(await runModels(modelsOptions, await configFrom(path, io), io));
    });

  registerAuditCommands(program, io, setExitCode);

  const provenance = program
    .command('provenance')
    .description('Content Credentials (C2PA): development signing keys and verification of images.');
  provenance
    .command('init')
    .description('Create a DEVELOPMENT root CA, signer certificate and key for signing images.')
    .option('-d, --dir <dir>', 'folder for the PEM files', 'pixelgate-data/provenance')
    .addOption(new Option('-a, --algorithm <alg>', 'signing algorithm').choices(['es256', 'ed25519']))
    .option('--force', 'replace existing credentials')
    .action(async (flags: { dir: string; algorithm?: 'es256' | 'ed25519'; force?: boolean }) => {
      setExitCode(await runProvenanceInit(flags, io));
    });
  provenance
    .command('verify')
    .description("Verify an image's C2PA manifest: Trusted, Valid, Invalid or Absent, with the reasons.")
    .argument('<file>', 'PNG, JPEG or WebP image')
    .option('--trust <root.pem>', 'PEM root certificate(s) to trust')
    .action(async (file: string, flags: { trust?: string }) => {
      setExitCode(await runProvenanceVerify(file, flags, io));
    });

  program
    .command('db')
    .description('The PostgreSQL database of a shared deployment.')
    .command('migrate')
    .description('Apply pending schema migrations (safe while other replicas start).')
    .option('--postgres <url>', 'database URL (default: postgres.url in the config)')
    .addOption(configOption())
    .action(async (flags: { postgres?: string; config?: string }) => {
      const { config: path, ...rest } = flags;
      setExitCode(await runDbMigrate(rest, await configFrom(path, io), io));
    });

  program
    .command('budget')
    .description('Budgets of a shared deployment.')
    .command('reconcile')
    .description(
      "Compare the spend ledger (PostgreSQL) with the budget counters (Redis) for the config's budget rules.",
    )
    .option('--postgres <url>', 'database URL (default: postgres.url in the config)')
    .option('--redis <url>', 'Redis URL (default: redis.url in the config)')
    .addOption(configOption())
    .action(async (flags: { postgres?: string; redis?: string; config?: string }) => {
      const { config: path, ...rest } = flags;
      setExitCode(await runBudgetReconcile(rest, await configFrom(path, io), io));
    });

  program
    .command('demo')
    .description('Run one prompt through the whole pipeline offline and print the audit record.')
    .argument('[prompt]', 'what to draw', 'a lighthouse at dusk')
    .option('-m, --model <model>', 'model (default local/placeholder)')
    .option('-s, --size <size>', 'WIDTHxHEIGHT')
    .option('-n, --n <count>', 'number of images, 1-10', integer('--n', 1, 10))
    .option('--seed <seed>', 'seed', integer('--seed', 0, 4_294_967_295))
    .option('-o, --out <dir>', 'folder for the images', 'pixelgate-output')
    .action(
      async (
        prompt: string,
        flags: { model?: string; size?: string; n?: number; seed?: number; out: string },
      ) => {
        // Real providers join when their keys are set; local is the demo's own.
        const providers = createProviders(
          { ...resolveProviders(EMBEDDED_DEFAULTS, io.env), local: false },
          io.env,
        );
        const { out, ...rest } = flags;
        setExitCode(
          await runDemo(prompt, {
            ...rest,
            outDir: out,
            providers,
            stdout: io.stdout,
            stderr: io.stderr,
            progress: io.stderrIsTTY,
          }),
        );
      },
    );

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
