import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const KEY = 'pg-test-key-start-0123456789';

/**
 * The test every server example runs: `npm start` in the example's folder boots it with one
 * command on 127.0.0.1 (random port), it answers `GET /v1/models` with the printed URL, and the
 * whole process group stops on SIGTERM. One copy, shared by the examples' `start.test.ts`.
 */
export function describeNpmStart(exampleDir: URL): void {
  describe('npm start', () => {
    it('runs the example with one command, serves the API, and stops on SIGTERM', async () => {
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
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      try {
        const url = await new Promise<string>((resolve, reject) => {
          let output = '';
          const onData = (chunk: Buffer) => {
            output += chunk.toString();
            const match = /http:\/\/127\.0\.0\.1:\d+/.exec(output);
            if (match) resolve(match[0]);
          };
          child.stdout.on('data', onData);
          child.stderr.on('data', (chunk: Buffer) => {
            output += chunk.toString();
          });
          child.once('exit', (code) =>
            reject(new Error(`npm start exited (${code}) before listening:\n${output}`)),
          );
        });
        const response = await fetch(`${url}/v1/models`, { headers: { authorization: `Bearer ${KEY}` } });
        expect(response.status).toBe(200);
        expect(((await response.json()) as { object: string }).object).toBe('list');
      } finally {
        // npm, its shell and the server share a process group: stop them together.
        if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGTERM');
        await exited;
      }
    });
  });
}
