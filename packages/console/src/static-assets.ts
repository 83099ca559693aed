import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One file the console serves: its bytes, type and how long a browser may cache it. */
export interface StaticAsset {
  body: Uint8Array<ArrayBuffer>;
  contentType: string;
  /** `no-cache` for pages (so a deploy is seen at once), a day for vendor files. */
  cacheControl: string;
}

const STATIC_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'static');
const require = createRequire(import.meta.url);

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
};

/**
 * The console's own files and the vendor files it loads, as an allow-list of URL path to file.
 * Nothing outside this list is ever read, so no request path can reach the file system.
 */
function assetFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const name of [
    'index.html',
    'console.css',
    'app.js',
    'api.js',
    'state.js',
    'capabilities.js',
    'views/sign-in.js',
    'views/generate.js',
    'views/gallery.js',
    'views/compare.js',
    'views/usage.js',
    'views/audit.js',
    'views/shared.js',
    'docs.html',
    'docs-init.js',
  ]) {
    files.set(name, join(STATIC_DIR, name));
  }
  const preact = packageRoot('preact');
  files.set('vendor/preact.mjs', join(preact, 'dist', 'preact.mjs'));
  files.set('vendor/hooks.mjs', join(preact, 'hooks', 'dist', 'hooks.mjs'));
  files.set('vendor/htm.mjs', join(packageRoot('htm'), 'dist', 'htm.mjs'));
  const swagger = packageRoot('swagger-ui-dist');
  files.set('vendor/swagger-ui.css', join(swagger, 'swagger-ui.css'));
  files.set('vendor/swagger-ui-bundle.js', join(swagger, 'swagger-ui-bundle.js'));
  return files;
}

/**
 * The installed folder of a dependency, found from its main entry (some packages do not export
 * their package.json), so the files served are exactly the pinned version's.
 */
function packageRoot(name: string): string {
  let dir = dirname(require.resolve(name));
  while (!existsSync(join(dir, 'package.json')) || basename(dir) !== basename(name)) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find the installed folder of ${name}`);
    dir = parent;
  }
  return dir;
}

/** Loads every asset once, so serving is a map lookup and a missing file fails at start, not mid-session. */
export async function loadStaticAssets(): Promise<Map<string, StaticAsset>> {
  const assets = new Map<string, StaticAsset>();
  await Promise.all(
    [...assetFiles()].map(async ([path, file]) => {
      const extension = file.slice(file.lastIndexOf('.'));
      assets.set(path, {
        body: new Uint8Array(await readFile(file)),
        contentType: TYPES[extension] ?? 'application/octet-stream',
        cacheControl: path.startsWith('vendor/') ? 'public, max-age=86400' : 'no-cache',
      });
    }),
  );
  return assets;
}

/**
 * The CSP hash of each inline `<script type="importmap">` of a page: the only inline script the
 * console has, allowed by its hash so that no other inline script can run.
 */
export function inlineScriptHashes(html: string): string[] {
  const hashes: string[] = [];
  for (const match of html.matchAll(/<script type="importmap">([\s\S]*?)<\/script>/g)) {
    hashes.push(`'sha256-${createHash('sha256').update(match[1]!).digest('base64')}'`);
  }
  return hashes;
}
