import type { RateLimitEntry, RateLimitStore } from '../../rate-limit/rate-limit-store.ts';

/** Options of {@link describeRateLimitStoreConformance}. */
export interface RateLimitStoreConformanceOptions {
  /** Store name in the test titles. */
  name: string;
  /** A fresh store for each test (may share a backend: the kit uses random keys). */
  createStore(): RateLimitStore | Promise<RateLimitStore>;
  /** A second store on the same backend as `store`; the kit then checks limits across both. */
  createPeer?(store: RateLimitStore): RateLimitStore | Promise<RateLimitStore>;
  /**
   * A store whose backend cannot be reached, and what it is configured to do then: `closed`
   * (refuse with a GatewayError) or `open` (allow, with the figures of an untouched limit).
   */
  unavailable?: {
    mode: 'closed' | 'open';
    createStore(): RateLimitStore | Promise<RateLimitStore>;
  };
  /** Called after each test with that test's stores (e.g. to delete keys or close clients). */
  cleanup?(stores: RateLimitStore[]): void | Promise<void>;
}

/** What each rate-limit check gets: the running test's store, its random key and the base time. */
export interface RateLimitFixture {
  /** The test's fresh store. */
  store: RateLimitStore;
  /** Every store of the test (peers and down stores are added), handed to `cleanup`. */
  stores: RateLimitStore[];
  /** The test's random key part (`kit-<8 hex>`). */
  key: string;
  /** An entry on the test's key: `limit` per `windowMs`, taking `cost`, for tenant requests. */
  entry(limit: number, cost?: number, windowMs?: number, name?: string): RateLimitEntry;
  /** The base time the checks pass as `now`: today, to the second. */
  t0: number;
  options: RateLimitStoreConformanceOptions;
}
