import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as c2pa from '@contentauth/c2pa-wasm';

/** The loaded c2pa-wasm module: builder, reader and signer classes. */
export type C2paModule = typeof c2pa;

let loaded = false;

/**
 * A Blob-shaped view over bytes that the WASM builder can read synchronously. The library reads
 * its input through `blob.size`, `blob.slice()` and `FileReaderSync.readAsArrayBuffer()`, a
 * browser-worker API Node lacks; Node's own Blob can only be read asynchronously.
 */
class BytesBlob {
  constructor(readonly bytes: Uint8Array) {}
  get size(): number {
    return this.bytes.byteLength;
  }
  slice(start?: number, end?: number): BytesBlob {
    return new BytesBlob(this.bytes.subarray(start ?? 0, end ?? this.bytes.byteLength));
  }
}

/**
 * The minimal `FileReaderSync` stand-in the library needs on Node: it only ever reads a
 * {@link BytesBlob} we handed it, so it copies those bytes into a fresh ArrayBuffer.
 */
class BytesFileReaderSync {
  readAsArrayBuffer(blob: unknown): ArrayBuffer {
    if (!(blob instanceof BytesBlob)) throw new TypeError('provenance: unexpected blob type');
    const copy = new Uint8Array(blob.bytes.byteLength);
    copy.set(blob.bytes);
    return copy.buffer;
  }
}

/** Wraps bytes as the Blob the library's signatures ask for (read only through the stand-in). */
export function asBlob(bytes: Uint8Array): Blob {
  return new BytesBlob(bytes) as unknown as Blob;
}

/**
 * Initialises c2pa-wasm once per process, synchronously, from the `.wasm` file's bytes (a `file:`
 * URL does not load on Node 20). Costs ~100 ms of compile, so the gateway calls it at start, never
 * on the first request. Idempotent.
 */
export function loadC2pa(): C2paModule {
  if (loaded) return c2pa;
  const globals = globalThis as { FileReaderSync?: unknown };
  if (globals.FileReaderSync === undefined) globals.FileReaderSync = BytesFileReaderSync;
  const require = createRequire(import.meta.url);
  const wasmPath = require.resolve('@contentauth/c2pa-wasm/c2pa.wasm');
  c2pa.initSync({ module: readFileSync(wasmPath) });
  loaded = true;
  return c2pa;
}
