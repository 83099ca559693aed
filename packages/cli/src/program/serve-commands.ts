import type { Command } from 'commander';
import { processShutdownSignal, runServe } from '../commands/serve.ts';
import { runWorker } from '../commands/worker.ts';
import { type CommandParts, configFrom, configOption, integer } from './options.ts';

/** `pixelgate serve` (HTTP API, and job workers when Redis is configured) and `pixelgate worker`. */
export function registerServeCommands(program: Command, { io, setExitCode, options }: CommandParts): void {
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
    .command('worker')
    .description(
      'Run job workers alone (no HTTP server), from the same config file as serve, until SIGINT or SIGTERM; needs the redis section.',
    )
    .addOption(configOption())
    .action(async (flags: { config?: string }) => {
      const config = await configFrom(flags.config, io);
      setExitCode(await runWorker(config, io, (options.shutdown ?? processShutdownSignal)()));
    });
}
