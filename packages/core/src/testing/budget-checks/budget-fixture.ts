import type { BudgetBucket, BudgetStore } from '../../budget/budget-store.ts';

/**
 * Leases: a hold that is neither settled nor released is given back by the store itself after
 * `leaseMs`. The kit runs its lease checks on a store from `createStore` made with that (short)
 * lease, and every other check on the ordinary store, so a slow machine never sees a hold expire
 * in the middle of an unrelated check.
 */
export interface BudgetStoreLeaseOptions {
  /** A few hundred milliseconds: the kit waits for a hold to go. */
  leaseMs: number;
  /** A store on the same kind of backend whose holds last `leaseMs`. */
  createStore(): BudgetStore | Promise<BudgetStore>;
}

/** Options of {@link describeBudgetStoreConformance}. */
export interface BudgetStoreConformanceOptions {
  /** Store name in the test titles. */
  name: string;
  /** A fresh store for each test (may share a backend: the kit uses random bucket keys). */
  createStore(): BudgetStore | Promise<BudgetStore>;
  /**
   * A second store on the same backend as `store` (another process's view). When given, the kit
   * checks that limits hold exactly across both instances.
   */
  createPeer?(store: BudgetStore): BudgetStore | Promise<BudgetStore>;
  /**
   * A store whose backend cannot be reached (stopped, refused). When given, the kit checks that
   * every operation fails closed with a GatewayError instead of granting or hanging.
   */
  createUnavailableStore?(): BudgetStore | Promise<BudgetStore>;
  /** When the store's reservations are leases: how to get a store with a short lease. */
  leases?: BudgetStoreLeaseOptions;
  /** Called after each test with that test's stores (e.g. to delete keys or close clients). */
  cleanup?(stores: BudgetStore[]): void | Promise<void>;
}

/** What each budget check gets: the running test's store and its own random tenant's buckets. */
export interface BudgetFixture {
  /** The test's fresh store. */
  store: BudgetStore;
  /** Every store of the test (peers and short-lease stores are added), handed to `cleanup`. */
  stores: BudgetStore[];
  /** A bucket of the test's tenant, keyed like the gateway's own (`budget:tenant:<id>:...`). */
  bucket(name: string, limitUsd: number, expiresInMs?: number): BudgetBucket;
  /** A fresh reservation id. */
  rid(): string;
  options: BudgetStoreConformanceOptions;
}
