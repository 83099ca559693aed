import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { undeclaredImports } from './declared-imports.ts';

const KEY = 'pg-test-key-start-0123456789';

/** True while any process of the group is alive (signal 0 only checks). */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Resolves with the first `http://127.0.0.1:<port>` the child prints (it listens on port 0). */
function printedUrl(child: ChildProcess): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /http:\/\/127\.0\.0\.1:\d+/.exec(output);
      if (match) resolve(match[0]);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('exit', (code) =>
      reject(new Error(`npm start exited (${code}) before listening:\n${output}`)),
    );
  });
}

/**
 * The test every server example runs: `npm start` in the example's folder boots it with one
 * command on 127.0.0.1 (port 0, the URL read from its output), it answers `GET /v1/models`, and a
 * SIGTERM sent to npm alone (as a process manager or a terminal's Ctrl-C would) stops the server
 * too: no process of the group is left. One copy, shared by the examples' `start.test.ts`.
 */
export function describeNpmStart(exampleDir: URL): void {
  describe('package.json', () => {
    it('declares every package the example imports (nothing works only through hoisting)', async () => {
      expect(await undeclaredImports(exampleDir)).toEqual([]);
    });
  });

  describe('npm start', () => {
    it('runs the example with one command, serves the API, and stops the server on SIGTERM to npm', async () => {
      // Offline on purpose: no provider keys reach the child, whatever the shell exports.
      const env = {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        PORT: '0',
        HOST: '127.0.0.1',
        PIXELGATE_API_KEY: KEY,
      };
      const child = spawn('npm', ['start', '--silent'], {
        cwd: fileURLToPath(exampleDir),
        env,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const pgid = child.pid!;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      // stdout closes once every process holding it (npm and the server) has exited: the signal
      // that the server is gone, with no clock involved.
      const stdoutClosed = new Promise<void>((resolve) => child.stdout.once('close', () => resolve()));
      try {
        const url = await printedUrl(child);
        const response = await fetch(`${url}/v1/models`, { headers: { authorization: `Bearer ${KEY}` } });
        expect(response.status).toBe(200);
        expect(((await response.json()) as { object: string }).object).toBe('list');

        process.kill(pgid, 'SIGTERM');
        await Promise.all([exited, stdoutClosed]);
        // The server held stdout, so it is gone; helpers such as tsx's esbuild service leave once
        // their parent's pipe closes. Nothing of the group may stay.
        await vi.waitFor(() => expect(groupAlive(pgid)).toBe(false), { timeout: 30_000, interval: 50 });
        await expect(fetch(`${url}/v1/models`)).rejects.toThrow();
      } finally {
        // Whatever happened, leave no process behind.
        if (groupAlive(pgid)) process.kill(-pgid, 'SIGKILL');
        await exited;
      }
    });
  });
}
