import { type ChildProcess, spawn } from 'node:child_process';

/** What a finished child process printed and how it ended. */
export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Options of {@link run}. */
export interface RunOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /**
   * A safety net, not a measurement: a child still running after this long is killed so a hung
   * install cannot hold the suite until vitest's own timeout, and the failure names the command.
   */
  killAfterMs?: number;
}

/** A started child whose output is collected; `done` settles when it exits. */
export interface Started {
  child: ChildProcess;
  done: Promise<Finished>;
  /** The output so far. */
  stdout(): string;
}

/** Starts a command without a shell, collecting its output. */
export function start(command: string, args: string[], options: RunOptions): Started {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const timer = options.killAfterMs
    ? setTimeout(() => child.kill('SIGKILL'), options.killAfterMs)
    : undefined;
  const done = new Promise<Finished>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return { child, done, stdout: () => stdout };
}

/** Runs a command to its end; a non-zero exit rejects with the command and its stderr. */
export async function run(command: string, args: string[], options: RunOptions): Promise<Finished> {
  const result = await start(command, args, options).done;
  if (result.code !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} exited ${result.code ?? result.signal}:\n${result.stderr.slice(-4000)}${result.stdout.slice(-2000)}`,
    );
  }
  return result;
}

/**
 * Resolves with the first match of `pattern` in a started child's stdout; rejects if the child
 * exits first (with what it printed), so a server that fails to start fails the test at once.
 */
export function waitForOutput(started: Started, pattern: RegExp): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const match = pattern.exec(started.stdout());
      if (match) {
        started.child.stdout?.off('data', check);
        resolve(match);
      }
    };
    started.child.stdout?.on('data', check);
    check();
    started.done.then((result) =>
      reject(
        new Error(`exited ${result.code ?? result.signal} before printing ${pattern}:\n${result.stderr}`),
      ),
    );
  });
}
