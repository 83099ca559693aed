const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/**
 * A one-line spinner with elapsed seconds on stderr, so a slow provider call does not look like a
 * hang. Draws only on a terminal: piped stderr (CI logs, scripts) stays free of control codes.
 * Returns the function that stops it and clears its line.
 */
export function startSpinner(enabled: boolean, write: (text: string) => void, label: string): () => void {
  if (!enabled) return () => {};
  const started = Date.now();
  let frame = 0;
  const draw = () => {
    const seconds = Math.floor((Date.now() - started) / 1000);
    write(`\r\x1b[2K${FRAMES[frame++ % FRAMES.length]} ${label} ${seconds}s`);
  };
  draw();
  const timer = setInterval(draw, 80);
  timer.unref?.();
  let stopped = false;
  return () => {
    if (stopped) return;
    stopped = true;
    clearInterval(timer);
    write('\r\x1b[2K');
  };
}
