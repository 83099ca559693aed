// One audit writer process for the stores benchmark: appends sample records to a PostgreSQL audit
// log with `concurrency` writes in flight for `ms` milliseconds, then prints what it wrote.
import { createPostgresAuditSink } from '../packages/store-postgres/src/index.ts';
import { sampleRecord } from './stores-sample.ts';

const [url, schema, keyPem, ms, concurrency, id] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
  string,
];
const sink = createPostgresAuditSink({ url, schema, signingKey: Buffer.from(keyPem, 'base64').toString() });
let written = 0;
const started = performance.now();
const deadline = started + Number(ms);
await Promise.all(
  Array.from({ length: Number(concurrency) }, async () => {
    while (performance.now() < deadline) {
      const index = written++;
      await sink.write(sampleRecord(`w${id}-${index}`));
    }
  }),
);
const seconds = (performance.now() - started) / 1000;
await sink.close();
process.stdout.write(`${JSON.stringify({ records: written, seconds })}\n`);
