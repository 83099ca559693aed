import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { createSerialQueue } from '../serial-queue.ts';
import type { CoseSignerKey } from './cose-sign.ts';
import { type ParentIngredient, type SignedAsset, signManifest } from './sign-manifest.ts';
import type { SignJob } from './sign-worker.ts';
import type { C2paModule } from './wasm.ts';

/** Signs manifests, on the calling thread or in worker threads. */
export interface ManifestSigner {
  sign(
    asset: { bytes: Uint8Array; mediaType: string },
    definition: Record<string, unknown>,
    parent?: ParentIngredient,
  ): Promise<SignedAsset>;
  close(): Promise<void>;
}

/** Signs on the calling thread, one manifest at a time (one WASM instance per thread). */
export function createInlineSigner(c2pa: C2paModule, key: CoseSignerKey): ManifestSigner {
  const queue = createSerialQueue();
  return {
    sign: (asset, definition, parent) => queue(() => signManifest(c2pa, key, asset, definition, parent)),
    close: async () => {},
  };
}

type Reply =
  | { id: number; ok: true; bytes: Uint8Array; manifestBytes: Uint8Array }
  | { id: number; ok: false; message: string };

interface PooledWorker {
  worker: Worker;
  queue: ReturnType<typeof createSerialQueue>;
  /** Jobs given to this worker and not finished (queued or running): for balancing. */
  assigned: number;
  pending: Map<number, { resolve: (signed: SignedAsset) => void; reject: (error: Error) => void }>;
}

/**
 * Starts the worker script next to this module. Built, it is `sign-worker.js`. From sources (tests,
 * `tsx`) it is `.ts`, which Node 20 loads only once tsx's loader is registered inside the worker
 * (loader flags in `execArgv` do not reach worker threads there), so a two-line bootstrap does that.
 */
function spawnWorker(key: CoseSignerKey): Worker {
  const extension = extname(fileURLToPath(import.meta.url));
  const url = new URL(`./sign-worker${extension}`, import.meta.url);
  if (extension !== '.ts') return new Worker(url, { workerData: { key } });
  const bootstrap = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(url.href)}); });`;
  return new Worker(bootstrap, { eval: true, workerData: { key } });
}

async function startWorker(key: CoseSignerKey): Promise<PooledWorker> {
  const worker = spawnWorker(key);
  const pooled: PooledWorker = { worker, queue: createSerialQueue(), assigned: 0, pending: new Map() };
  await new Promise<void>((resolve, reject) => {
    worker.once('error', reject);
    worker.once('message', () => {
      worker.off('error', reject);
      resolve();
    });
  });
  worker.on('message', (reply: Reply) => {
    const waiter = pooled.pending.get(reply.id);
    pooled.pending.delete(reply.id);
    if (!waiter) return;
    if (reply.ok) waiter.resolve({ bytes: reply.bytes, manifestBytes: reply.manifestBytes });
    else waiter.reject(new Error(reply.message));
  });
  worker.on('error', (error) => {
    for (const waiter of pooled.pending.values()) waiter.reject(error);
    pooled.pending.clear();
  });
  // Idle workers never keep the process alive; a worker with a job in flight does (see run()).
  worker.unref();
  return pooled;
}

let nextId = 0;

function run(pooled: PooledWorker, job: Omit<SignJob, 'id'>): Promise<SignedAsset> {
  const id = ++nextId;
  // The queue runs one job at a time per worker, so the worker is referenced exactly while one runs.
  pooled.worker.ref();
  return new Promise<SignedAsset>((resolve, reject) => {
    pooled.pending.set(id, { resolve, reject });
    pooled.worker.postMessage({ id, ...job });
  }).finally(() => pooled.worker.unref());
}

/**
 * Signs in `count` worker threads, each with its own WASM instance, started (and waited for) now,
 * at gateway start. A job goes to the worker with the fewest jobs; each worker signs one at a time.
 * Worth it where the event loop matters more than ~1 ms of copying per image: large images, many
 * images per request, more than one core.
 */
export async function createWorkerSigner(key: CoseSignerKey, count: number): Promise<ManifestSigner> {
  const workers = await Promise.all(Array.from({ length: count }, () => startWorker(key)));
  return {
    sign(asset, definition, parent) {
      const pooled = workers.reduce((least, w) => (w.assigned < least.assigned ? w : least));
      pooled.assigned++;
      return pooled
        .queue(() => run(pooled, { asset, definition, ...(parent ? { parent } : {}) }))
        .finally(() => {
          pooled.assigned--;
        });
    },
    async close() {
      await Promise.all(workers.map((w) => w.worker.terminate()));
    },
  };
}
