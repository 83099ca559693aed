import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createMockImageProvider } from '@pixelgate/core/testing';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from './cli.ts';
import { runGenerateAsync } from './commands/generate-async.ts';
import { startServer } from './commands/serve.ts';
import { runWorker } from './commands/worker.ts';
import { parseCliConfig } from './config.ts';
import { memoryIo, tempDir } from './test-support.ts';

const redisUrl = process.env.PIXELGATE_TEST_REDIS_URL;

let temp: Awaited<ReturnType<typeof tempDir>>;
beforeEach(async () => {
  temp = await tempDir();
});
afterEach(() => temp.remove());

describe('pixelgate worker and generate --async without Redis', () => {
  it('exit 2 with one line naming the missing redis section', async () => {
    for (const argv of [['worker'], ['generate', '--async', 'a kite']]) {
      const memory = memoryIo(temp.dir, {});
      expect(await main(argv, memory.io)).toBe(2);
      expect(memory.stderr()).toMatch(/^pixelgate: .*needs the redis section in the config file.*\n$/);
    }
  });
});

describe.skipIf(!redisUrl)('jobs through serve, worker and generate --async on the real Redis', () => {
  const prefix = `clijobs-${randomBytes(4).toString('hex')}:`;
  const closers: Array<() => Promise<unknown> | unknown> = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
    const redis = new Redis(redisUrl!);
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix.slice(0, -1)}*`, 'COUNT', 500);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
    redis.disconnect();
  });

  const config = (jobs: object = {}) =>
    parseCliConfig({
      providers: { local: false },
      redis: { url: redisUrl!, prefix },
      jobs,
      mediaSigningKeys: [{ id: 'k1', secret: 'x'.repeat(40) }],
      auth: { keys: [{ id: 'k', key: 'pg-cli-jobs-0123456789', tenantId: 'acme' }] },
    });
  const headers = { authorization: 'Bearer pg-cli-jobs-0123456789', 'content-type': 'application/json' };

  /** Starts `pixelgate worker` in-process; resolves once it logged that it is ready. */
  async function startWorker(jobs: object = {}) {
    const memory = memoryIo(temp.dir, {});
    const shutdown = new AbortController();
    const provider = createMockImageProvider();
    const exit = runWorker(config(jobs), memory.io, shutdown.signal, { providers: [provider] });
    await Promise.race([
      memory.waitForStdout(/pixelgate worker ready/),
      exit.then((code) => {
        throw new Error(`the worker exited ${code}: ${memory.stderr()}`);
      }),
    ]);
    const stop = async () => {
      shutdown.abort();
      return exit;
    };
    closers.push(stop);
    return { provider, stop, memory };
  }

  async function poll(url: string, id: string): Promise<Record<string, unknown>> {
    for (let attempt = 0; attempt < 400; attempt++) {
      const view = (await (
        await fetch(`${url}/v1/inference/images/jobs/${id}`, { headers })
      ).json()) as Record<string, unknown>;
      if (['succeeded', 'failed', 'cancelled'].includes(view.status as string)) return view;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`job ${id} never finished`);
  }

  it('serve answers the job routes and runs the job on its own workers; Idempotency-Key replays', async () => {
    const memory = memoryIo(temp.dir, {});
    const provider = createMockImageProvider();
    const running = await startServer({ port: 0 }, config(), memory.io, { providers: [provider] });
    closers.push(() => running.close());
    const body = JSON.stringify({ model: 'mock/mock-image', prompt: 'a kite' });
    const send = () =>
      fetch(`${running.url}/v1/inference/images/jobs`, {
        method: 'POST',
        headers: { ...headers, 'idempotency-key': 'kite-1' },
        body,
      });
    const accepted = await send();
    expect(accepted.status).toBe(202);
    const { id } = (await accepted.json()) as { id: string };
    const replayed = await send();
    expect(replayed.headers.get('idempotent-replayed')).toBe('true');
    expect(((await replayed.json()) as { id: string }).id).toBe(id);
    const done = await poll(running.url, id);
    expect(done.status, JSON.stringify(done)).toBe('succeeded');
    expect(provider.calls).toHaveLength(1);
    // The synchronous routes still answer as before.
    const sync = await fetch(`${running.url}/v1/images/generations`, { method: 'POST', headers, body });
    expect(sync.status).toBe(200);
    // The job routes are in serve's OpenAPI document.
    const document = (await (await fetch(`${running.url}/openapi.json`)).json()) as { paths: object };
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining(['/v1/inference/images/jobs', '/v1/inference/images/jobs/{id}']),
    );
  });

  it('a serve without workers accepts the job and `pixelgate worker` runs it, then stops on shutdown', async () => {
    const memory = memoryIo(temp.dir, {});
    const serveProvider = createMockImageProvider();
    const running = await startServer({ port: 0 }, config({ workers: false }), memory.io, {
      providers: [serveProvider],
    });
    closers.push(() => running.close());
    const worker = await startWorker();
    const accepted = await fetch(`${running.url}/v1/inference/images/jobs`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ model: 'mock/mock-image', prompt: 'a worker kite', n: 2 }),
    });
    expect(accepted.status).toBe(202);
    const done = await poll(running.url, ((await accepted.json()) as { id: string }).id);
    expect(done.status, JSON.stringify(done)).toBe('succeeded');
    expect(worker.provider.calls).toHaveLength(1);
    expect(serveProvider.calls).toHaveLength(0);
    expect(await worker.stop()).toBe(0);
    expect(worker.memory.stdout()).toContain('pixelgate worker stopped');
  });

  it('generate --async submits a job, prints its events as plain lines, and saves the images', async () => {
    await startWorker();
    const memory = memoryIo(temp.dir, {});
    const code = await runGenerateAsync(
      'an async kite',
      { model: 'mock/mock-image', n: 2, out: 'out' },
      config(),
      memory.io,
      { providers: [createMockImageProvider()], pollMs: 20 },
    );
    expect(code, memory.stderr()).toBe(0);
    expect(memory.stdout()).toMatch(/^job {6}job_[0-9a-f]{32}\n/);
    const events = memory
      .stderr()
      .split('\n')
      .filter(Boolean)
      .map((line) => line.split(' ')[1]);
    expect(events).toEqual(['job.queued', 'job.started', 'job.completed']);
    // The mock draws the same image twice: two images listed, one file under its hash.
    expect(memory.stdout().match(/^image {4}/gm)).toHaveLength(2);
    expect(await readdir(join(temp.dir, 'out'))).toHaveLength(1);
    expect(memory.stdout()).toMatch(/cost {5}\$0\.08/);
  });

  it('generate --async refuses a bad request before queueing it, with the gateway error and exit 2', async () => {
    const memory = memoryIo(temp.dir, {});
    const code = await runGenerateAsync(
      'a bad kite',
      { model: 'mock/mock-image', size: '3x3' },
      config(),
      memory.io,
      { providers: [createMockImageProvider()] },
    );
    expect(code).toBe(2);
    expect(memory.stderr()).toMatch(/^pixelgate: VALIDATION_ERROR \(size\): /);
    expect(memory.stdout()).toBe('');
  });
});
