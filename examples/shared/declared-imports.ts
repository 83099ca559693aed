import { readdir, readFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SOURCE = /\.(?:ts|tsx|mts)$/;
const IMPORT = /(?:\bfrom\s+|\bimport\s*\(\s*|\bimport\s+)['"]([^'"]+)['"]/g;

async function sourceFiles(dir: string): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await sourceFiles(path)));
    else if (SOURCE.test(entry.name)) files.push(path);
  }
  return files;
}

/** `@scope/name/sub` → `@scope/name`, `name/sub` → `name`. */
function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

/**
 * The packages an example's own source imports without declaring them in its package.json (an
 * example that works only because npm hoisted a package another workspace declared breaks when
 * copied out of the repository). Relative imports, Node built-ins and the shared test helpers are
 * left out.
 */
export async function undeclaredImports(exampleDir: URL): Promise<string[]> {
  const root = fileURLToPath(exampleDir);
  const manifest = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as Record<
    string,
    Record<string, string> | undefined
  >;
  const declared = new Set(
    ['dependencies', 'devDependencies', 'peerDependencies'].flatMap((field) =>
      Object.keys(manifest[field] ?? {}),
    ),
  );
  const builtins = new Set(builtinModules);
  const missing = new Set<string>();
  for (const file of await sourceFiles(root)) {
    for (const match of (await readFile(file, 'utf8')).matchAll(IMPORT)) {
      const specifier = match[1]!;
      if (specifier.startsWith('.') || specifier.startsWith('node:') || specifier.startsWith('/')) continue;
      const name = packageOf(specifier);
      if (builtins.has(name) || declared.has(name) || name === 'vitest') continue;
      missing.add(name);
    }
  }
  return [...missing].sort();
}
