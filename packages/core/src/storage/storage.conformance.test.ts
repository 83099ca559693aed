import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
