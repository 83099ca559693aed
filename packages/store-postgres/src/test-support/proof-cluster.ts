import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('./proof-gateway.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');
// tsx must compile core's constructor-parameter decorators: point it at the shared settings.
const TSCONFIG = fileURLToPath(new URL('../../../../tsconfig.base.json', import.meta.url));

/** One gateway process of the proof. */
export interface Replica {
  name: string;
  url: string;
  process: ChildProcess;
  /** Everything it printed, for failure messages. */
  output(): string;
  /** Requests sent to it and not yet answered. */
  inFlight: number;
  alive: boolean;
}

/** Starts a gateway process and resolves once it prints `READY <url>`. */
export async function startReplica(name: string, config: unknown): Promise<Replica> {
  const child = spawn(process.execPath, ['--import', TSX, '--conditions=@pixelgate/source', SCRIPT], {
    env: { ...process.env, TSX_TSCONFIG_PATH: TSCONFIG, PIXELGATE_PROOF_CONFIG: JSON.stringify(config) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /READY (\S+)/.exec(output);
      if (match) resolve(match[1]!);
    });
    child.once('exit', (code) =>
      reject(new Error(`${name} exited (${code}) before it was ready:\n${output.slice(-2000)}`)),
    );
  });
  return { name, url, process: child, output: () => output, inFlight: 0, alive: true };
}

/** True once the process has ended, by exit or by signal. */
function exited(replica: Replica): boolean {
  return replica.process.exitCode !== null || replica.process.signalCode !== null;
}

/** SIGKILL: the process dies at once, mid-request, like a crashed node. */
export async function killReplica(replica: Replica): Promise<void> {
  replica.alive = false;
  if (exited(replica)) return;
  const ended = once(replica.process, 'exit');
  replica.process.kill('SIGKILL');
  await ended;
}

/** SIGTERM and wait: the replica closes its server and stores (a final audit checkpoint). */
export async function stopReplica(replica: Replica): Promise<number | null> {
  replica.alive = false;
  if (exited(replica)) return replica.process.exitCode;
  const ended = once(replica.process, 'exit');
  replica.process.kill('SIGTERM');
  const [code] = (await ended) as [number | null];
  return code;
}

/** What one request got back. */
export interface Answer {
  index: number;
  requestId: string;
  replica: string;
  /** HTTP status, or 0 when the connection failed (the replica died). */
  status: number;
  errorMessage?: string;
  errorCode?: string;
  finishedAt: number;
}

/** Options of {@link runLoad}. */
export interface LoadOptions {
  total: number;
  concurrency: number;
  replicas: Replica[];
  apiKey: string;
  requestId(index: number): string;
  /** Called after each answer (e.g. to kill a replica part way). */
  onAnswer?(answer: Answer, done: number): void | Promise<void>;
}

/**
 * Sends `total` image requests through the replicas' HTTP surface, at most `concurrency` at a
 * time, each to the next live replica in turn. Connection failures are answers with status 0.
 */
export async function runLoad(options: LoadOptions): Promise<Answer[]> {
  const answers: Answer[] = [];
  let next = 0;
  let turn = 0;
  const worker = async () => {
    while (next < options.total) {
      const index = next++;
      const live = options.replicas.filter((replica) => replica.alive);
      const replica = live[turn++ % live.length]!;
      const requestId = options.requestId(index);
      replica.inFlight++;
      let answer: Answer;
      try {
        const response = await fetch(`${replica.url}/v1/images/generations`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            authorization: `Bearer ${options.apiKey}`,
            'x-request-id': requestId,
          },
          body: JSON.stringify({
            model: 'gpt-image-1.5',
            prompt: 'a lighthouse at dusk',
            size: '1024x1024',
            quality: 'low',
          }),
        });
        const body = (await response.json()) as { error?: { message?: string; code?: string } };
        answer = {
          index,
          requestId,
          replica: replica.name,
          status: response.status,
          ...(body.error?.message ? { errorMessage: body.error.message } : {}),
          ...(body.error?.code ? { errorCode: body.error.code } : {}),
          finishedAt: Date.now(),
        };
      } catch {
        answer = { index, requestId, replica: replica.name, status: 0, finishedAt: Date.now() };
      } finally {
        replica.inFlight--;
      }
      answers.push(answer);
      await options.onAnswer?.(answer, answers.length);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return answers;
}

/** Counts answers by status. */
export function byStatus(answers: ReadonlyArray<Answer>): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const answer of answers) counts[answer.status] = (counts[answer.status] ?? 0) + 1;
  return counts;
}
