import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  installApp,
  installedSize,
  packAll,
  publishablePackages,
  REPO_ROOT,
  type Tarball,
} from './consumer-app.ts';
import { nodeBinary } from './node-binaries.ts';
import { run, type Started, start, waitForOutput } from './process.ts';

/**
 * The package-consumer test: what a user gets from `npm install`. Every publishable package is
 * packed (prepack builds dist), the tarballs are installed into a fresh app outside the
 * workspace, and there, in plain Node without tsx or the source condition, on Node 20, 22 and 24:
 * the getting-started sample runs, `pixelgate --help` answers, and `pixelgate serve` serves one
 * request made with the official `openai` SDK, logging it as one JSON line.
 */

const NODE_MAJORS = [20, 22, 24];
/**
 * Installed bytes of @pixelgate/core with its run-time dependencies we accept. Measured 8.4 MiB
 * (zod is most of it); the budget leaves room for growth, not for a new heavy dependency.
 */
const CORE_INSTALL_BUDGET_BYTES = 10 * 1024 * 1024;

let work: string;
let app: string;
let tarballs: Tarball[] = [];
const binaries = new Map<number, string>();
const servers: Started[] = [];

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'pixelgate-pack-'));
  app = join(work, 'app');
  const packages = publishablePackages();
  const started = performance.now();
  const seconds = () => `${((performance.now() - started) / 1000).toFixed(1)} s`;
  const nodes = Promise.all(NODE_MAJORS.map(async (major) => binaries.set(major, await nodeBinary(major))));
  tarballs = await packAll(packages, join(work, 'tarballs'));
  console.log(`packed ${tarballs.length} packages after ${seconds()}`);
  await installApp(app, tarballs, packages);
  console.log(`installed the tarballs after ${seconds()}`);
  await nodes;
  console.log(`Node ${NODE_MAJORS.join(', ')} ready after ${seconds()}`);
}, 900_000);

afterAll(async () => {
  for (const server of servers) if (server.child.exitCode === null) server.child.kill('SIGKILL');
  if (work) await rm(work, { recursive: true, force: true });
});

/** The first TypeScript sample of docs/getting-started.md: plain JavaScript on purpose, so it runs as is. */
function gettingStartedSample(): string {
  const guide = readFileSync(join(REPO_ROOT, 'docs', 'getting-started.md'), 'utf8');
  const sample = /```ts\n([\s\S]*?)```/.exec(guide)?.[1];
  if (!sample) throw new Error('docs/getting-started.md has no ts sample');
  return sample;
}

/** The environment of a command run with one Node version: its binary first on PATH, nothing else inherited but HOME. */
function envFor(major: number): NodeJS.ProcessEnv {
  const binary = binaries.get(major) as string;
  return { PATH: `${dirname(binary)}:${process.env.PATH}`, HOME: process.env.HOME };
}

/** The JSON log lines of a server's stdout; any line that is not JSON fails the test. */
function logLines(stdout: string): Array<Record<string, unknown>> {
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

it('packs the built dist with its types, and no tests', () => {
  expect(tarballs.map((tarball) => tarball.name).sort()).toEqual(
    publishablePackages()
      .map((pkg) => pkg.name)
      .sort(),
  );
  for (const tarball of tarballs) {
    expect(tarball.files, tarball.name).toEqual(
      expect.arrayContaining(['package.json', 'dist/index.js', 'dist/index.d.ts']),
    );
    expect(
      tarball.files.filter((file) => /\.test(-helpers)?\.(ts|js)$/.test(file)),
      tarball.name,
    ).toEqual([]);
  }
  const cli = tarballs.find((tarball) => tarball.name === '@pixelgate/cli');
  expect(cli?.files).toEqual(expect.arrayContaining(['bin/pixelgate.js', 'dist/bin.js']));
});

it('type-checks the getting-started sample against the installed types', async () => {
  await writeFile(join(app, 'getting-started.ts'), gettingStartedSample());
  await writeFile(
    join(app, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2023',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        types: [],
      },
      files: ['getting-started.ts'],
    }),
  );
  const tsc = join(app, 'node_modules', 'typescript', 'bin', 'tsc');
  const result = await start(process.execPath, [tsc, '-p', 'tsconfig.json'], {
    cwd: app,
    killAfterMs: 120_000,
  }).done;
  expect(result.stdout + result.stderr).toBe('');
  expect(result.code).toBe(0);
});

