// Storage benchmark: a 1.4 MB image stored and served through the memory, filesystem and S3
// (s3rver) adapters, the media handler's throughput for repeated GETs, and peak RSS growth while
// a 64 MiB object streams through the filesystem adapter and the media handler (measured in a
// child process so nothing else in this run inflates it). Bounded: a few seconds in total.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { S3Client } from '@aws-sdk/client-s3';
import {
  createFilesystemStorage,
  createMediaHandler,
  createMediaSigner,
  createMemoryStorage,
  type StorageAdapter,
} from '@pixelgate/core';
import { createS3Storage } from '@pixelgate/storage-s3';
import { startS3rver } from '../packages/storage-s3/src/test-support/s3rver-server.ts';

type Row = Record<string, string | number>;

const IMAGE_BYTES = 1.4 * 1024 * 1024;
const OPERATIONS = 40;
const HANDLER_GETS = 200;
const LARGE_OBJECT_MIB = [64, 256];

function percentile(sorted: number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))]!;
}

async function drain(body: ReadableStream<Uint8Array>): Promise<number> {
  let total = 0;
  for await (const chunk of body) total += chunk.byteLength;
  return total;
}

async function timeEach(count: number, operation: (index: number) => Promise<unknown>): Promise<Row> {
  const durations: number[] = [];
  const started = performance.now();
  for (let index = 0; index < count; index++) {
    const start = performance.now();
    await operation(index);
    durations.push(performance.now() - start);
  }
  const elapsed = performance.now() - started;
  durations.sort((a, b) => a - b);
  return {
    'ops/s': Math.round((count / elapsed) * 1000),
    'p50 ms': percentile(durations, 0.5).toFixed(2),
    'p95 ms': percentile(durations, 0.95).toFixed(2),
  };
}

async function adapterRows(name: string, storage: StorageAdapter, image: Uint8Array): Promise<Row[]> {
  const put = await timeEach(OPERATIONS, (index) =>
    storage.put(`bench/${index}.png`, image, { mediaType: 'image/png', metadata: { tenant: 'bench' } }),
  );
  const get = await timeEach(OPERATIONS, async (index) => {
    const object = await storage.get(`bench/${index}.png`);
    if ((await drain(object!.body)) !== image.byteLength) throw new Error('short read');
  });
  return [
    { case: `${name}: put 1.4 MB`, ...put },
    { case: `${name}: get 1.4 MB (streamed, read fully)`, ...get },
  ];
}

async function handlerRows(name: string, storage: StorageAdapter, image: Uint8Array): Promise<Row[]> {
  const signer = createMediaSigner({ keys: [{ id: 'k1', secret: randomBytes(32) }], activeKeyId: 'k1' });
  const handler = createMediaHandler({ storage, signer });
  await storage.put('bench/served.png', image, { mediaType: 'image/png', metadata: { tenant: 'bench' } });
  const { token } = signer.issue({ key: 'bench/served.png', tenantId: 'bench', mediaType: 'image/png' });
  const request = () => new Request(`http://bench.local/v1/media/${token}`);
  const sequential = await timeEach(HANDLER_GETS, async () => {
    const response = await handler.fetch(request());
    if ((await drain(response.body!)) !== image.byteLength) throw new Error('short read');
  });
  const concurrency = 16;
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < HANDLER_GETS) {
        next++;
        await drain((await handler.fetch(request())).body!);
      }
    }),
  );
  const elapsed = performance.now() - started;
  const notModified = await timeEach(HANDLER_GETS, async () => {
    const etag = (await storage.head('bench/served.png'))!.etag!;
    const response = await handler.fetch(new Request(request(), { headers: { 'if-none-match': etag } }));
    if (response.status !== 304) throw new Error(`expected 304, got ${response.status}`);
  });
  return [
    {
      case: `media handler on ${name}: GET 1.4 MB, sequential`,
      ...sequential,
      'MB/s': Math.round((Number(sequential['ops/s']) * image.byteLength) / 1e6),
    },
    {
      case: `media handler on ${name}: GET 1.4 MB, ${concurrency} concurrent`,
      'ops/s': Math.round((HANDLER_GETS / elapsed) * 1000),
      'MB/s': Math.round((HANDLER_GETS * image.byteLength) / 1e6 / (elapsed / 1000)),
    },
    { case: `media handler on ${name}: conditional GET (304)`, ...notModified },
  ];
}

