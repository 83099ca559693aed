import { spawn } from 'node:child_process';
import { access } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { STACK_MODELS } from './stack.ts';

describe('npm start', () => {
  it('boots the stack with one command, prints a working key, and removes its temp data on SIGTERM', async () => {
    // Offline on purpose: no provider keys or data folder reach the child, whatever the shell exports.
    const env = { PATH: process.env.PATH, HOME: process.env.HOME, PORT: '0', HOST: '127.0.0.1' };
    const child = spawn('npm', ['start', '--silent'], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    // stdout closes once every process holding it (npm, tsx, the server) has exited.
    const stdoutClosed = new Promise<void>((resolve) => child.stdout.once('close', () => resolve()));
    let output = '';
    try {
      const printed = await new Promise<{ url: string; key: string; auditDir: string }>((resolve, reject) => {
        const onData = (chunk: Buffer) => {
          output += chunk.toString();
          const url = /on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
          const key = /API key \(acme\)\s+(\S+)/.exec(output)?.[1];
          const auditDir = /audit log\s+(\S+)/.exec(output)?.[1];
          if (url && key && auditDir) resolve({ url, key, auditDir });
        };
        child.stdout.on('data', onData);
        child.stderr.on('data', (chunk: Buffer) => {
          output += chunk.toString();
        });
        child.once('exit', (code) =>
          reject(new Error(`npm start exited (${code}) before listening:\n${output}`)),
        );
      });
      const response = await fetch(`${printed.url}/v1/models`, {
        headers: { authorization: `Bearer ${printed.key}` },
      });
      expect(response.status).toBe(200);
      const ids = ((await response.json()) as { data: Array<{ id: string }> }).data.map((model) => model.id);
      for (const id of Object.values(STACK_MODELS)) expect(ids).toContain(id);
      await access(printed.auditDir);

      // SIGTERM to npm alone, as a process manager sends it: the server must stop with it.
      process.kill(child.pid!, 'SIGTERM');
      await stdoutClosed;
      expect(output).toContain('pixelgate full stack stopped');
      await expect(access(printed.auditDir)).rejects.toMatchObject({ code: 'ENOENT' });
    } finally {
      // npm, its shell and the server share a process group: stop them together.
      if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGTERM');
      await exited;
    }
  });
});