it('keeps the installed size of @pixelgate/core with its dependencies within budget', async () => {
  const { bytes, packages } = await installedSize(app, '@pixelgate/core');
  console.log(
    `installed size of @pixelgate/core: ${(bytes / 1024 / 1024).toFixed(2)} MiB (${packages.join(', ')})`,
  );
  expect(packages).toContain('@pixelgate/core');
  expect(bytes).toBeLessThanOrEqual(CORE_INSTALL_BUDGET_BYTES);
});

it('keeps native modules out of the cloud provider plugins (sharp comes only with provider-local)', async () => {
  for (const name of [
    '@pixelgate/provider-openai',
    '@pixelgate/provider-stability',
    '@pixelgate/provider-imagen',
  ]) {
    const { packages } = await installedSize(app, name);
    expect(packages).toContain(name);
    expect(packages.filter((dependency) => dependency === 'sharp' || dependency.startsWith('@img/'))).toEqual(
      [],
    );
  }
  expect((await installedSize(app, '@pixelgate/provider-local')).packages).toContain('sharp');
});

describe.each(NODE_MAJORS)('installed packages on Node %i', (major) => {
  it('run on the Node version under test', async () => {
    const { stdout } = await run(binaries.get(major) as string, ['--version'], { cwd: app });
    expect(stdout).toMatch(new RegExp(`^v${major}\\.`));
  });

  it('run the getting-started sample', async () => {
    await writeFile(join(app, 'getting-started.mjs'), gettingStartedSample());
    const { stdout } = await run('node', ['getting-started.mjs'], {
      cwd: app,
      env: envFor(major),
      killAfterMs: 60_000,
    });
    // Two images: their sha256, width and height.
    expect(stdout.match(/^[0-9a-f]{64} 1536 1024$/gm)).toHaveLength(2);
  });

  it('give a working `pixelgate --help`', async () => {
    const bin = join(app, 'node_modules', '.bin', 'pixelgate');
    const { stdout } = await run(bin, ['--help'], { cwd: app, env: envFor(major), killAfterMs: 60_000 });
    expect(stdout).toContain('Usage: pixelgate');
    expect(stdout).toContain('serve');
  });

  it('serve a request from the official openai SDK, log it as JSON and stop cleanly', async () => {
    const bin = join(app, 'node_modules', '.bin', 'pixelgate');
    const server = start(bin, ['serve', '--port', '0'], {
      cwd: app,
      env: envFor(major),
      killAfterMs: 120_000,
    });
    servers.push(server);
    const url = (await waitForOutput(server, /listening on (http:\/\/[^\s"]+)/))[1] as string;
    await writeFile(
      join(app, 'client.mjs'),
      [
        "import OpenAI from 'openai';",
        "const client = new OpenAI({ baseURL: process.argv[2], apiKey: 'not-checked' });",
        "const reply = await client.images.generate({ model: 'local/placeholder', prompt: 'a secret lighthouse', size: '256x256' });",
        'console.log(JSON.stringify({ images: reply.data.length, bytes: Buffer.from(reply.data[0].b64_json, "base64").length }));',
      ].join('\n'),
    );
    const client = await run('node', ['client.mjs', `${url}/v1`], {
      cwd: app,
      env: envFor(major),
      killAfterMs: 60_000,
    });
    const reply = JSON.parse(client.stdout) as { images: number; bytes: number };
    expect(reply.images).toBe(1);
    expect(reply.bytes).toBeGreaterThan(100);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    const metrics = await fetch(`${url}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(/^pixelgate_requests_total\{.*outcome="success".*\} 1$/m);
    server.child.kill('SIGTERM');
    const result = await server.done;
    expect(result.code).toBe(0);
    const lines = logLines(result.stdout);
    const request = lines.find((line) => line.route === '/v1/images/generations');
    expect(request).toMatchObject({ status: 200, model: 'local/placeholder', images: 1, tenant: 'local' });
    expect(request?.requestId).toEqual(expect.any(String));
    expect(lines.at(-1)?.msg).toBe('pixelgate stopped');
    expect(result.stdout).not.toContain('secret lighthouse');
  });
});
