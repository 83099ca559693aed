import { startStack } from './stack.ts';

const port = Number(process.env.PORT ?? 3000);
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  console.error(`PORT must be an integer from 0 to 65535; got "${process.env.PORT}".`);
  process.exit(2);
}

const stack = await startStack({
  host: process.env.HOST ?? '127.0.0.1',
  port,
  ...(process.env.PIXELGATE_DATA_DIR ? { dataDir: process.env.PIXELGATE_DATA_DIR } : {}),
});

console.log(`pixelgate full stack on ${stack.url}`);
console.log(`  OpenAI SDK baseURL     ${stack.url}/v1 (media-proxy URLs)`);
console.log(`                         ${stack.url}/direct/v1 (presigned S3 URLs)`);
console.log(`  API key (acme)         ${stack.apiKey}`);
console.log(`  other tenant (globex)  ${stack.keys.otherTenant}`);
console.log(`  trial ($0.10/day)      ${stack.keys.trial}`);
console.log(`  intern (2 req/min)     ${stack.keys.intern}`);
console.log(`  audit log              ${stack.audit.dir}`);
console.log(`  S3 (s3rver)            ${stack.s3.endpoint}/${stack.s3.bucket}`);
console.log(
  process.env.PIXELGATE_DATA_DIR
    ? `  data kept in ${stack.dataDir}`
    : '  data is in a temp folder removed on stop (set PIXELGATE_DATA_DIR to keep it)',
);

// `on`, not `once`: npm and tsx relay the signal too, and a second SIGTERM must not cut the cleanup short.
let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    stack.close().then(
      () => {
        console.log('pixelgate full stack stopped');
        process.exit(0);
      },
      (error: unknown) => {
        console.error('The stack did not stop cleanly:', error);
        process.exit(1);
      },
    );
  });
}
