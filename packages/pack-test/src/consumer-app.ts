import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { lstat, mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from './process.ts';

/** The repository root (this file is packages/pack-test/src/consumer-app.ts). */
export const REPO_ROOT = new URL('../../..', import.meta.url).pathname.replace(/\/$/, '');

/** A workspace package that is published: its folder and name. */
export interface PublishablePackage {
  dir: string;
  name: string;
}

/** Every package under packages/ that is not private, i.e. what `npm publish` would ship. */
export function publishablePackages(): PublishablePackage[] {
  const root = join(REPO_ROOT, 'packages');
  return readdirSync(root)
    .map((folder) => join(root, folder))
    .filter((dir) => existsSync(join(dir, 'package.json')))
    .map((dir) => ({ dir, manifest: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) }))
    .filter(({ manifest }) => manifest.private !== true)
    .map(({ dir, manifest }) => ({ dir, name: manifest.name as string }));
}

/** One tarball `npm pack` made: its path and the files in it. */
export interface Tarball {
  name: string;
  path: string;
  files: string[];
}

/**
 * Packs every publishable package the way `npm publish` would: `npm pack` runs each package's
 * `prepack` (which builds its dist and the dist of what it depends on). Returns the tarballs.
 */
export async function packAll(packages: PublishablePackage[], destination: string): Promise<Tarball[]> {
  await mkdir(destination, { recursive: true });
  // One Turborepo run builds every package, two at a time where the graph allows; the prepack
  // scripts `npm pack` runs next then find everything in Turborepo's cache.
  const filters = packages.map((pkg) => `--filter=${pkg.name}`);
  await run('npx', ['turbo', 'run', 'build', ...filters, '--output-logs=errors-only'], {
    cwd: REPO_ROOT,
    killAfterMs: 480_000,
  });
  const workspaces = packages.flatMap((pkg) => ['-w', pkg.dir]);
  const { stdout } = await run('npm', ['pack', ...workspaces, '--pack-destination', destination, '--json'], {
    cwd: REPO_ROOT,
    killAfterMs: 480_000,
  });
  // npm prints the prepack scripts' output before the JSON report.
  const report = JSON.parse(stdout.slice(stdout.indexOf('\n[') + 1)) as Array<{
    name: string;
    filename: string;
    files: Array<{ path: string }>;
  }>;
  return report.map((entry) => ({
    name: entry.name,
    path: join(destination, entry.filename.replace(/^@/, '').replace(/\//, '-')),
    files: entry.files.map((file) => file.path),
  }));
}

/**
 * Creates an application outside the workspace that depends on the tarballs and on the official
 * `openai` SDK, and installs it with plain `npm install`: what a user does, minus the registry
 * for our own packages.
 */
export async function installApp(dir: string, tarballs: Tarball[], packages: PublishablePackage[]) {
  await mkdir(dir, { recursive: true });
  // typescript: to check that the packages' `types` and `exports` serve a TypeScript consumer.
  const dependencies: Record<string, string> = { openai: '^6.49.0', typescript: '~6.0.3' };
  for (const pkg of packages) {
    const tarball = tarballs.find((candidate) => candidate.name === pkg.name);
    if (!tarball) throw new Error(`npm pack made no tarball for ${pkg.name}`);
    dependencies[pkg.name] = `file:${tarball.path}`;
  }
  const manifest = { name: 'pixelgate-consumer', private: true, type: 'module', dependencies };
  await writeFile(join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], {
    cwd: dir,
    killAfterMs: 480_000,
  });
}

async function sizeOf(path: string): Promise<number> {
  const stat = await lstat(path);
  if (!stat.isDirectory()) return stat.size;
  let total = 0;
  for (const entry of await readdir(path)) total += await sizeOf(join(path, entry));
  return total;
}

/**
 * Bytes on disk of a package and everything it depends on at run time (dependencies and the
 * optional dependencies that were installed), as installed in `app`; shared packages count once.
 */
export async function installedSize(
  app: string,
  name: string,
): Promise<{ bytes: number; packages: string[] }> {
  const seen = new Set<string>();
  const queue = [name];
  let bytes = 0;
  while (queue.length) {
    const next = queue.shift() as string;
    if (seen.has(next)) continue;
    const dir = join(app, 'node_modules', next);
    if (!existsSync(dir)) continue; // an optional dependency for another platform
    seen.add(next);
    bytes += await sizeOf(dir);
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    queue.push(...Object.keys({ ...manifest.dependencies, ...manifest.optionalDependencies }));
  }
  return { bytes, packages: [...seen].sort() };
}
