// Child processes for benchmarks: each measured case runs in a fresh process (so its CPU time and
// peak RSS are its own), and the wire server that plays the provider runs in another (so its CPU
// stays out of the client's figures).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const TSX = ['--import', 'tsx', '--conditions=@pixelgate/source'];

/** Runs `node --import tsx <args>` in bench/ and parses the last line it prints as JSON. */
export function runChild<T>(args: string[]): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...TSX, ...args], {
      cwd: here,
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, TSX_TSCONFIG_PATH: `${here}../tsconfig.base.json` },
    });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.on('exit', (code) =>
      code === 0
        ? resolve(JSON.parse(out.trim().split('\n').pop()!) as T)
        : reject(new Error(`${args[0]} exited ${code}`)),
    );
  });
}

/** Starts the wire server (OpenAI-shaped replies of one pre-encoded image) for the duration of `fn`. */
export async function withWireServer<T>(
  width: number,
  noise: number,
  fn: (port: number, imageBytes: number) => Promise<T>,
): Promise<T> {
  const server = spawn(process.execPath, [...TSX, 'wire-server.ts', String(width), String(noise)], {
    cwd: here,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const info = await new Promise<{ port: number; imageBytes: number }>((resolve, reject) => {
    server.stdout.once('data', (chunk) => resolve(JSON.parse(String(chunk))));
    server.once('exit', (code) => reject(new Error(`wire server exited ${code}`)));
  });
  try {
    return await fn(info.port, info.imageBytes);
  } finally {
    server.stdin.end();
    await new Promise((resolve) => server.once('exit', resolve));
  }
}
