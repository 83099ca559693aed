// Where the import of an entry point spends its time, for whoever works on the import-time target
// (bench/import.ts measures it). Run from the repository root after a build:
//   npx tsx bench/import-profile.ts [entry]        (default entry: @pixelgate/core)
// It imports the built dist in a fresh plain-node process twice: once counting the modules loaded
// (by package, with their bytes), once under the V8 CPU profiler, and prints the profile's time by
// where it was spent (module loading, garbage collection, each package's own code). Measures only.
// The module count sees ES modules and each CommonJS entry file, not the files a CommonJS package
// requires internally (tsyringe's, for one).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const entry = process.argv[2] ?? '@pixelgate/core';

interface ProfileNode {
  id: number;
  callFrame: { url: string; functionName: string };
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** The package a file URL belongs to (`zod`, `@opentelemetry/api`, `pixelgate:core`), or a bucket for the rest. */
function ownerOf(url: string, functionName: string): string {
  if (!url) return `(${functionName || 'native'})`;
  if (url.startsWith('node:'))
    return url.startsWith('node:internal/modules') ? 'node: module loader' : 'node: other';
  const workspace = /\/packages\/([^/]+)\//.exec(url);
  if (workspace && !url.includes('/node_modules/')) return `pixelgate:${workspace[1]}`;
  const parts = url.split('/node_modules/').pop()?.split('/') ?? [url];
  return parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1]}` : (parts[0] ?? url);
}

/** Modules the import loads, counted and sized by package. */
function modulesLoaded(dir: string): Map<string, { files: number; bytes: number }> {
  const hook = join(dir, 'hook.mjs');
  const register = join(dir, 'register.mjs');
  writeFileSync(
    hook,
    `export async function load(url, context, next) { if (url.startsWith('file:')) process.stderr.write(url + '\\n'); return next(url, context); }`,
  );
  writeFileSync(
    register,
    `import { register } from 'node:module'; register(${JSON.stringify(`file://${hook}`)});`,
  );
  const result = spawnSync(
    process.execPath,
    ['--import', register, '--input-type=module', '-e', `await import(${JSON.stringify(entry)})`],
    { cwd: root, encoding: 'utf8', env: { PATH: process.env.PATH } },
  );
  if (result.status !== 0) throw new Error(`import ${entry} failed: ${result.stderr}`);
  const byOwner = new Map<string, { files: number; bytes: number }>();
  for (const url of result.stderr.split('\n').filter((line) => line.startsWith('file:'))) {
    const owner = ownerOf(url, '');
    const current = byOwner.get(owner) ?? { files: 0, bytes: 0 };
    current.files += 1;
    current.bytes += readFileSync(fileURLToPath(url)).length;
    byOwner.set(owner, current);
  }
  return byOwner;
}

/** Milliseconds of the CPU profile by owner of the function that was running. */
function profiled(dir: string): Map<string, number> {
  const result = spawnSync(
    process.execPath,
    [
      '--cpu-prof',
      `--cpu-prof-dir=${dir}`,
      '--cpu-prof-interval=200',
      '--input-type=module',
      '-e',
      `await import(${JSON.stringify(entry)})`,
    ],
    { cwd: root, encoding: 'utf8', env: { PATH: process.env.PATH } },
  );
  if (result.status !== 0) throw new Error(`import ${entry} failed: ${result.stderr}`);
  const file = readdirSync(dir).find((name) => name.endsWith('.cpuprofile'));
  if (!file) throw new Error('no CPU profile written');
  const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile;
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const byOwner = new Map<string, number>();
  profile.samples.forEach((id, index) => {
    const frame = nodes.get(id)?.callFrame;
    const owner = frame ? ownerOf(frame.url, frame.functionName) : '(unknown)';
    byOwner.set(owner, (byOwner.get(owner) ?? 0) + (profile.timeDeltas[index] ?? 0) / 1000);
  });
  return byOwner;
}

const dir = mkdtempSync(join(tmpdir(), 'pixelgate-import-profile-'));
try {
  const modules = [...modulesLoaded(dir)].sort((a, b) => b[1].bytes - a[1].bytes);
  console.log(`Modules loaded by import('${entry}'):`);
  console.table(
    modules.map(([owner, { files, bytes }]) => ({ package: owner, files, kB: (bytes / 1024).toFixed(0) })),
  );
  const times = [...profiled(dir)].sort((a, b) => b[1] - a[1]);
  const total = times.reduce((sum, [, ms]) => sum + ms, 0);
  console.log(`CPU profile of the import (whole process, ${total.toFixed(0)} ms sampled):`);
  console.table(times.slice(0, 15).map(([owner, ms]) => ({ where: owner, ms: ms.toFixed(1) })));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
