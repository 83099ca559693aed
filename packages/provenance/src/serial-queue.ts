/**
 * Runs async tasks one at a time. The WASM module is one single-threaded instance per process;
 * signing is ~1-2 ms of CPU, so a queue costs nothing and keeps concurrent requests from
 * interleaving inside the library's async sign path.
 */
export function createSerialQueue(): <T>(task: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(task: () => Promise<T>): Promise<T> => {
    const run = tail.then(task, task);
    tail = run.catch(() => undefined);
    return run;
  };
}
