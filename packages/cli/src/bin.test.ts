import { type ChildProcess, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from './test-support.ts';

const BIN = fileURLToPath(new URL('./bin.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');
const TSCONFIG = fileURLToPath(new URL('../../../tsconfig.json', import.meta.url));

let temp: Awaited<ReturnType<typeof tempDir>>;
const children: ChildProcess[] = [];
beforeEach(async () => {
  temp = await tempDir();
});
afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  await temp.remove();
});

/** Starts the real `pixelgate` bin (TypeScript sources through tsx) in a temporary folder. */
function start(args: string[]): {
  child: ChildProcess;
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
} {
  const child = spawn(process.execPath, ['--import', TSX, '--conditions=@pixelgate/source', BIN, ...args], {
    cwd: temp.dir,
    env: { PATH: process.env.PATH, TSX_TSCONFIG_PATH: TSCONFIG },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code) => resolve({ code, stdout, stderr })),
  );
  return { child, done };
}

const run = (args: string[]) => start(args).done;

describe('the pixelgate bin', () => {
  it('prints help and exits 0', async () => {
    const result = await run(['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Usage: pixelgate');
  });

  it('exits 2 with exactly one line and no stack trace for a bad flag', async () => {
    const result = await run(['generate', 'a cat', '--bogus']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe("pixelgate: unknown option '--bogus'\n");
    expect(result.stdout).toBe('');
  });

  it('exits 2 with exactly one line for a bad config file', async () => {
    await writeFile(`${temp.dir}/bad.json`, '{"dispatch": {"concurrency": 0}}');
    const result = await run(['models', '--config', 'bad.json']);
    expect(result.code).toBe(2);
    expect(result.stderr.trimEnd().split('\n')).toEqual([
      expect.stringMatching(/^pixelgate: invalid config file bad\.json: dispatch\.concurrency: /),
    ]);
  });

  it('serves until SIGTERM, then exits 0', async () => {
    const { child, done } = start(['serve', '--port', '0']);
    const url = await new Promise<string>((resolve, reject) => {
      let seen = '';
      child.stdout?.on('data', (chunk) => {
        seen += chunk;
        const match = /listening on (http:\/\/[^\s"]+)/.exec(seen);
        if (match) resolve(match[1]!);
      });
      child.on('close', (code) => reject(new Error(`serve exited early with ${code}`)));
    });
    const response = await fetch(`${url}/v1/models`);
    expect(response.status).toBe(200);
    child.kill('SIGTERM');
    const result = await done;
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('"msg":"pixelgate stopped"');
  });
});
