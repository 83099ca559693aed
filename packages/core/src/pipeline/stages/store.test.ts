import { describe, expect, it } from 'vitest';
import { runStagesBefore, stageContext, stageDeps } from '../../testing/pipeline-stage-kit.ts';
import { storeStage } from './store.ts';

describe('store stage', () => {
  it('hashes each image once and puts it under a random key with its metadata', async () => {
    // The memory store expires objects by the real clock.
    const deps = stageDeps({ now: Date.now() });
    const day = new Date(deps.clock.now()).toISOString().slice(0, 10);
    const ctx = stageContext(deps, { model: 'mock/mock-image', prompt: 'x', n: 2 });
    await runStagesBefore(ctx, deps, 'store');
    await storeStage.run(ctx, deps);
    expect(ctx.facts.images).toHaveLength(2);
    for (const image of ctx.facts.images) {
      expect(image.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(image.storageKey).toMatch(new RegExp(`^images/${day}/[0-9a-f-]{36}\\.png$`));
      expect(await deps.storage.head(image.storageKey!)).toMatchObject({
        size: image.sizeBytes,
        metadata: { tenant: 'anonymous', 'request-id': 'req_test', sha256: image.sha256 },
      });
    }
    expect(deps.emitted.filter((e) => e.name === 'storage-put')).toHaveLength(2);
  });

  it("stores nothing under 'url_only' for b64_json", async () => {
    const deps = stageDeps({ config: { storage: { mode: 'url_only' } } });
    const ctx = stageContext(deps, { model: 'mock/mock-image', prompt: 'x' });
    await runStagesBefore(ctx, deps, 'store');
    await storeStage.run(ctx, deps);
    expect(ctx.facts.images[0]!.storageKey).toBeUndefined();
    expect(ctx.stored).toEqual([undefined]);
  });

  it('turns a store refusing the gateway into a server-side STORAGE_ERROR and records no image', async () => {
    const deps = stageDeps();
    const failing = {
      ...deps,
      storage: {
        ...deps.storage,
        id: 'broken',
        put: () => Promise.reject(Object.assign(new Error('denied'), { code: 'EACCES' })),
      },
    };
    const ctx = stageContext(failing, { model: 'mock/mock-image', prompt: 'x' });
    await runStagesBefore(ctx, failing, 'store');
    await expect(storeStage.run(ctx, failing)).rejects.toMatchObject({ code: 'STORAGE_ERROR', status: 503 });
    expect(ctx.facts.images).toEqual([]);
  });
});
