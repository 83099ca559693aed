import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeStorageConformance } from '../testing/storage-conformance.ts';
import { createFilesystemStorage } from './filesystem-storage-adapter.ts';
import { createMemoryStorage } from './memory-storage-adapter.ts';

describeStorageConformance({
  name: 'memory',
  createAdapter: () => createMemoryStorage(),
  capabilities: { list: true, expiry: true, largeObjects: true },
});

const roots = new Map<unknown, string>();
describeStorageConformance({
  name: 'filesystem',
  async createAdapter() {
    const root = await mkdtemp(join(tmpdir(), 'pixelgate-fs-conformance-'));
    const adapter = createFilesystemStorage({ root });
    roots.set(adapter, root);
    return adapter;
  },
  capabilities: { list: true, expiry: true, largeObjects: true },
  async cleanup(adapter) {
    const root = roots.get(adapter);
    roots.delete(adapter);
    if (root) await rm(root, { recursive: true, force: true });
  },
});

describe('memory storage keeps a put body without copying it', () => {
  it('holds a handed-over buffer as it is: storing 32 MiB does not allocate another 32 MiB', async () => {
    const storage = createMemoryStorage();
    const body = new Uint8Array(32 * 1024 * 1024).fill(3);
    const before = process.memoryUsage().arrayBuffers;
    await storage.put('big.bin', body, { mediaType: 'application/octet-stream' });
    const grown = process.memoryUsage().arrayBuffers - before;
    expect(grown).toBeLessThan(8 * 1024 * 1024);
    expect((await storage.head('big.bin'))!.size).toBe(body.byteLength);
  });
});
