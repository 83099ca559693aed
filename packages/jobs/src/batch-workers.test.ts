import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { createSlowProvider, type JobsFixture, KEY_A, startJobsFixture } from '../test/jobs-fixture.ts';
import { connectTestRedis, REDIS_URL, type TestRedis } from '../test/redis.ts';
import { createBatchService } from './batch-service.ts';
import { createJobsHandler } from './jobs-handler.ts';

/** A worker child process and the lines it printed so far. */
interface WorkerChild {
  process: ChildProcess;
  lines: string[];
  /** Resolves when a line starting with `prefix` has been printed (already or later). */
  waitFor(prefix: string): Promise<string>;
}

/** Starts test/batch-worker-child.ts and resolves once it says it is ready (never on a timer). */
async function startWorkerChild(prefix: string, mode: 'hang' | 'run'): Promise<WorkerChild> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      '--conditions=@pixelgate/source',
      join(import.meta.dirname, '..', 'test', 'batch-worker-child.ts'),
      REDIS_URL!,
      prefix,
      mode,
    ],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: {
        ...process.env,
        TSX_TSCONFIG_PATH: join(import.meta.dirname, '..', '..', '..', 'tsconfig.base.json'),
      },
    },
  );
  const lines: string[] = [];
  const waiters: Array<{ prefix: string; resolve: (line: string) => void }> = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    lines.push(line);
    for (const waiter of waiters.splice(0)) {
      if (line.startsWith(waiter.prefix)) waiter.resolve(line);
      else waiters.push(waiter);
    }
  });
  const waitFor = (wanted: string) =>
    new Promise<string>((resolve, reject) => {
      const seen = lines.find((line) => line.startsWith(wanted));
      if (seen) return resolve(seen);
      waiters.push({ prefix: wanted, resolve });
      child.once('exit', () => reject(new Error(`the worker child exited before printing "${wanted}"`)));
    });
  await waitFor('ready');
  return { process: child, lines, waitFor };
}

async function stop(child: WorkerChild | undefined): Promise<void> {
  if (!child || child.process.exitCode !== null || child.process.signalCode !== null) return;
  child.process.kill('SIGKILL');
  await once(child.process, 'exit');
}

describe.skipIf(!REDIS_URL)('a batch on two worker processes, one SIGKILLed mid-job', () => {
  let testRedis: TestRedis | undefined;
  let fixture: JobsFixture | undefined;
  const children: WorkerChild[] = [];
  const closers: Array<() => unknown> = [];
  afterEach(async () => {
    for (const child of children.splice(0)) await stop(child);
    for (const close of closers.splice(0)) await close();
    await fixture?.close();
    await testRedis?.cleanup();
  });

  it('finishes every job on the surviving worker, with one audit record and one charge per job', {
    timeout: 120_000,
  }, async () => {
    testRedis = connectTestRedis();
    // This process accepts the batch and runs no worker of its own.
    fixture = await startJobsFixture({
      redisUrl: REDIS_URL!,
      prefix: testRedis.prefix,
      provider: createSlowProvider().provider,
      workers: false,
    });
    const redis = new Redis(REDIS_URL!);
    closers.push(() => redis.disconnect());
    const batches = createBatchService({
      gateway: fixture.gateway,
      jobs: fixture.jobs,
      redis,
      prefix: testRedis.prefix,
    });
    const routes = createJobsHandler({
      jobs: fixture.jobs,
      batches,
      authenticate: (request) =>
        request.headers.get('authorization') === `Bearer ${KEY_A}` ? { tenantId: 'tenant-a' } : undefined,
    });
    const call = (path: string, init: RequestInit = {}) =>
      routes(
        new Request(`http://gateway.test${path}`, {
          ...init,
          headers: { authorization: `Bearer ${KEY_A}`, 'content-type': 'application/json' },
        }),
      ).then((response) => response!);

    // The doomed worker starts first and takes one job, whose provider call never answers.
    const doomed = await startWorkerChild(testRedis.prefix, 'hang');
    children.push(doomed);
    const items = 12;
    const requests = Array.from({ length: items }, (_, index) => ({
      model: 'mock/mock-image',
      prompt: `item ${index}`,
    }));
    const accepted = await call('/v1/inference/images/batches', {
      method: 'POST',
      body: JSON.stringify({ requests }),
    });
    expect(accepted.status).toBe(202);
    const { id } = (await accepted.json()) as { id: string };
    const held = (await doomed.waitFor('call ')).slice('call '.length);
    const survivor = await startWorkerChild(testRedis.prefix, 'run');
    children.push(survivor);
    doomed.process.kill('SIGKILL');
    await once(doomed.process, 'exit');

    type BatchView = { status: string; items: Array<{ index: number; status: string; job_id: string }> };
    let batch: BatchView | undefined;
    for (let poll = 0; poll < 1200; poll++) {
      batch = (await (await call(`/v1/inference/images/batches/${id}`)).json()) as BatchView;
      if (batch.status !== 'in_progress') break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(batch!.status, JSON.stringify(batch)).toBe('completed');
    expect(batch!.items.every((item) => item.status === 'succeeded')).toBe(true);

    // The survivor ran every job, including the one the killed worker held, each once.
    const survivorCalls = survivor.lines
      .filter((line) => line.startsWith('call '))
      .map((line) => line.slice(5));
    expect(survivorCalls.sort()).toEqual(requests.map((request) => request.prompt).sort());
    expect(survivorCalls).toContain(held);
    const records = survivor.lines
      .filter((line) => line.startsWith('audit '))
      .map((line) => JSON.parse(line.slice(6)) as { requestId: string; outcome: string; usd: number | null });
    expect(doomed.lines.filter((line) => line.startsWith('audit '))).toEqual([]);
    const jobIds = batch!.items.map((item) => item.job_id).sort();
    expect(records.map((record) => record.requestId).sort()).toEqual(jobIds);
    expect(records.every((record) => record.outcome === 'success')).toBe(true);
    // Billed once per job: the price of one mock image (0.04 USD) per item, no more.
    const billed = records.reduce((sum, record) => sum + (record.usd ?? 0), 0);
    expect(billed).toBeCloseTo(items * 0.04, 6);
  });
});
