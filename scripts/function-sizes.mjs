// Lists production functions longer than N lines across packages/ (and examples/ with --all), longest
// first, using the TypeScript compiler's parser so that nested functions, methods, arrow functions
// and class bodies are each measured on their own. Tests (`*.test.ts`) and build output are skipped.
//
//   node scripts/function-sizes.mjs                 # functions over 150 lines in packages/
//   node scripts/function-sizes.mjs 80 packages/core/src/pipeline
//   node scripts/function-sizes.mjs 100 --json      # machine-readable
//
// A function's size is the number of lines from its first to its last line, nested functions
// included (so a factory that returns a big closure counts the closure too: that is the point).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const json = args.includes('--json');
const positional = args.filter((arg) => !arg.startsWith('--'));
const threshold =
  positional[0] !== undefined && /^\d+$/.test(positional[0]) ? Number(positional.shift()) : 150;
const roots = positional.length > 0 ? positional : ['packages'];

const SKIP_DIRS = new Set(['node_modules', 'dist', '.turbo', 'coverage', '.next']);

/** Every production TypeScript file under a directory. */
function* sourceFiles(dir) {
  for (const name of readdirSync(dir)) {
    if (SKIP_DIRS.has(name)) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* sourceFiles(path);
    else if (/\.(m|c)?tsx?$/.test(name) && !/\.test\.tsx?$/.test(name) && !name.endsWith('.d.ts')) yield path;
  }
}

/** A readable name for a function-like node (`Class.method`, `createX`, `<arrow in foo>`). */
function nameOf(node) {
  if (node.name && ts.isIdentifier(node.name)) {
    const owner =
      node.parent && ts.isClassLike(node.parent) && node.parent.name ? `${node.parent.name.text}.` : '';
    return owner + node.name.text;
  }
  if (node.name && ts.isPrivateIdentifier(node.name)) {
    const owner = node.parent && ts.isClassLike(node.parent) && node.parent.name ? node.parent.name.text : '';
    return `${owner}${node.name.text}`;
  }
  if (ts.isConstructorDeclaration(node)) return `${node.parent.name?.text ?? '<class>'}.constructor`;
  const parent = node.parent;
  if (parent && ts.isVariableDeclaration(parent) && ts.isIdentifier(parent.name)) return parent.name.text;
  if (parent && ts.isPropertyAssignment(parent) && ts.isIdentifier(parent.name)) return parent.name.text;
  return '<anonymous>';
}

const found = [];
for (const base of roots) {
  for (const file of sourceFiles(join(root, base))) {
    const text = readFileSync(file, 'utf8');
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
    const visit = (node) => {
      if (ts.isFunctionLike(node) && 'body' in node && node.body) {
        const start = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
        const end = source.getLineAndCharacterOfPosition(node.end).line;
        const lines = end - start + 1;
        if (lines > threshold)
          found.push({ file: relative(root, file), line: start + 1, name: nameOf(node), lines });
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
}
found.sort((a, b) => b.lines - a.lines);
if (json) console.log(JSON.stringify(found, null, 2));
else {
  for (const f of found) console.log(`${String(f.lines).padStart(5)}  ${f.name}  ${f.file}:${f.line}`);
  console.log(`${found.length} production function(s) over ${threshold} lines in ${roots.join(', ')}`);
}
