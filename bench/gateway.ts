import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const TSX = ['--import', 'tsx', '--conditions=@pixelgate/source'];

interface CaseResult {
  p50: number;
  p95: number;
  cpuMsPerRequest: number;
  peakRssMb: number;
}

function runChild(args: string[]): Promise<CaseResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...TSX, ...args], {
      cwd: here,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.on('exit', (code) =>
      code === 0
        ? resolve(JSON.parse(out.trim().split('\n').pop()!))
        : reject(new Error(`case exited ${code}`)),
    );
  });
}

async function withWireServer<T>(
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

const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;

/**
 * Provider called directly versus through `gateway.generate()` (validation, default guardrails,
 * memory storage, audit, base64 delivery), for a small image (n=1) and four ~1.4 MB PNGs, each case
 * in a fresh process so peak RSS is its own. Goal: the gateway adds at most 20% CPU and memory.
 */
export async function runGatewayBench(): Promise<Array<Record<string, string | number>>> {
  const rows: Array<Record<string, string | number>> = [];
  const cases = [
    { name: 'small (256x256, n=1)', width: 256, noise: 0, n: 1, size: '256x256', count: 1000 },
    { name: 'large (1024x1024 ~1.4 MB, n=4)', width: 1024, noise: 0.12, n: 4, size: '1024x1024', count: 40 },
  ];
  for (const c of cases) {
    await withWireServer(c.width, c.noise, async (port, imageBytes) => {
      const run = (mode: string) =>
        runChild(['gateway-case.ts', mode, String(port), String(c.n), String(c.count), c.size]);
      // Two alternating rounds, the lower CPU of each path kept: this runs on a small shared
      // machine, and one noisy neighbour should not decide the comparison.
      let direct: CaseResult | undefined;
      let gateway: CaseResult | undefined;
      for (let round = 0; round < 2; round++) {
        const d = await run('direct');
        const g = await run('gateway');
        if (!direct || d.cpuMsPerRequest < direct.cpuMsPerRequest) direct = d;
        if (!gateway || g.cpuMsPerRequest < gateway.cpuMsPerRequest) gateway = g;
      }
      if (!direct || !gateway) throw new Error('bench: no rounds');
      rows.push({
        case: `${c.name}, ${(imageBytes / 1e6).toFixed(2)} MB/image`,
        'direct p50/p95 ms': `${direct.p50.toFixed(1)} / ${direct.p95.toFixed(1)}`,
        'gateway p50/p95 ms': `${gateway.p50.toFixed(1)} / ${gateway.p95.toFixed(1)}`,
        'CPU ms/req direct → gateway': `${direct.cpuMsPerRequest.toFixed(2)} → ${gateway.cpuMsPerRequest.toFixed(2)} (${ratio(gateway.cpuMsPerRequest, direct.cpuMsPerRequest)})`,
        'peak RSS MB direct → gateway': `${direct.peakRssMb.toFixed(0)} → ${gateway.peakRssMb.toFixed(0)} (${ratio(gateway.peakRssMb, direct.peakRssMb)})`,
      });
    });
  }
  return rows;
}
