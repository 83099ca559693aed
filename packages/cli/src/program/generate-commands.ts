import type { Command } from 'commander';
import { Option } from 'commander';
import { runDemo } from '../commands/demo.ts';
import { runGenerate } from '../commands/generate.ts';
import { runGenerateAsync } from '../commands/generate-async.ts';
import { runModels } from '../commands/models.ts';
import { EMBEDDED_DEFAULTS } from '../config.ts';
import { createProviders, resolveProviders } from '../gateway-from-config.ts';
import { type CommandParts, configFrom, configOption, integer } from './options.ts';

/** `pixelgate generate` (inline, or `--async` as a job) and `pixelgate models`. */
export function registerGenerateCommands(program: Command, { io, setExitCode }: CommandParts): void {
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
    .option(
      '--async',
      'submit a job to the configured Redis and follow its progress; a serve or worker process runs it',
    )
    .action(
      async (
        prompt: string,
        flags: {
          async?: boolean;
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
        const { config: path, async, ...generateOptions } = flags;
        const config = await configFrom(path, io);
        setExitCode(
          async
            ? await runGenerateAsync(prompt, generateOptions, config, io)
            : await runGenerate(prompt, generateOptions, config, io),
        );
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
}

/** `pixelgate demo`: one offline request through the whole pipeline. */
export function registerDemoCommand(program: Command, { io, setExitCode }: CommandParts): void {
  program
    .command('demo')
    .description('Run one prompt through the whole pipeline offline and print the audit record.')
    .argument('[prompt]', 'what to draw', 'a lighthouse at dusk')
    .option('-m, --model <model>', 'model (default local/placeholder)')
    .option('-s, --size <size>', 'WIDTHxHEIGHT')
    .option('-n, --n <count>', 'number of images, 1-10', integer('--n', 1, 10))
    .option('--seed <seed>', 'seed', integer('--seed', 0, 4_294_967_295))
    .option('-o, --out <dir>', 'folder for the images', 'pixelgate-output')
    .option(
      '--async',
      'submit a job to the configured Redis and follow its progress; a serve or worker process runs it',
    )
    .action(
      async (
        prompt: string,
        flags: {
          async?: boolean;
          model?: string;
          size?: string;
          n?: number;
          seed?: number;
          out: string;
        },
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
}
