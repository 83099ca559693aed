// Import cost of the published entry points, as a user pays it: plain `node` (no tsx, no source
// condition) importing the built dist in a fresh process, so nothing is cached. Each entry is
// measured `RUNS` times; the table shows the median and the spread. Target for `@pixelgate/core`'s
// main entry: at most 100 ms on the project machine.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const RUNS = 7;
const ENTRIES = [
  '@pixelgate/core',
  '@pixelgate/core/spec',
  '@pixelgate/core/provider-utils',
  '@pixelgate/core/observability',
  '@pixelgate/provider-openai',
  '@pixelgate/provider-local',
  '@pixelgate/node',
];

/**
 * Milliseconds one fresh process spends in `await import(entry)`: wall time, and CPU time (user +
 * system), which a busy shared machine inflates far less than wall time.
 */
function importOnce(entry: string): { wall: number; cpu: number } {
  const script = `const c = process.cpuUsage(); const t = performance.now(); await import(${JSON.stringify(entry)}); const wall = performance.now() - t; const d = process.cpuUsage(c); process.stdout.write(JSON.stringify({ wall, cpu: (d.user + d.system) / 1000 }));`;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: root,
    encoding: 'utf8',
    env: { PATH: process.env.PATH },
  });
  if (result.status !== 0) throw new Error(`import ${entry} failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as { wall: number; cpu: number };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

/** Builds the dist of what is measured (Turborepo replays it from its cache when nothing changed). */
function build(): void {
  const result = spawnSync('npx', ['turbo', 'run', 'build', '--output-logs=errors-only'], {
    cwd: root,
    stdio: 'inherit',
  });
  if (result.status !== 0) throw new Error('build failed');
}

export async function runImportBench(): Promise<Array<Record<string, string | number>>> {
  build();
  importOnce('@pixelgate/core'); // warm the OS file cache, as a long-running host would be
  return ENTRIES.map((entry) => {
    const samples = Array.from({ length: RUNS }, () => importOnce(entry));
    const times = samples.map((sample) => sample.wall);
    return {
      entry,
      'median ms': median(times).toFixed(1),
      'min ms': Math.min(...times).toFixed(1),
      'max ms': Math.max(...times).toFixed(1),
      'median cpu ms': median(samples.map((sample) => sample.cpu)).toFixed(1),
      runs: RUNS,
      ...(entry === '@pixelgate/core' ? { target: '<= 100 ms' } : {}),
    };
  });
}
