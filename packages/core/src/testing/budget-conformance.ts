import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BudgetBucket, BudgetRefusal, BudgetReservation, BudgetStore } from '../budget/budget-store.ts';
import { GatewayError } from '../errors/gateway-error.ts';

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

function isRefusal(value: BudgetReservation | BudgetRefusal): value is BudgetRefusal {
  return !('id' in value);
}

/** Resolves when `check` passes, polling; fails with the last value after `timeoutMs`. */
async function eventually(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function expectGatewayError(promise: Promise<unknown>): Promise<GatewayError> {
  const caught = await promise.then(
    (value) => ({ resolved: value }),
    (error: unknown) => error,
  );
  expect(GatewayError.isInstance(caught), `expected a GatewayError, got ${JSON.stringify(caught)}`).toBe(
    true,
  );
  return caught as GatewayError;
}

/**
 * The budget store conformance kit: one suite every {@link BudgetStore} must pass, so the memory
 * store and shared ones (Redis, or a user's own) are interchangeable behind the gateway. It checks
 * all-or-nothing reservations across buckets, exact micro-dollar sums, settle and release (and
 * their idempotence), refusals that name the bucket, that concurrent reservations never
 * overspend (within one instance and, with `createPeer`, across instances), leases when declared,
 * and fail-closed behaviour when the backend is gone. Each test uses random bucket keys shaped like
 * the gateway's own (`budget:tenant:<id>:...`), so a shared backend is safe.
 */
export function describeBudgetStoreConformance(options: BudgetStoreConformanceOptions): void {
  describe(`budget store conformance: ${options.name}`, () => {
    let store: BudgetStore;
    let stores: BudgetStore[];
    let tenant: string;
    const bucket = (name: string, limitUsd: number, expiresInMs?: number): BudgetBucket => ({
      key: `budget:tenant:${tenant}${name === 'tenant' ? '' : `:${name}`}:month:2026-12`,
      limitUsd,
      label: `${name} of tenant ${tenant}, month 2026-12`,
      ...(expiresInMs === undefined ? {} : { expiresAt: Date.now() + expiresInMs }),
    });
    const rid = () => `rsv_${randomUUID()}`;

    beforeEach(async () => {
      store = await options.createStore();
      stores = [store];
      tenant = `kit-${randomUUID().slice(0, 8)}`;
    });

    afterEach(async () => {
      await options.cleanup?.(stores);
    });

    it('grants within the limit and counts the hold in `used`', async () => {
      const month = bucket('tenant', 1);
      const granted = await store.reserve([month], 0.25, rid());
      expect(isRefusal(granted)).toBe(false);
      expect(granted).toMatchObject({ amountUsd: 0.25 });
      expect((granted as BudgetReservation).buckets.map((b) => b.key)).toEqual([month.key]);
      expect(await store.used(month.key)).toBeCloseTo(0.25, 9);
      expect(await store.used(`${month.key}:other`)).toBe(0);
    });

    it('refuses past the limit, naming the bucket, what was needed and what remains', async () => {
      const month = bucket('tenant', 1);
      await store.reserve([month], 0.7, rid());
      const refused = await store.reserve([month], 0.4, rid());
      expect(isRefusal(refused)).toBe(true);
      expect(refused).toMatchObject({ bucket: { key: month.key, limitUsd: 1 }, neededUsd: 0.4 });
      expect((refused as BudgetRefusal).remainingUsd).toBeCloseTo(0.3, 9);
      expect(await store.used(month.key)).toBeCloseTo(0.7, 9);
    });

    it('adds dollars exactly: ten reservations of $0.10 fill a $1.00 limit, the eleventh is refused', async () => {
      const month = bucket('tenant', 1);
      for (let index = 0; index < 10; index++) {
        expect(isRefusal(await store.reserve([month], 0.1, rid()))).toBe(false);
      }
      const refused = await store.reserve([month], 0.1, rid());
      expect(isRefusal(refused)).toBe(true);
      expect((refused as BudgetRefusal).remainingUsd).toBe(0);
      expect(await store.used(month.key)).toBe(1);
    });

    it('is all or nothing across buckets: a refusal by one bucket holds nothing in the others', async () => {
      const month = bucket('tenant', 10);
      const user = bucket('user:bob', 0.5);
      const refused = await store.reserve([month, user], 0.6, rid());
      expect(isRefusal(refused)).toBe(true);
      expect((refused as BudgetRefusal).bucket.key).toBe(user.key);
      expect(await store.used(month.key)).toBe(0);
      expect(await store.used(user.key)).toBe(0);
      const granted = await store.reserve([month, user], 0.5, rid());
      expect(isRefusal(granted)).toBe(false);
      expect(await store.used(month.key)).toBeCloseTo(0.5, 9);
      expect(await store.used(user.key)).toBeCloseTo(0.5, 9);
    });

    it('counts a bucket named twice in one reservation once', async () => {
      const month = bucket('tenant', 1);
      const granted = await store.reserve([month, { ...month }], 0.4, rid());
      expect(isRefusal(granted)).toBe(false);
      expect(await store.used(month.key)).toBeCloseTo(0.4, 9);
    });

    it('grants, settles and releases zero-dollar reservations, even on a full budget', async () => {
      const month = bucket('tenant', 0);
      const free = await store.reserve([month], 0, rid());
      expect(isRefusal(free)).toBe(false);
      expect(isRefusal(await store.reserve([month], 0.000001, rid()))).toBe(true);
      await store.settle(free as BudgetReservation, 0);
      const another = (await store.reserve([month], 0, rid())) as BudgetReservation;
      await store.release(another);
      expect(await store.used(month.key)).toBe(0);
    });

    it('settles to the real cost, lower or higher than the hold', async () => {
      const month = bucket('tenant', 1);
      const lower = (await store.reserve([month], 0.4, rid())) as BudgetReservation;
      await store.settle(lower, 0.1);
      expect(await store.used(month.key)).toBeCloseTo(0.1, 9);
      const higher = (await store.reserve([month], 0.4, rid())) as BudgetReservation;
      await store.settle(higher, 0.95);
      expect(await store.used(month.key)).toBeCloseTo(1.05, 9);
      const refused = await store.reserve([month], 0.01, rid());
      expect(isRefusal(refused)).toBe(true);
      expect((refused as BudgetRefusal).remainingUsd).toBe(0);
    });

    it('releases a hold in full', async () => {
      const month = bucket('tenant', 1);
      const user = bucket('user:ann', 1);
      const held = (await store.reserve([month, user], 0.6, rid())) as BudgetReservation;
      await store.release(held);
      expect(await store.used(month.key)).toBe(0);
      expect(await store.used(user.key)).toBe(0);
      expect(isRefusal(await store.reserve([month, user], 1, rid()))).toBe(false);
    });

    it('settles and releases idempotently, and never both', async () => {
      const month = bucket('tenant', 5);
      const settled = (await store.reserve([month], 1, rid())) as BudgetReservation;
      await store.settle(settled, 0.5);
      await store.settle(settled, 0.5);
      await store.release(settled);
      expect(await store.used(month.key)).toBeCloseTo(0.5, 9);
      const released = (await store.reserve([month], 1, rid())) as BudgetReservation;
      await store.release(released);
      await store.release(released);
      await store.settle(released, 2);
      expect(await store.used(month.key)).toBeCloseTo(0.5, 9);
    });

    it('settles and releases concurrently exactly once', async () => {
      const month = bucket('tenant', 5);
      const held = (await store.reserve([month], 1, rid())) as BudgetReservation;
      await Promise.all([
        store.settle(held, 0.3),
        store.settle(held, 0.3),
        store.release(held),
        store.settle(held, 0.3),
      ]);
      const used = await store.used(month.key);
      expect([0, 0.3].some((value) => Math.abs(used - value) < 1e-9)).toBe(true);
    });

    it('refuses a reservation id that is still held', async () => {
      const month = bucket('tenant', 5);
      const id = rid();
      await store.reserve([month], 0.1, id);
      await expectGatewayError(store.reserve([month], 0.1, id));
      expect(await store.used(month.key)).toBeCloseTo(0.1, 9);
    });

    it('rejects amounts that are not finite, non-negative dollars', async () => {
      const month = bucket('tenant', 5);
      for (const amount of [-0.01, Number.NaN, Number.POSITIVE_INFINITY]) {
        await expectGatewayError(store.reserve([month], amount, rid()));
      }
      const held = (await store.reserve([month], 0.1, rid())) as BudgetReservation;
      await expectGatewayError(store.settle(held, -1));
      expect(await store.used(month.key)).toBeCloseTo(0.1, 9);
    });

    it('keeps buckets with a window end and forgets nothing still in use', async () => {
      const day = bucket('tenant', 1, 60_000);
      const held = (await store.reserve([day], 0.2, rid())) as BudgetReservation;
      await store.settle(held, 0.2);
      expect(await store.used(day.key)).toBeCloseTo(0.2, 9);
    });

    it('never overspends under 200 concurrent reservations across overlapping buckets', async () => {
      const month = bucket('tenant', 1);
      const users = ['a', 'b', 'c', 'd'].map((name) => bucket(`user:${name}`, 0.2));
      const results = await Promise.all(
        Array.from({ length: 200 }, (_, index) =>
          store.reserve([month, users[index % users.length]!], 0.01, rid()),
        ),
      );
      const granted = results.filter((result) => !isRefusal(result)) as BudgetReservation[];
      expect(granted).toHaveLength(80); // four users of $0.20 each, under the $1 tenant limit
      for (const user of users) expect(await store.used(user.key)).toBeCloseTo(0.2, 9);
      expect(await store.used(month.key)).toBeCloseTo(0.8, 9);
      await Promise.all(granted.map((reservation) => store.settle(reservation, 0.01)));
      expect(await store.used(month.key)).toBeCloseTo(0.8, 9);
    });

    it('never overspends when holds, settles and releases race', async () => {
      const month = bucket('tenant', 2);
      let spent = 0;
      await Promise.all(
        Array.from({ length: 60 }, async (_, index) => {
          const outcome = await store.reserve([month], 0.1, rid());
          if (isRefusal(outcome)) return;
          if (index % 3 === 0) await store.release(outcome);
          else {
            await store.settle(outcome, 0.05);
            spent += 0.05;
          }
        }),
      );
      const used = await store.used(month.key);
      expect(used).toBeCloseTo(spent, 9);
      expect(used).toBeLessThanOrEqual(2);
    });

    it.runIf(options.createPeer !== undefined)(
      'holds the limit exactly across two instances on one backend',
      async () => {
        const peer = await options.createPeer!(store);
        stores.push(peer);
        const month = bucket('tenant', 0.5);
        const results = await Promise.all(
          Array.from({ length: 120 }, (_, index) =>
            (index % 2 === 0 ? store : peer).reserve([month], 0.01, rid()),
          ),
        );
        expect(results.filter((result) => !isRefusal(result))).toHaveLength(50);
        expect(await peer.used(month.key)).toBeCloseTo(0.5, 9);
        // A reservation made by one instance is settled by the other (the state is shared).
        const granted = results.find((result) => !isRefusal(result)) as BudgetReservation;
        await peer.release(granted);
        expect(await store.used(month.key)).toBeCloseTo(0.49, 9);
      },
    );

    const leased = async (): Promise<BudgetStore> => {
      const short = await options.leases!.createStore();
      stores.push(short);
      return short;
    };

    it.runIf(options.leases !== undefined)(
      'gives back a hold nobody settles once its lease ends (a crashed process)',
      async () => {
        const leaseMs = options.leases!.leaseMs;
        const store = await leased();
        const month = bucket('tenant', 1);
        await store.reserve([month], 0.9, rid());
        expect(isRefusal(await store.reserve([month], 0.2, rid()))).toBe(true);
        await eventually(async () => (await store.used(month.key)) === 0, leaseMs * 20 + 2000);
        expect(isRefusal(await store.reserve([month], 0.2, rid()))).toBe(false);
      },
    );

    it.runIf(options.leases !== undefined)(
      'still counts the real cost when a request settles after its lease ended',
      async () => {
        const leaseMs = options.leases!.leaseMs;
        const store = await leased();
        const month = bucket('tenant', 1);
        const held = (await store.reserve([month], 0.4, rid())) as BudgetReservation;
        await eventually(async () => (await store.used(month.key)) === 0, leaseMs * 20 + 2000);
        await store.settle(held, 0.3);
        await store.settle(held, 0.3);
        expect(await store.used(month.key)).toBeCloseTo(0.3, 9);
      },
    );

    it.runIf(options.createUnavailableStore !== undefined)(
      'fails closed with a GatewayError when the backend is unreachable',
      async () => {
        const down = await options.createUnavailableStore!();
        stores.push(down);
        const month = bucket('tenant', 100);
        const error = await expectGatewayError(down.reserve([month], 0.01, rid()));
        expect(error.message.length).toBeGreaterThan(10);
        const reservation: BudgetReservation = { id: rid(), amountUsd: 0.01, buckets: [month] };
        await expectGatewayError(down.settle(reservation, 0.01));
        await expectGatewayError(down.release(reservation));
        await expectGatewayError(down.used(month.key));
      },
    );
  });
}
