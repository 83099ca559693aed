import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe } from 'vitest';
import type { StorageAdapter } from '../storage/storage-adapter.ts';
import { registerChecks } from './conformance-checks.ts';
import { storageConcurrencyChecks } from './storage-checks/storage-concurrency-checks.ts';
import type { StorageConformanceCapabilities, StorageFixture } from './storage-checks/storage-fixture.ts';
import { storageObjectChecks } from './storage-checks/storage-object-checks.ts';
import { storageOptionalChecks } from './storage-checks/storage-optional-checks.ts';
import { storageRefusalChecks } from './storage-checks/storage-refusal-checks.ts';

export type { StorageConformanceCapabilities } from './storage-checks/storage-fixture.ts';

/** Options of {@link describeStorageConformance}. */
export interface StorageConformanceOptions {
  /** Adapter name in the test titles. */
  name: string;
  /** A fresh adapter for each test (may share a backend: the kit uses random key prefixes). */
  createAdapter(): StorageAdapter | Promise<StorageAdapter>;
  capabilities?: StorageConformanceCapabilities;
  /** Called after each test with that test's adapter (after `dispose`), e.g. to remove a temp dir. */
  cleanup?(adapter: StorageAdapter): void | Promise<void>;
}

/**
 * The storage conformance kit: one suite every {@link StorageAdapter} must pass, so the memory,
 * filesystem and S3 adapters (and any user's own) are interchangeable behind the gateway. Each
 * test gets a fresh adapter and a random key prefix, so a shared bucket or directory is safe.
 * Optional behaviour is tested when declared in `capabilities`.
 */
export function describeStorageConformance(options: StorageConformanceOptions): void {
  const capabilities = options.capabilities ?? {};

  describe(`storage conformance: ${options.name}`, () => {
    let adapter: StorageAdapter;
    let prefix: string;

    beforeEach(async () => {
      adapter = await options.createAdapter();
      prefix = `conformance/${randomUUID()}/`;
    });

    afterEach(async () => {
      await adapter.dispose?.();
      await options.cleanup?.(adapter);
    });

    const fixture = (): StorageFixture => ({
      adapter,
      prefix,
      key: (name: string) => `${prefix}${name}`,
      capabilities,
    });
    registerChecks(
      [
        ...storageObjectChecks(capabilities),
        ...storageRefusalChecks(),
        ...storageConcurrencyChecks(capabilities),
        ...storageOptionalChecks(capabilities),
      ],
      fixture,
    );
  });
}
