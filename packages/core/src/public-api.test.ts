import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/** Every entry point of the package and the audience it serves (see package.json `exports`). */
const ENTRIES = [
  'index',
  'spec',
  'provider-utils',
  'storage-utils',
  'store-utils',
  'adapter-utils',
  'audit-tools',
  'observability',
  'testing/index',
];

const src = fileURLToPath(new URL('.', import.meta.url));

/** The exported names of each entry, values and types marked, sorted: the public surface. */
function publicSurface(): Record<string, string[]> {
  const files = ENTRIES.map((entry) => `${src}${entry}.ts`);
  const program = ts.createProgram(files, {
    allowImportingTsExtensions: true,
    noEmit: true,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    target: ts.ScriptTarget.ES2022,
    experimentalDecorators: true,
    skipLibCheck: true,
  });
  const checker = program.getTypeChecker();
  const surface: Record<string, string[]> = {};
  for (const [index, file] of files.entries()) {
    const module = checker.getSymbolAtLocation(program.getSourceFile(file)!)!;
    surface[ENTRIES[index]!] = checker
      .getExportsOfModule(module)
      .map((symbol) => {
        const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
        return `${symbol.name}${target.flags & ts.SymbolFlags.Value ? '' : ' (type)'}`;
      })
      .sort();
  }
  return surface;
}

describe('the public API of @pixelgate/core', () => {
  // A change to what any entry exports shows up here, and so in review.
  it('exports exactly the recorded names from each entry point', () => {
    expect(publicSurface()).toMatchSnapshot();
  });

  it('keeps the main entry to what application authors need (at most about 80 values)', async () => {
    const main = await import('./index.ts');
    expect(Object.keys(main).length).toBeLessThanOrEqual(80);
  });
});
