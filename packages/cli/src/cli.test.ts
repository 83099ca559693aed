import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { sniffImage } from '@pixelgate/core/provider-utils';
import {
  FAKE_OPENAI_API_KEY,
  type FakeOpenAIServer,
  startFakeOpenAIServer,
} from '@pixelgate/provider-openai/testing';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { main } from './cli.ts';
import { memoryIo, tempDir } from './test-support.ts';

let temp: Awaited<ReturnType<typeof tempDir>>;
beforeEach(async () => {
  temp = await tempDir();
});
afterEach(() => temp.remove());

/** Runs the CLI in-process and returns exit code and output. */
async function run(argv: string[], env: Record<string, string | undefined> = {}) {
  const memory = memoryIo(temp.dir, env);
  const code = await main(argv, memory.io);
  return { code, stdout: memory.stdout(), stderr: memory.stderr() };
}

const oneLine = (text: string) => {
  expect(text.endsWith('\n')).toBe(true);
  expect(text.trimEnd().split('\n')).toHaveLength(1);
  expect(text).toMatch(/^pixelgate: /);
  expect(text).not.toMatch(/\n\s+at /);
};

describe('help and usage errors', () => {
  it('prints help for the program and every command, exit 0', async () => {
    const top = await run(['--help']);
    expect(top.code).toBe(0);
    for (const command of ['serve', 'generate', 'models', 'audit', 'demo'])
      expect(top.stdout).toContain(command);
    const expectations: Array<[string[], string[]]> = [
      [
        ['serve', '--help'],
        ['--port', '--host', '--config', 'OPENAI_API_KEY'],
      ],
      [
        ['generate', '--help'],
        ['--model', '--size', '--n', '--quality', '--seed', '--out', '--format'],
      ],
      [
        ['models', '--help'],
        ['--json', '--provider'],
      ],
      [['audit', 'verify', '--help'], ['--public-key']],
      [
        ['audit', 'export', '--help'],
        ['--from', '--to', '--out'],
      ],
      [['demo', '--help'], ['[prompt]']],
    ];
    for (const [argv, words] of expectations) {
      const result = await run(argv);
      expect(result.code, argv.join(' ')).toBe(0);
      for (const word of words) expect(result.stdout, argv.join(' ')).toContain(word);
    }
  });

  it.each([
    [['generate', 'a cat', '--bogus'], /unknown option '--bogus'/],
    [['generate'], /missing required argument 'prompt'/],
    [['generate', 'a cat', '--n', '0'], /--n must be between 1 and 10/],
    [['generate', 'a cat', '--n', 'two'], /--n must be a whole number/],
    [['generate', 'a cat', '--seed', '-1'], /--seed must be between 0/],
    [['generate', 'a cat', '--format', 'gif'], /Allowed choices are png, jpeg, webp/],
    [['serve', '--port', '70000'], /--port must be between 0 and 65535/],
    [['audit', 'export', 'dir', '--from', '2026-01-01'], /required option '--to <time>' not specified/],
    [['frobnicate'], /unknown command 'frobnicate'/],
  ])('%j is one clear line on stderr and exit 2', async (argv, message) => {
    const result = await run(argv);
    expect(result.code).toBe(2);
    oneLine(result.stderr);
    expect(result.stderr).toMatch(message);
  });

  it.each([
    ['{"capabilityPolicy": "loose"', /config file bad\.json is not valid JSON/],
    ['{"providers": {"opnai": {}}}', /invalid config file bad\.json: providers: .*opnai/],
    ['{"capabilityPolicy": "loose"}', /invalid config file bad\.json: capabilityPolicy: /],
    [
      '{"auth": {"keys": [{"id": "k", "key": "short", "tenantId": "t"}]}}',
      /auth\.keys\.0\.key: .*16 characters/,
    ],
    ['{"providers": {"openai": {"baseURL": "not a url"}}}', /providers\.openai\.baseURL/],
    ['[]', /invalid config file bad\.json: \(root\)/],
  ])('a bad config file (%s) is one line naming the file and field, exit 2', async (content, message) => {
    await writeFile(join(temp.dir, 'bad.json'), content);
    for (const argv of [
      ['models', '-c', 'bad.json'],
      ['generate', 'x', '--config', 'bad.json'],
      ['serve', '-c', 'bad.json'],
    ]) {
      const result = await run(argv);
      expect(result.code, argv.join(' ')).toBe(2);
      oneLine(result.stderr);
      expect(result.stderr).toMatch(message);
    }
  });

  it('refuses a PORT from the environment that is not a port number', async () => {
    const result = await run(['serve'], { PORT: 'eighty' });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('pixelgate: PORT must be a port number 0-65535, got "eighty"\n');
  });

  it('reports a missing config file, also when named by PIXELGATE_CONFIG', async () => {
    const flag = await run(['models', '-c', 'missing.json']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toBe('pixelgate: cannot read config file missing.json: no such file\n');
    const env = await run(['models'], { PIXELGATE_CONFIG: 'gone.json' });
    expect(env.code).toBe(2);
    expect(env.stderr).toContain('gone.json');
  });
});

describe('generate', () => {
  it('saves the images under their hash and prints path, size and sha256', async () => {
    const result = await run([
      'generate',
      'a lighthouse at dusk',
      '--size',
      '256x256',
      '-n',
      '2',
      '--seed',
      '5',
      '--out',
      'shots',
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('model    local/placeholder');
    const printed = [...result.stdout.matchAll(/sha256 ([0-9a-f]{64})/g)].map((match) => match[1]);
    expect(printed).toHaveLength(2);
    const files = (await readdir(join(temp.dir, 'shots'))).sort();
    expect(files).toHaveLength(2);
    for (const file of files) {
      const bytes = await readFile(join(temp.dir, 'shots', file));
      const sha = createHash('sha256').update(bytes).digest('hex');
      expect(printed).toContain(sha);
      expect(file).toBe(`${sha.slice(0, 16)}.png`);
      expect(result.stdout).toContain(join('shots', file));
      expect(sniffImage(bytes)).toMatchObject({ mediaType: 'image/png', width: 256, height: 256 });
    }
    expect(result.stderr).toBe('');
    // The images live in --out only: no data folder is created for a one-off generation.
    expect(await readdir(temp.dir)).toEqual(['shots']);
  });

  it('honours --format and --quality, and prints a coercion warning on stderr', async () => {
    const result = await run(['generate', 'x', '--size', '512x512', '--format', 'jpeg', '--quality', 'high']);
    expect(result.code).toBe(0);
    const [file] = await readdir(join(temp.dir, 'pixelgate-output'));
    expect(file).toMatch(/\.jpe?g$/);
    expect(sniffImage(await readFile(join(temp.dir, 'pixelgate-output', file!)))?.mediaType).toBe(
      'image/jpeg',
    );
    // A size the model does not make is refused under the default strict policy (issue 20) and
    // mapped, with a warning, under coerce.
    const refused = await run(['generate', 'x', '--size', '640x640']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/^pixelgate: VALIDATION_ERROR \(size\): .*1024x1024/);
    await writeFile(join(temp.dir, 'coerce.json'), '{"capabilityPolicy": "coerce"}');
    const mapped = await run(['generate', 'x', '--size', '640x640', '--config', 'coerce.json']);
    expect(mapped.code).toBe(0);
    expect(mapped.stderr).toMatch(/^warning: .*1024x1024/m);
  });

  it('refuses what the model does not support with the gateway’s code and field, exit 2', async () => {
    const size = await run(['generate', 'x', '--size', '100x300']);
    expect(size.code).toBe(2);
    oneLine(size.stderr);
    expect(size.stderr).toMatch(/^pixelgate: VALIDATION_ERROR \(size\): .*256x256/);
    const model = await run(['generate', 'x', '--model', 'nope/nothing']);
    expect(model.code).toBe(2);
    expect(model.stderr).toMatch(/^pixelgate: MODEL_NOT_FOUND/);
    // The CLI user lists models with the CLI, not with an HTTP route they may not be serving.
    expect(model.stderr).toContain('`pixelgate models`');
    expect(model.stderr).not.toContain('/v1/models');
    const quality = await run(['generate', 'x', '--model', 'local/placeholder-single', '--quality', 'high']);
    expect(quality.code).toBe(2);
    expect(quality.stderr).toMatch(/\(quality\)/);
  });

  it('treats an enabled provider without its key as a configuration mistake: one line, exit 2', async () => {
    await writeFile(join(temp.dir, 'nokey.json'), JSON.stringify({ providers: { stability: {} } }));
    const generate = await run(['generate', 'x', '-c', 'nokey.json']);
    expect(generate.code).toBe(2);
    oneLine(generate.stderr);
    expect(generate.stderr).toMatch(/^pixelgate: CONFIGURATION_ERROR: .*STABILITY_API_KEY/);
    const serve = await run(['serve', '--port', '0', '-c', 'nokey.json']);
    expect(serve.code).toBe(2);
    oneLine(serve.stderr.replace(/^pixelgate: no API keys.*\n/, ''));
    expect(serve.stderr).toMatch(/CONFIGURATION_ERROR \(providers\.stability\.apiKey\): .*STABILITY_API_KEY/);
  });

  describe('against a provider that fails', () => {
    let fake: FakeOpenAIServer;
    beforeAll(async () => {
      fake = await startFakeOpenAIServer();
    });
    afterAll(() => fake.close());

    it('exits 1 with the error code and reason, never the key', async () => {
      const wrongKey = 'sk-test-wrong-key-0123456789abcdef';
      await writeFile(
        join(temp.dir, 'openai.json'),
        JSON.stringify({
          providers: { openai: { apiKey: wrongKey, baseURL: fake.baseURL } },
          dispatch: { retry: { maxRetries: 0 } },
        }),
      );
      const result = await run(['generate', 'x', '-c', 'openai.json', '--size', '1024x1024']);
      expect(result.code).toBe(1);
      oneLine(result.stderr);
      expect(result.stderr).toMatch(/^pixelgate: BACKEND_ERROR \[upstream_auth\]/);
      expect(result.stderr).not.toContain(wrongKey);
      expect(result.stdout).toBe('');
      expect(fake.requests.length).toBeGreaterThan(0);
    });

    it('generates through the configured provider when it works (the OpenAI default model)', async () => {
      await writeFile(
        join(temp.dir, 'openai.json'),
        JSON.stringify({ providers: { openai: { apiKey: FAKE_OPENAI_API_KEY, baseURL: fake.baseURL } } }),
      );
      const result = await run([
        'generate',
        'x',
        '-c',
        'openai.json',
        '--size',
        '1024x1024',
        '--quality',
        'low',
      ]);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('model    openai/gpt-image-1.5');
      expect(result.stdout).toMatch(/cost {5}\$0\.\d+ \((tokens|per_image)\)/);
    });
  });
});

describe('models', () => {
  it('prints a table of the enabled providers’ models with their capabilities and prices', async () => {
    const result = await run(['models']);
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^MODEL\s+PROVIDER\s+STATUS\s+SIZES \/ RATIOS\s+N\/CALL\s+QUALITIES\s+PRICE$/);
    expect(lines[1]).toMatch(/^-+( +-+){6}$/);
    expect(lines.find((line) => line.startsWith('local/placeholder '))).toMatch(
      /local\s+active\s+256x256 .*\s10\s+low medium high\s+\$0\/image$/,
    );
    expect(lines.find((line) => line.startsWith('local/placeholder-single'))).toMatch(
      /\s1\s+-\s+\$0\/image$/,
    );
    expect(result.stdout).not.toContain('openai/');
  });

  it('adds providers whose keys are in the environment, and --provider filters', async () => {
    const result = await run(['models', '--provider', 'openai'], { OPENAI_API_KEY: 'sk-env-0123456789' });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('openai/gpt-image-1.5');
    expect(result.stdout).not.toContain('local/');
    const none = await run(['models', '--provider', 'openai']);
    expect(none.code).toBe(2);
    expect(none.stderr).toBe('pixelgate: no models from provider openai\n');
  });

  it('lists BFL, fal and Bedrock models from BFL_API_KEY, FAL_KEY and the AWS chain', async () => {
    const result = await run(['models'], {
      BFL_API_KEY: 'bfl-env-0123456789',
      FAL_KEY: 'fal-env-0123456789',
      AWS_ACCESS_KEY_ID: 'AKIAENVEXAMPLE000000',
      AWS_REGION: 'us-west-2',
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('bfl/flux-pro-1.1 ');
    expect(result.stdout).toContain('fal/fal-ai/flux/dev ');
    // us-west-2 serves the Stability models on Bedrock, not Nova Canvas (per the catalog's region data).
    expect(result.stdout).toContain('bedrock/stability.sd3-5-large-v1:0 ');
    expect(result.stdout).not.toContain('bedrock/amazon.nova-canvas-v1:0');
    expect(result.stdout).not.toMatch(/bfl-env|fal-env/);
  });

  it('follows the config’s provider list and prints JSON descriptors with --json', async () => {
    await writeFile(
      join(temp.dir, 'c.json'),
      JSON.stringify({ providers: { local: false, stability: { apiKey: 'sk-stability-0123456789' } } }),
    );
    const result = await run(['models', '--json', '-c', 'c.json']);
    expect(result.code).toBe(0);
    const models = JSON.parse(result.stdout) as Array<{
      provider: string;
      capabilities: { maxImagesPerCall: number };
    }>;
    expect(models.length).toBeGreaterThan(0);
    expect(new Set(models.map((model) => model.provider))).toEqual(new Set(['stability']));
    expect(JSON.stringify(models)).not.toContain('sk-stability-0123456789');
  });
});

describe('serve and audit', () => {
  /** Starts `pixelgate serve` in-process on a free port; returns its URL and a stop that resolves with the exit code. */
  async function serve(argv: string[] = [], env: Record<string, string | undefined> = {}) {
    const memory = memoryIo(temp.dir, env);
    const controller = new AbortController();
    const exit = main(['serve', '--port', '0', ...argv], memory.io, { shutdown: () => controller.signal });
    const match = await Promise.race([
      memory.waitForStdout(/listening on (http:\/\/[^\s"]+)/),
      exit.then((code) => {
        throw new Error(`serve exited ${code}: ${memory.stderr()}`);
      }),
    ]);
    return {
      url: match[1]!,
      memory,
      async stop() {
        controller.abort();
        return exit;
      },
    };
  }

  it('serves the HTTP API, stops cleanly, and leaves an audit log that verifies and exports', async () => {
    const server = await serve();
    expect(server.memory.stdout()).toContain('requests are not authenticated');
    expect(server.memory.stdout()).toContain(`"baseURL":"${server.url}/v1"`);
    const generated = await fetch(`${server.url}/v1/images/generations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'a lighthouse', size: '256x256', response_format: 'url' }),
    });
    expect(generated.status).toBe(200);
    const { data } = (await generated.json()) as { data: Array<{ url: string }> };
    const image = await fetch(new URL(data[0]!.url, server.url));
    expect(sniffImage(new Uint8Array(await image.arrayBuffer()))?.width).toBe(256);
    const refused = await fetch(`${server.url}/v1/images/generations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'x', size: '100x300' }),
    });
    expect(refused.status).toBe(400);
    // The log of a running server verifies without --allow-unsigned-tail, saying what is not signed yet.
    const running = await run(['audit', 'verify', join('pixelgate-data', 'audit')]);
    expect(running.code).toBe(0);
    expect(running.stdout).toMatch(/^ok: 2 records, 1 signed checkpoints/);
    expect(running.stdout).toMatch(
      /^log opened by a checkpoint signed at \S+Z; 2 later record\(s\) chained but not yet checkpointed$/m,
    );
    expect(await server.stop()).toBe(0);
    expect(server.memory.stdout()).toContain('"msg":"pixelgate stopped"');
    await expect(fetch(`${server.url}/v1/models`)).rejects.toThrow();

    const auditDir = join('pixelgate-data', 'audit');
    const verified = await run(['audit', 'verify', auditDir]);
    expect(verified.code).toBe(0);
    expect(verified.stdout).toMatch(/^ok: 2 records, \d+ signed checkpoints/);
    expect(verified.stdout).toMatch(/^verified through record 2, signed at \d{4}-\d\d-\d\dT[\d:.]+Z$/m);

    const exported = await run([
      'audit',
      'export',
      auditDir,
      '--from',
      '2000-01-01',
      '--to',
      '2100-01-01',
      '--out',
      'evidence',
    ]);
    expect(exported.code).toBe(0);
    expect(exported.stdout).toContain('2 records');
    expect(await readdir(join(temp.dir, 'evidence'))).toEqual(
      expect.arrayContaining(['records.jsonl', 'chain.jsonl', 'manifest.json', 'report.html']),
    );
    expect(exported.stdout).toContain('(manifest signed)');
    // The bundle is verified as a bundle, offline, not as an (empty) log.
    const bundle = await run([
      'audit',
      'verify',
      'evidence',
      '--public-key',
      join(auditDir, 'audit-public-key.pem'),
    ]);
    expect(bundle.code).toBe(0);
    expect(bundle.stdout).toMatch(
      /^ok: evidence bundle for .*: 2 records of the period, 6 files match the manifest \(signed\)/,
    );
    const records = join(temp.dir, 'evidence', 'records.jsonl');
    await writeFile(
      records,
      (await readFile(records, 'utf8')).replace('"outcome":"success"', '"outcome":"failed"'),
    );
    const forged = await run(['audit', 'verify', 'evidence']);
    expect(forged.code).toBe(1);
    expect(forged.stdout).toMatch(/^FAILED: evidence bundle .*records.jsonl does not match its SHA-256/);
    const again = await run([
      'audit',
      'export',
      auditDir,
      '--from',
      '2000-01-01',
      '--to',
      '2100-01-01',
      '--out',
      'evidence',
    ]);
    expect(again.code).toBe(2);
    oneLine(again.stderr);
    const badPeriod = await run([
      'audit',
      'export',
      auditDir,
      '--from',
      'yesterday',
      '--to',
      '2100-01-01',
      '--out',
      'other',
    ]);
    expect(badPeriod.code).toBe(2);
    expect(badPeriod.stderr).toMatch(/^pixelgate: --from: /);

    // Tampering with one record is caught, and the first broken place is named.
    const [logFile] = (await readdir(join(temp.dir, auditDir))).filter((name) => name.endsWith('.jsonl'));
    const path = join(temp.dir, auditDir, logFile!);
    const content = await readFile(path, 'utf8');
    await writeFile(path, content.replace('"outcome":"success"', '"outcome":"failure"'));
    const tampered = await run(['audit', 'verify', auditDir]);
    expect(tampered.code).toBe(1);
    expect(tampered.stdout).toMatch(/first break: .*:2 \(seq 1\)/); // line 1 is the opening checkpoint
  });

  it('serves concurrent requests, each with its own request id and audit record', async () => {
    const server = await serve();
    const responses = await Promise.all(
      Array.from({ length: 8 }, (_, index) =>
        fetch(`${server.url}/v1/images/generations`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ prompt: `kite ${index}`, size: '256x256', seed: index }),
        }),
      ),
    );
    expect(responses.map((response) => response.status)).toEqual(Array(8).fill(200));
    const ids = new Set(responses.map((response) => response.headers.get('x-request-id')));
    expect(ids.size).toBe(8);
    expect(await server.stop()).toBe(0);
    const verified = await run(['audit', 'verify', join('pixelgate-data', 'audit')]);
    expect(verified.code).toBe(0);
    expect(verified.stdout).toMatch(/^ok: 8 records/);
  });

  it('requires the configured API keys', async () => {
    const key = 'pg-cli-test-key-0123456789';
    await writeFile(
      join(temp.dir, 'keys.json'),
      JSON.stringify({ auth: { keys: [{ id: 'k1', key, tenantId: 'acme' }] }, auditLog: { enabled: false } }),
    );
    const server = await serve(['-c', 'keys.json']);
    try {
      expect((await fetch(`${server.url}/v1/models`)).status).toBe(401);
      const ok = await fetch(`${server.url}/v1/models`, { headers: { authorization: `Bearer ${key}` } });
      expect(ok.status).toBe(200);
      expect(server.memory.stdout()).not.toContain('not authenticated');
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  it('reports a port in use as one line, exit 1', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as { port: number };
    try {
      const result = await run(['serve', '--port', String(port)]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`pixelgate: cannot listen on 127.0.0.1:${port}: the port is in use\n`);
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });

  it('fails an empty log folder and a folder without a log, even with --public-key: zero records is not ok', async () => {
    const { generateAuditSigningKey } = await import('@pixelgate/core/audit');
    await writeFile(join(temp.dir, 'key.pem'), generateAuditSigningKey().publicKeyPem);
    await mkdir(join(temp.dir, 'empty'));
    const empty = await run(['audit', 'verify', 'empty', '--public-key', 'key.pem']);
    expect(empty.code).toBe(1);
    expect(empty.stdout).toMatch(/^FAILED after 0 records/);
    expect(empty.stdout).toContain('no audit log files');
    const missing = await run(['audit', 'verify', 'nowhere', '--public-key', 'key.pem']);
    expect(missing.code).toBe(2);
    expect(missing.stdout).toBe('');
  });

  it('refuses audit commands on a missing log or key with one line, exit 2', async () => {
    const missing = await run(['audit', 'verify', 'nowhere']);
    expect(missing.code).toBe(2);
    oneLine(missing.stderr);
    const key = await run(['audit', 'verify', '.', '--public-key', 'none.pem']);
    expect(key.code).toBe(2);
    expect(key.stderr).toContain('cannot read public key');
  });
});
