/**
 * The repository's provider packages all have one shape, so that a reader who knows one knows
 * them all and a new provider starts from a known template (docs/provider-plugins.md). Checked
 * here, generically over every `packages/provider-*` directory (and the custom-provider example):
 *
 * - the same file names: `<name>-provider.ts` (factory and settings), `<name>-catalog.ts` (models
 *   as data), `<name>-options.ts` (a strict provider_options schema), and for providers that call
 *   an upstream API `<name>-api.ts` (lenient response schemas), `<name>-error.ts` (error mapping)
 *   and `testing/fake-<name>-server.ts` exporting `startFake<Name>Server` from `./testing`;
 *   `<name>` is the directory name after `provider-`, and `<Name>` matches it case-insensitively
 *   (`startFakeOpenAIServer` for `openai`);
 * - declared dependencies match what the source imports: every package a source file imports is
 *   declared, every runtime dependency is imported by shipped source, and no provider depends on
 *   another provider package at run time;
 * - shipped code (including the fakes under `src/testing/`, which apps start outside a test
 *   runner) never imports vitest or core's vitest-based kits.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = new URL('../../../../', import.meta.url).pathname;

interface ProviderPackage {
  /** Directory relative to the repository root. */
  dir: string;
  /** The `<name>` in every file name. */
  name: string;
  /** Whether the provider calls an upstream API (and so has response schemas, errors and a fake). */
  upstream: boolean;
}

/** Providers that draw offline and call no API: no response schemas, error mapping or fake server. */
const OFFLINE = new Set(['local']);

function providerPackages(): ProviderPackage[] {
  const packages = readdirSync(join(root, 'packages'))
    .filter((entry) => entry.startsWith('provider-'))
    .filter((entry) => existsSync(join(root, 'packages', entry, 'package.json')))
    .map((entry) => {
      const name = entry.slice('provider-'.length);
      return { dir: `packages/${entry}`, name, upstream: !OFFLINE.has(name) };
    });
  // The plugin guide's example follows the same shape, so authors copy a conforming package.
  packages.push({ dir: 'examples/custom-provider', name: 'acme', upstream: true });
  return packages;
}

function sourceFiles(dir: string): string[] {
  const files: string[] = [];
  const walk = (path: string) => {
    for (const entry of readdirSync(path)) {
      if (entry === 'node_modules' || entry === 'dist') continue;
      const full = join(path, entry);
      if (statSync(full).isDirectory()) walk(full);
      else if (/\.(ts|tsx|mts)$/.test(entry) && !entry.endsWith('.d.ts')) files.push(full);
    }
  };
  walk(join(root, dir, 'src'));
  return files;
}

/** Tests and their helpers: they may use devDependencies (and the root's, such as vitest). */
function isTestFile(file: string): boolean {
  return /\.(test|test-d|test-helpers)\.ts$/.test(file) || /[/\\]__fixtures__[/\\]/.test(file);
}

const builtins = new Set(builtinModules);

/** The package names a file imports (static, dynamic, type-only and re-exports), read by the TS scanner. */
function importedPackages(file: string): string[] {
  const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  const names = new Set<string>();
  for (const { fileName } of info.importedFiles) {
    if (fileName.startsWith('.') || fileName.startsWith('/') || fileName.startsWith('node:')) continue;
    const parts = fileName.split('/');
    const name = fileName.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
    if (builtins.has(name)) continue;
    names.add(name);
  }
  return [...names];
}

interface Manifest {
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  exports?: Record<string, unknown>;
}

function readManifest(dir: string): Manifest {
  return JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')) as Manifest;
}

const rootManifest = readManifest('.');

