import type { ServerResponse } from 'node:http';

/**
 * For fake provider servers (the plugins' `./testing` entries): waits `ms` before answering, the way a slow provider would, but gives up as soon as
 * the client hangs up (the response closes), so abort and timeout tests end promptly and no timer
 * outlives the test. The timer is tracked in `timers` so the server's `close()` can clear any still
 * pending. Resolves true when the wait ran to the end, false when the client left first.
 */
export function waitUnlessClosed(
  ms: number,
  response: ServerResponse,
  timers: Set<ReturnType<typeof setTimeout>>,
): Promise<boolean> {
  return new Promise((resolve) => {
    const onClose = () => {
      clearTimeout(timer);
      timers.delete(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      timers.delete(timer);
      response.off('close', onClose);
      resolve(true);
    }, ms);
    timers.add(timer);
    response.once('close', onClose);
  });
}
