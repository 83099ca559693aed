/** What {@link createGroupCommit} needs: how to commit a batch and how big a batch may be. */
export interface GroupCommitOptions<T> {
  /** Largest number of items committed together. */
  maxBatch: number;
  /** Runs once before the first commit (opening the log); a failure fails the queue. */
  prepare(): Promise<void>;
  /** Writes and syncs a batch; resolves only once it is durable. */
  commit(batch: T[]): Promise<void>;
  /** Runs after each successful commit (arming the checkpoint timer). */
  afterCommit?(): void;
  /** The error handed to waiting callers once the queue failed. */
  failure(cause: unknown): Error;
}

/** A queue whose items are committed in order, each promise resolving once its item is durable. */
export interface GroupCommit<T> {
  submit(item: T): Promise<void>;
  /** The first commit error, if any (the queue then refuses everything). */
  failed(): unknown;
}

/**
 * Adaptive group commit: an item submitted while nothing is being written is committed at once
 * (no timer, so a lone request pays one write and one sync); items submitted while a commit is
 * running wait for it and then go out together in the next commit, at most `maxBatch` at a time.
 * Under load, batches grow by themselves to what arrives during one sync; when idle, latency is
 * one sync. Every promise resolves only after the commit holding its item resolved, so a resolved
 * promise means the item is durable, as with one sync per item. A failed commit rejects its batch
 * and everything after it: nothing is written past a gap.
 */
export function createGroupCommit<T>(options: GroupCommitOptions<T>): GroupCommit<T> {
  const queue: Array<{ item: T; resolve: () => void; reject: (error: unknown) => void }> = [];
  let running = false;
  let failed: unknown;
  let prepared: Promise<void> | undefined;

  const drain = async (): Promise<void> => {
    running = true;
    try {
      prepared ??= options.prepare();
      await prepared;
      while (queue.length > 0 && failed === undefined) {
        const batch = queue.splice(0, options.maxBatch);
        try {
          await options.commit(batch.map((entry) => entry.item));
        } catch (error) {
          failed = error;
          for (const entry of batch) entry.reject(options.failure(error));
          break;
        }
        for (const entry of batch) entry.resolve();
        options.afterCommit?.();
      }
    } catch (error) {
      failed ??= error;
    } finally {
      running = false;
      if (failed !== undefined) for (const entry of queue.splice(0)) entry.reject(options.failure(failed));
    }
  };

  return {
    submit(item) {
      if (failed !== undefined) return Promise.reject(options.failure(failed));
      return new Promise<void>((resolve, reject) => {
        queue.push({ item, resolve, reject });
        if (!running) void drain();
      });
    },
    failed: () => failed,
  };
}
