import { GatewayError } from '@pixelgate/core';
import type { CliConfig } from '../config.ts';
import { type CliIo, EXIT, UsageError } from '../io.ts';
import { openJobs } from '../jobs-from-config.ts';
import { openServeGateway, type ServeSeams } from '../serve/open-gateway.ts';

/**
 * `pixelgate worker`: runs job and webhook workers alone, from the same config file as `serve`
 * (same providers, shared stores and audit log), so operators scale workers apart from the HTTP
 * servers. Runs until `shutdown` fires; a job running then is finished before the worker stops
 * (BullMQ's graceful close), and a worker killed outright hands its jobs over after the lock expires.
 */
export async function runWorker(
  config: CliConfig,
  io: CliIo,
  shutdown: AbortSignal,
  seams: ServeSeams = {},
): Promise<number> {
  if (!config.redis)
    throw new UsageError('pixelgate worker needs the redis section in the config file: jobs live in Redis');
  if (config.jobs?.enabled === false) throw new UsageError('jobs.enabled is false in the config file');
  let opened: Awaited<ReturnType<typeof openServeGateway>>;
  try {
    opened = await openServeGateway(config, io, seams);
  } catch (error) {
    if (!GatewayError.isInstance(error)) throw error;
    io.stderr(`pixelgate: ${error.code}${error.param ? ` (${error.param})` : ''}: ${error.message}\n`);
    return error.code === 'CONFIGURATION_ERROR' ? EXIT.usage : EXIT.failure;
  }
  const jobs = openJobs(config, opened.gateway)!;
  try {
    await opened.gateway.verify();
    await jobs.startWorkers();
  } catch (error) {
    await jobs.close();
    await opened.close();
    throw error;
  }
  const providers = opened.gateway.registry.providers().map((provider) => provider.id);
  opened.log.info({ providers, concurrency: config.jobs?.concurrency ?? 4 }, 'pixelgate worker ready');
  if (!shutdown.aborted)
    await new Promise<void>((resolve) => shutdown.addEventListener('abort', () => resolve(), { once: true }));
  opened.log.info({}, 'pixelgate worker shutting down');
  await jobs.close();
  await opened.close();
  opened.log.info({}, 'pixelgate worker stopped');
  return EXIT.ok;
}
