import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CliIo } from './io.ts';

/** An in-memory {@link CliIo} for tests, with what was printed and a way to wait for a line. */
export interface MemoryIo {
  io: CliIo;
  stdout(): string;
  stderr(): string;
  /** Resolves with stdout once it matches `pattern` (rejects if the command ends first, via `race`). */
  waitForStdout(pattern: RegExp): Promise<RegExpMatchArray>;
}

/** Builds a {@link MemoryIo} rooted at `cwd`, with an empty environment unless given one. */
export function memoryIo(cwd: string, env: Record<string, string | undefined> = {}): MemoryIo {
  let out = '';
  let err = '';
  const waiters: Array<{ pattern: RegExp; resolve: (match: RegExpMatchArray) => void }> = [];
  const io: CliIo = {
    stdout(text) {
      out += text;
      for (const waiter of [...waiters]) {
        const match = out.match(waiter.pattern);
        if (match) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(match);
        }
      }
    },
    stderr(text) {
      err += text;
    },
    env,
    cwd,
    stderrIsTTY: false,
  };
  return {
    io,
    stdout: () => out,
    stderr: () => err,
    waitForStdout(pattern) {
      const match = out.match(pattern);
      if (match) return Promise.resolve(match);
      return new Promise((resolve) => waiters.push({ pattern, resolve }));
    },
  };
}

/** A fresh temporary folder and its removal. */
export async function tempDir(): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'pixelgate-cli-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
