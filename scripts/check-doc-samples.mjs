#!/usr/bin/env node
// Type-checks every ```ts code sample in README.md and docs/*.md, so the guides cannot drift from
// the code: each sample becomes a module under .doc-samples/ compiled with the workspace settings.
// A sample that is deliberately partial can opt out with ```ts no-check; a guide whose samples a
// test runs verbatim says so with `<!-- samples exercised by <test file> -->` and is skipped here.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const out = join(root, '.doc-samples');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const files = [
  'README.md',
  ...readdirSync(join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];
let count = 0;
for (const file of files) {
  const text = readFileSync(join(root, file), 'utf8');
  const exercisedBy = /<!-- samples exercised by (\S+) -->/.exec(text)?.[1];
  if (exercisedBy) {
    if (!existsSync(join(root, exercisedBy))) {
      console.error(`${file}: its samples are said to be exercised by ${exercisedBy}, which does not exist`);
      process.exit(1);
    }
    continue;
  }
  const pattern = /```ts( no-check)?\n([\s\S]*?)```/g;
  let index = 0;
  for (const match of text.matchAll(pattern)) {
    index++;
    if (match[1]) continue;
    const name = `${file.replace(/[/.]/g, '_')}_${index}.ts`;
    // Each sample is its own module (top-level await allowed).
    writeFileSync(join(out, name), `${match[2]}\nexport {};\n`);
    count++;
  }
}
writeFileSync(
  join(out, 'tsconfig.json'),
  JSON.stringify({
    extends: '../tsconfig.base.json',
    compilerOptions: { noEmit: true, noUnusedLocals: false },
    include: ['*.ts'],
  }),
);
const result = spawnSync('npx', ['tsc', '-p', join(out, 'tsconfig.json')], { cwd: root, stdio: 'inherit' });
console.log(`doc samples: ${count} type-checked from ${files.length} files`);
process.exit(result.status ?? 1);
