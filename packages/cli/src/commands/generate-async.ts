import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { ANONYMOUS_TENANT, createMemoryStorage, GatewayError } from '@pixelgate/core';
import { extensionFor, sniffImage } from '@pixelgate/core/provider-utils';
import type { JobService, JobView } from '@pixelgate/jobs';
import type { CliConfig } from '../config.ts';
import { type CliGatewayOptions, createCliGateway } from '../gateway-from-config.ts';
import { type CliIo, EXIT, UsageError } from '../io.ts';
import { openJobs } from '../jobs-from-config.ts';
import { startSpinner } from '../progress.ts';
import { openSharedStores } from '../shared-stores.ts';
import { exitCodeFor, formatGatewayError, type GenerateCommandOptions, generationBody } from './generate.ts';

/** Seams of {@link runGenerateAsync}: parts of the gateway, and how often to poll. */
export interface GenerateAsyncSeams extends Partial<Pick<CliGatewayOptions, 'providers' | 'auditSink'>> {
  /** Milliseconds between polls (default 500). */
  pollMs?: number;
}

const FINAL = new Set(['succeeded', 'failed', 'cancelled']);

/**
 * `pixelgate generate --async "<prompt>"`: submits the request as a job on the config's Redis
 * (checked here first, exactly as the HTTP route checks it), then follows it until it finishes: a
 * progress line on a terminal, one plain line per job event otherwise. A worker (`pixelgate
 * serve` or `pixelgate worker` on the same Redis) runs it. The budget and rate limits are the shared
 * ones of the config's `redis` section, as the server's.
 */
export async function runGenerateAsync(
  prompt: string,
  options: GenerateCommandOptions,
  config: CliConfig,
  io: CliIo,
  seams: GenerateAsyncSeams = {},
): Promise<number> {
  if (!config.redis)
    throw new UsageError('--async needs the redis section in the config file (jobs live in Redis)');
  if (config.jobs?.enabled === false) throw new UsageError('jobs.enabled is false in the config file');
  const { pollMs, ...gatewaySeams } = seams;
  const shared = await openSharedStores(config, io.cwd);
  const gateway = createCliGateway(config, {
    cwd: io.cwd,
    env: io.env,
    storageAdapter: createMemoryStorage(),
    ...(shared.budgetStore ? { budgetStore: shared.budgetStore } : {}),
    ...(shared.rateLimitStore ? { rateLimitStore: shared.rateLimitStore } : {}),
    ...(shared.auditSink ? { auditSink: shared.auditSink } : {}),
    ...gatewaySeams,
  });
  const opened = openJobs(config, gateway)!;
  try {
    const submitted = await opened.jobs.submit(ANONYMOUS_TENANT, generationBody(prompt, options), {
      style: 'native',
      source: 'cli',
    });
    io.stdout(`job      ${submitted.id}\n`);
    const view = await follow(opened.jobs, submitted.id, io, pollMs ?? 500);
    if (view.status !== 'succeeded' || !view.result) {
      const error = view.error ?? {
        code: 'INTERNAL_ERROR',
        message: `the job ended ${view.status}`,
        param: null,
      };
      io.stderr(
        `pixelgate: job ${view.status}: ${error.code}${error.param ? ` (${error.param})` : ''}: ${error.message}\n`,
      );
      return error.code === 'INTERNAL_ERROR' || error.code === 'BACKEND_ERROR' ? EXIT.failure : EXIT.usage;
    }
    await saveResult(view.result, resolve(io.cwd, options.out ?? 'pixelgate-output'), io);
    return EXIT.ok;
  } catch (error) {
    if (!GatewayError.isInstance(error)) throw error;
    io.stderr(formatGatewayError(error));
    return exitCodeFor(error);
  } finally {
    await opened.close();
    await gateway.close();
    await shared.close();
  }
}

/**
 * Polls the job until it is final (bounded by the job's own lifetime: a job whose worker died is
 * taken over by another one). On a terminal the status is one redrawn line; otherwise each new
 * event is one plain line, so logs stay readable.
 */
async function follow(jobs: JobService, id: string, io: CliIo, pollMs: number): Promise<JobView> {
  let shown = 0;
  let stop = startSpinner(io.stderrIsTTY, io.stderr, 'queued: waiting for a worker…');
  try {
    for (;;) {
      const view = await jobs.get(ANONYMOUS_TENANT, id);
      if (!view) throw new GatewayError('NOT_FOUND', `The job ${id} is gone (expired or removed).`);
      if (io.stderrIsTTY && view.events.length !== shown) {
        stop();
        stop = startSpinner(true, io.stderr, view.status === 'running' ? 'running…' : `${view.status}…`);
      }
      if (!io.stderrIsTTY)
        for (const event of view.events.slice(shown)) io.stderr(`${event.at} ${event.type}\n`);
      shown = view.events.length;
      if (FINAL.has(view.status)) return view;
      await new Promise((wake) => setTimeout(wake, pollMs));
    }
  } finally {
    stop();
  }
}

/** Writes each image of a native job result under its content hash, as `generate` does. */
async function saveResult(result: Record<string, unknown>, outDir: string, io: CliIo): Promise<void> {
  await mkdir(outDir, { recursive: true });
  io.stdout(`model    ${String(result.model)}\nrequest  ${String(result.request_id)}\n`);
  for (const item of (result.data as Array<{ b64_json?: string }>) ?? []) {
    if (!item.b64_json) continue;
    const bytes = Buffer.from(item.b64_json, 'base64');
    const sniffed = sniffImage(bytes);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const mediaType = sniffed?.mediaType ?? 'image/png';
    const file = join(outDir, `${sha256.slice(0, 16)}.${extensionFor(mediaType)}`);
    await writeFile(file, bytes);
    const shown = relative(io.cwd, file) || file;
    const dims = sniffed?.width && sniffed.height ? `${sniffed.width}x${sniffed.height} ` : '';
    io.stdout(
      `image    ${shown.startsWith('..') ? file : shown}\n         ${dims}${mediaType}, ${bytes.length} bytes\n         sha256 ${sha256}\n`,
    );
  }
  const cost = result.cost as { actualUsd?: number; estimatedUsd?: number; basis?: string } | undefined;
  const usd = cost?.actualUsd ?? cost?.estimatedUsd;
  io.stdout(`cost     ${usd === undefined ? 'unknown' : `$${usd}`} (${cost?.basis ?? 'unknown'})\n`);
}