/** Child-process case: stream a large object in and out, sampling RSS. Prints one JSON line. */
async function rssChild(objectBytes: number): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'pixelgate-bench-rss-'));
  try {
    const storage = createFilesystemStorage({ root });
    const signer = createMediaSigner({ keys: [{ id: 'k1', secret: randomBytes(32) }], activeKeyId: 'k1' });
    const handler = createMediaHandler({ storage, signer });
    const chunk = randomBytes(64 * 1024);
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 2);
    let sent = 0;
    const source = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= objectBytes) return controller.close();
        controller.enqueue(chunk);
        sent += chunk.byteLength;
      },
    });
    await storage.put('big/object.bin', source, { mediaType: 'application/octet-stream' });
    const putPeak = peak;
    const { token } = signer.issue({
      key: 'big/object.bin',
      tenantId: 't',
      mediaType: 'application/octet-stream',
    });
    const response = await handler.fetch(new Request(`http://bench.local/v1/media/${token}`));
    const reader = response.body!.getReader();
    let served = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      served += value.byteLength;
      peak = Math.max(peak, process.memoryUsage().rss);
    }
    clearInterval(sampler);
    if (served !== objectBytes) throw new Error('short read');
    console.log(JSON.stringify({ baseline, putGrowth: putPeak - baseline, totalGrowth: peak - baseline }));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

function runRssChild(
  objectMib: number,
): Promise<{ baseline: number; putGrowth: number; totalGrowth: number }> {
  const file = fileURLToPath(import.meta.url);
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--conditions=@pixelgate/source', '--expose-gc', file, `--rss-child=${objectMib}`],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    child.stdout.on('data', (data) => {
      out += data;
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0
        ? resolve(JSON.parse(out.trim().split('\n').pop()!))
        : reject(new Error(`rss child exited ${code}`)),
    );
  });
}

/** Runs the storage benchmark and returns its table rows. */
export async function runStorageBench(): Promise<Row[]> {
  const image = new Uint8Array(randomBytes(IMAGE_BYTES));
  const rows: Row[] = [];
  const root = await mkdtemp(join(tmpdir(), 'pixelgate-bench-fs-'));
  const server = await startS3rver({ buckets: ['bench'] });
  const client = new S3Client(server.clientConfig);
  try {
    const memory = createMemoryStorage();
    const filesystem = createFilesystemStorage({ root });
    const s3 = createS3Storage({ bucket: 'bench', client });
    rows.push(...(await adapterRows('memory', memory, image)));
    rows.push(...(await adapterRows('filesystem (fsync)', filesystem, image)));
    rows.push(...(await adapterRows('s3 (s3rver, 127.0.0.1)', s3, image)));
    rows.push(...(await handlerRows('memory', memory, image)));
    rows.push(...(await handlerRows('filesystem', filesystem, image)));
  } finally {
    client.destroy();
    await server.close();
    await rm(root, { recursive: true, force: true });
  }
  const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
  for (const objectMib of LARGE_OBJECT_MIB) {
    const rss = await runRssChild(objectMib);
    rows.push({
      case: `peak RSS growth: ${objectMib} MiB streamed into filesystem storage`,
      'RSS growth MiB': mb(rss.putGrowth),
      'object MiB': objectMib,
    });
    rows.push({
      case: `peak RSS growth: ${objectMib} MiB put, then served through the media handler`,
      'RSS growth MiB': mb(rss.totalGrowth),
      'object MiB': objectMib,
    });
  }
  return rows;
}

const rssArgument = process.argv.find((argument) => argument.startsWith('--rss-child='));
if (rssArgument) {
  await rssChild(Number(rssArgument.slice('--rss-child='.length)) * 1024 * 1024);
} else if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  console.table(await runStorageBench());
}
