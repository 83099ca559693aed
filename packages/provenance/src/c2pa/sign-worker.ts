// Worker thread entry: signs manifests with its own WASM instance, so hashing a large image does
// not block the gateway's event loop. Started by createWorkerSigner; one job at a time.
import { parentPort, workerData } from 'node:worker_threads';
import type { CoseSignerKey } from './cose-sign.ts';
import { type ParentIngredient, signManifest } from './sign-manifest.ts';
import { loadC2pa } from './wasm.ts';

/** One signing job, as posted by the pool. */
export interface SignJob {
  id: number;
  asset: { bytes: Uint8Array; mediaType: string };
  definition: Record<string, unknown>;
  parent?: ParentIngredient;
}

const port = parentPort!;
const c2pa = loadC2pa();
const key = (workerData as { key: CoseSignerKey }).key;

port.on('message', (job: SignJob) => {
  signManifest(c2pa, key, job.asset, job.definition, job.parent).then(
    (signed) => port.postMessage({ id: job.id, ok: true, ...signed }, [signed.bytes.buffer as ArrayBuffer]),
    (error: unknown) =>
      port.postMessage({
        id: job.id,
        ok: false,
        message: error instanceof Error ? error.message : String(error),
      }),
  );
});
port.postMessage({ ready: true });