/** What the provider shape asks of one package; an empty list means it conforms. */
function shapeProblems(pkg: ProviderPackage): string[] {
  const problems: string[] = [];
  const src = join(root, pkg.dir, 'src');
  const read = (file: string) => readFileSync(join(src, file), 'utf8');
  const required = [
    `${pkg.name}-provider.ts`,
    `${pkg.name}-catalog.ts`,
    `${pkg.name}-options.ts`,
    'index.ts',
  ];
  if (pkg.upstream) {
    required.push(
      `${pkg.name}-api.ts`,
      `${pkg.name}-error.ts`,
      `testing/fake-${pkg.name}-server.ts`,
      'testing/index.ts',
    );
  }
  for (const file of required) {
    if (!existsSync(join(src, file))) problems.push(`missing src/${file}`);
  }
  if (problems.length > 0) return problems;

  if (!/export (async )?function create\w*Provider\s*\(/.test(read(`${pkg.name}-provider.ts`))) {
    problems.push(`src/${pkg.name}-provider.ts does not export a create…Provider factory`);
  }
  if (!/\bz\.strictObject\(/.test(read(`${pkg.name}-options.ts`))) {
    problems.push(`src/${pkg.name}-options.ts has no strict (z.strictObject) provider_options schema`);
  }
  if (!pkg.upstream) return problems;

  const api = read(`${pkg.name}-api.ts`);
  if (/\bz\.strictObject\(/.test(api) || !/\bz\.looseObject\(|\.nullish\(\)|\.passthrough\(\)/.test(api)) {
    problems.push(
      `src/${pkg.name}-api.ts must hold lenient response schemas (looseObject / nullish, never strictObject)`,
    );
  }
  if (!/export (async )?function \w+/.test(read(`${pkg.name}-error.ts`))) {
    problems.push(`src/${pkg.name}-error.ts exports no error-mapping function`);
  }
  const fake = read(`testing/fake-${pkg.name}-server.ts`);
  const starter = /export (?:async )?function (startFake\w+Server)\s*\(/.exec(fake)?.[1];
  const expected = `startfake${pkg.name.replace(/-/g, '')}server`;
  if (!starter || starter.toLowerCase() !== expected) {
    problems.push(
      `src/testing/fake-${pkg.name}-server.ts must export startFake<Name>Server (found ${starter ?? 'none'})`,
    );
  } else if (!read('testing/index.ts').includes(starter)) {
    problems.push(`src/testing/index.ts does not re-export ${starter}`);
  }
  const manifest = readManifest(pkg.dir);
  if (!pkg.dir.startsWith('examples/') && !manifest.exports?.['./testing']) {
    problems.push('package.json has no ./testing export for the fake server');
  }
  return problems;
}

/** Declared dependencies against what the source imports. */
function dependencyProblems(pkg: ProviderPackage): string[] {
  const manifest = readManifest(pkg.dir);
  const runtime = new Set([
    ...Object.keys(manifest.dependencies ?? {}),
    ...Object.keys(manifest.peerDependencies ?? {}),
  ]);
  const forTests = new Set([
    ...runtime,
    ...Object.keys(manifest.devDependencies ?? {}),
    ...Object.keys(rootManifest.devDependencies ?? {}),
  ]);
  const problems: string[] = [];
  const usedAtRuntime = new Set<string>();
  for (const file of sourceFiles(pkg.dir)) {
    const where = relative(join(root, pkg.dir), file);
    const test = isTestFile(file);
    for (const name of importedPackages(file)) {
      if (!test) usedAtRuntime.add(name);
      if (!(test ? forTests : runtime).has(name)) {
        problems.push(
          `${where} imports ${name}, which package.json does not declare${test ? '' : ' as a dependency'}`,
        );
      }
      if (!test && (name === 'vitest' || name === '@vitest/expect')) {
        problems.push(`${where} is shipped code but imports ${name}`);
      }
    }
    if (!test && /from '@pixelgate\/core\/testing'/.test(readFileSync(file, 'utf8'))) {
      problems.push(`${where} is shipped code but imports @pixelgate/core/testing (which loads vitest)`);
    }
  }
  for (const name of Object.keys(manifest.dependencies ?? {})) {
    if (!usedAtRuntime.has(name))
      problems.push(`dependency ${name} is not imported by any shipped source file`);
    if (/^@pixelgate\/provider-/.test(name)) {
      problems.push(`depends on ${name} at run time; a provider never needs another provider`);
    }
  }
  return problems;
}

describe('every provider package has the provider shape', () => {
  const packages = providerPackages();

  it('finds the provider packages', () => {
    expect(packages.map((pkg) => pkg.name)).toEqual(
      expect.arrayContaining(['openai', 'stability', 'imagen', 'local', 'acme']),
    );
  });

  for (const pkg of packages) {
    it(`${pkg.dir}: the same file names and exports as every provider`, () => {
      expect(shapeProblems(pkg)).toEqual([]);
    });

    it(`${pkg.dir}: declared dependencies match the imports`, () => {
      expect(dependencyProblems(pkg)).toEqual([]);
    });
  }
});
