#!/usr/bin/env node
// Runs every workspace's tests through Turborepo, then prints one closing line with the totals
// read from each package's vitest JSON report, so a reader (or CI) sees at a glance what ran.
//
// Concurrency is bounded by the machine: Turborepo runs as many packages at once as there are
// cores (its default is 10) and each package's vitest gets cores / packages workers
// (PIXELGATE_TEST_WORKERS, read by vitest.shared.ts), so the suite never runs more test files
// than cores, and tests that spawn processes or servers are not starved on a busy machine.
// PIXELGATE_TEST_CONCURRENCY overrides the package count. Turborepo's telemetry is off.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';

const cores = availableParallelism();
const requested = Number(process.env.PIXELGATE_TEST_CONCURRENCY);
const concurrency =
  Number.isInteger(requested) && requested >= 1 ? requested : Math.max(1, Math.min(cores, 4));
const workers = Math.max(1, Math.floor(cores / concurrency));

const root = new URL('..', import.meta.url).pathname;
const workspaces = ['packages', 'examples'].flatMap((dir) =>
  existsSync(join(root, dir))
    ? readdirSync(join(root, dir))
        .map((name) => join(root, dir, name))
        .filter((path) => existsSync(join(path, 'package.json')))
    : [],
);
for (const dir of workspaces) rmSync(join(dir, '.vitest-report.json'), { force: true });

const turbo = spawnSync(
  'npx',
  [
    'turbo',
    'run',
    'test',
    '--continue',
    '--output-logs=errors-only',
    '--log-order=grouped',
    `--concurrency=${concurrency}`,
    ...process.argv.slice(2),
  ],
  {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1', PIXELGATE_TEST_WORKERS: String(workers) },
  },
);

let passed = 0;
let failed = 0;
let skipped = 0;
const lines = [];
for (const dir of workspaces) {
  const file = join(dir, '.vitest-report.json');
  if (!existsSync(file)) continue;
  const report = JSON.parse(readFileSync(file, 'utf8'));
  const pending = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  passed += report.numPassedTests ?? 0;
  failed += report.numFailedTests ?? 0;
  skipped += pending;
  lines.push(
    `  ${dir.slice(root.length).padEnd(32)} ${report.numPassedTests} passed, ${report.numFailedTests} failed${pending ? `, ${pending} skipped` : ''}`,
  );
}
console.log(`\nper package:\n${lines.join('\n')}`);
console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
console.log(`(${concurrency} packages at a time, ${workers} test worker(s) each, on ${cores} cores)`);
process.exit(turbo.status ?? 1);
