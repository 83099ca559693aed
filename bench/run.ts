// `npm run bench`: every benchmark, printed as tables side by side in one run. Benchmarks measure;
// they never fail a build. Pass names to run a subset: `npm run bench -- gateway storage`.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const suites: Array<{ name: string; file: string; fn: string; title: string }> = [
  {
    name: 'production',
    file: 'production.ts',
    fn: 'runProductionBench',
    title: 'Raw fetch vs the openai SDK vs pixelgate (minimal, production, HTTP server + openai SDK)',
  },
  {
    name: 'storage',
    file: 'storage.ts',
    fn: 'runStorageBench',
    title: 'Storage adapters and the media handler',
  },
  {
    name: 'provenance',
    file: 'provenance.ts',
    fn: 'runProvenanceBench',
    title: 'Provenance stage: XMP marking and C2PA signing per image',
  },
  { name: 'audit', file: 'audit.ts', fn: 'runAuditBench', title: 'Audit file sink throughput' },
  {
    name: 'stores',
    file: 'stores.ts',
    fn: 'runStoresBench',
    title:
      'Shared stores (Redis, PostgreSQL) vs in-process ones, concurrency 16; audit writers into PostgreSQL',
  },
  {
    name: 'import',
    file: 'import.ts',
    fn: 'runImportBench',
    title: 'Import cost of the published entry points (plain node, built dist, fresh process)',
  },
  {
    name: 'http',
    file: 'http.ts',
    fn: 'runHttpBench',
    title: 'OpenAI SDK: fake server directly vs through a pixelgate server',
  },
];

function printTable(rows: Array<Record<string, string | number>>): void {
  if (rows.length === 0) return;
  const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))];
  const widths = columns.map((column) =>
    Math.max(column.length, ...rows.map((row) => String(row[column] ?? '').length)),
  );
  const line = (cells: string[]) => `| ${cells.map((cell, i) => cell.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(line(columns));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const row of rows) console.log(line(columns.map((column) => String(row[column] ?? ''))));
}

const wanted = process.argv.slice(2);
for (const suite of suites) {
  if (wanted.length && !wanted.includes(suite.name)) continue;
  if (!existsSync(`${here}/${suite.file}`)) continue;
  console.log(`\n## ${suite.title}\n`);
  const module = (await import(`./${suite.file}`)) as Record<
    string,
    () => Promise<Array<Record<string, string | number>>>
  >;
  printTable(await module[suite.fn]!());
}
