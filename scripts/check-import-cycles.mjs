// Finds import cycles in a source tree (default packages/core/src), with a depth-first search over
// the graph of relative imports and re-exports (type-only ones included: a type cycle is still a
// layering cycle). Two levels are checked:
//   - files: a.ts → b.ts → a.ts
//   - folders (the layers: pipeline, gateway, shared, ...): pipeline → gateway → pipeline
// Tests are left out (a test may import across layers).
//
//   node scripts/check-import-cycles.mjs [dir]      # prints the cycles, exits 1 when there are any
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = fileURLToPath(new URL('..', import.meta.url));

function* sourceFiles(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* sourceFiles(path);
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.endsWith('.d.ts')) yield path;
  }
}

/** Relative import specifiers of one file (imports, re-exports, dynamic imports of a literal). */
function importsOf(file) {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false);
  const found = [];
  const visit = (node) => {
    if (
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      found.push(node.moduleSpecifier.text);
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteral(node.arguments[0])
    ) {
      found.push(node.arguments[0].text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found.filter((specifier) => specifier.startsWith('.'));
}

/** Every elementary cycle reachable by DFS, each reported once (rotated to start at its smallest node). */
function cyclesOf(graph) {
  const cycles = new Map();
  const state = new Map(); // undefined: unvisited, 1: on the stack, 2: done
  const stack = [];
  const visit = (node) => {
    state.set(node, 1);
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 1) {
        const cycle = stack.slice(stack.indexOf(next));
        const start = cycle.indexOf([...cycle].sort()[0]);
        const rotated = [...cycle.slice(start), ...cycle.slice(0, start)];
        cycles.set(rotated.join(' → '), rotated);
      } else if (state.get(next) === undefined) visit(next);
    }
    stack.pop();
    state.set(node, 2);
  };
  for (const node of [...graph.keys()].sort()) if (state.get(node) === undefined) visit(node);
  return [...cycles.values()];
}

/**
 * The import cycles of a source tree, between files and between its top-level folders.
 * @param {string} dir absolute path or path relative to the repository root
 */
export function findImportCycles(dir = 'packages/core/src') {
  const base = resolve(root, dir);
  const files = new Map();
  const folders = new Map();
  const folderOf = (file) => relative(base, file).split(/[\\/]/)[0].replace(/\.ts$/, '');
  for (const file of sourceFiles(base)) {
    const targets = importsOf(file)
      .map((specifier) => resolve(dirname(file), specifier))
      .filter((target) => target.startsWith(base));
    files.set(
      relative(base, file),
      targets.map((target) => relative(base, target)),
    );
    const from = folderOf(file);
    const edges = folders.get(from) ?? new Set();
    for (const target of targets) if (folderOf(target) !== from) edges.add(folderOf(target));
    folders.set(from, edges);
  }
  return { files: cyclesOf(files), folders: cyclesOf(new Map([...folders].map(([k, v]) => [k, [...v]]))) };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dir = process.argv[2] ?? 'packages/core/src';
  const { files, folders } = findImportCycles(dir);
  for (const cycle of files) console.log(`file cycle:   ${[...cycle, cycle[0]].join(' → ')}`);
  for (const cycle of folders) console.log(`folder cycle: ${[...cycle, cycle[0]].join(' → ')}`);
  console.log(`${files.length} file cycle(s), ${folders.length} folder cycle(s) in ${dir}`);
  process.exitCode = files.length + folders.length > 0 ? 1 : 0;
}
