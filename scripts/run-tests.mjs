#!/usr/bin/env node
// Runs every workspace's tests through Turborepo, then prints one closing line with the totals
// read from each package's vitest JSON report, so a reader (or CI) sees at a glance what ran.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

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
    ...process.argv.slice(2),
  ],
  {
    cwd: root,
    stdio: 'inherit',
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
process.exit(turbo.status ?? 1);
