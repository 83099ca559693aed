// A child process that plays a provider's HTTP API for benchmarks: it answers every POST with an
// OpenAI-shaped JSON body holding `n` copies of one pre-encoded image, so the client side does what
// it would against a real provider (HTTP, JSON parse, base64 decode) while this process's CPU stays
// out of the client's measurement. Prints its port on stdout; exits when stdin closes.
import { createServer } from 'node:http';
import { renderImage } from '@pixelgate/provider-local';

const width = Number(process.argv[2] ?? 1024);
const noise = Number(process.argv[3] ?? 0);
const bytes = await renderImage({ width, height: width, noise, prompt: 'bench', seed: 1 });
const b64 = Buffer.from(bytes).toString('base64');
const bodies = new Map<number, Buffer>();
const bodyFor = (n: number): Buffer => {
  let body = bodies.get(n);
  if (!body) {
    body = Buffer.from(
      JSON.stringify({ created: 1, data: Array.from({ length: n }, () => ({ b64_json: b64 })) }),
    );
    bodies.set(n, body);
  }
  return body;
};
const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const { n = 1 } = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { n?: number };
    const body = bodyFor(n);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
    res.end(body);
  });
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(
    `${JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0, imageBytes: bytes.length })}\n`,
  );
});
process.stdin.on('end', () => server.close(() => process.exit(0)));
process.stdin.resume();
