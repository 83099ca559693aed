import { describe, expect, it } from 'vitest';
import { runGenerate } from './commands/generate.ts';
import { EMBEDDED_DEFAULTS } from './config.ts';
import { startSpinner } from './progress.ts';
import { memoryIo, tempDir } from './test-support.ts';

describe('progress spinner', () => {
  it('draws on a terminal and clears its line when stopped, once', () => {
    const written: string[] = [];
    const stop = startSpinner(true, (text) => written.push(text), 'working');
    expect(written[0]?.startsWith('\r\x1b[2K')).toBe(true);
    expect(written[0]).toMatch(/ working 0s$/);
    stop();
    stop();
    expect(written.at(-1)).toBe('\r\x1b[2K');
    expect(written.filter((text) => text === '\r\x1b[2K')).toHaveLength(1);
  });

  it('writes nothing when stderr is not a terminal', () => {
    const written: string[] = [];
    startSpinner(false, (text) => written.push(text), 'working')();
    expect(written).toEqual([]);
  });

  it('runs during generate on a TTY and leaves stdout clean', async () => {
    const temp = await tempDir();
    try {
      const memory = memoryIo(temp.dir);
      memory.io.stderrIsTTY = true;
      expect(await runGenerate('x', { size: '256x256' }, EMBEDDED_DEFAULTS, memory.io)).toBe(0);
      expect(memory.stderr()).toContain('generating with local/placeholder');
      expect(memory.stderr().endsWith('\r\x1b[2K')).toBe(true);
      expect(memory.stdout()).not.toContain('\x1b');
    } finally {
      await temp.remove();
    }
  });
});
