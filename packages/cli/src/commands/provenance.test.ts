import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createProvenanceStamper } from '@pixelgate/provenance';
import { renderImage } from '@pixelgate/provider-local';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../cli.ts';
import { EXIT, UsageError } from '../io.ts';
import { memoryIo, tempDir } from '../test-support.ts';
import { runDemo } from './demo.ts';
import { runProvenanceInit, runProvenanceVerify } from './provenance.ts';

let temp: Awaited<ReturnType<typeof tempDir>>;
beforeEach(async () => {
  temp = await tempDir();
});
afterEach(async () => {
  await temp.remove();
});

describe('pixelgate provenance', () => {
  it('init writes development credentials whose signed images verify Trusted with --trust', async () => {
    const init = memoryIo(temp.dir);
    expect(await runProvenanceInit({ dir: 'keys' }, init.io)).toBe(EXIT.ok);
    expect(init.stdout()).toMatch(/signer fingerprint: sha256:[0-9a-f]{64}/);
    expect(init.stderr()).toMatch(/DEVELOPMENT credentials/);
    const read = (name: string) => readFile(join(temp.dir, 'keys', name), 'utf8');
    const stamper = await createProvenanceStamper({
      signer: {
        certificateChainPem: await read('dev-signer-chain.pem'),
        privateKeyPem: await read('dev-signer-key.pem'),
      },
    });
    const image = await renderImage({ width: 64, height: 64, format: 'png', prompt: 'x' });
    const stamped = await stamper.stamp(image, {
      requestId: 'req-cli',
      tenantId: 't',
      provider: 'local',
      model: 'local/placeholder',
    });
    await writeFile(join(temp.dir, 'signed.png'), stamped.bytes);

    const trusted = memoryIo(temp.dir);
    expect(await runProvenanceVerify('signed.png', { trust: 'keys/dev-root-ca.pem' }, trusted.io)).toBe(
      EXIT.ok,
    );
    expect(trusted.stdout()).toMatch(/^Trusted: /);
    expect(trusted.stdout()).toContain('action: c2pa.created [trainedAlgorithmicMedia]');
    expect(trusted.stdout()).toContain('"requestId":"req-cli"');

    const untrusted = memoryIo(temp.dir);
    expect(await runProvenanceVerify('signed.png', {}, untrusted.io)).toBe(EXIT.ok);
    expect(untrusted.stdout()).toMatch(/^Valid: .*pass --trust/);

    const tampered = new Uint8Array(stamped.bytes);
    const at = Buffer.from(tampered).indexOf('IDAT') + 40;
    tampered[at] = tampered[at]! ^ 1;
    await writeFile(join(temp.dir, 'tampered.png'), tampered);
    const invalid = memoryIo(temp.dir);
    expect(await runProvenanceVerify('tampered.png', { trust: 'keys/dev-root-ca.pem' }, invalid.io)).toBe(
      EXIT.failure,
    );
    expect(invalid.stdout()).toMatch(/^Invalid: [\s\S]*reason: assertion\.dataHash\.mismatch/);
  });

  it('init refuses to overwrite existing credentials without --force', async () => {
    const io = memoryIo(temp.dir).io;
    await runProvenanceInit({ dir: 'keys' }, io);
    await expect(runProvenanceInit({ dir: 'keys' }, io)).rejects.toThrow(UsageError);
    expect(await runProvenanceInit({ dir: 'keys', force: true, algorithm: 'ed25519' }, io)).toBe(EXIT.ok);
  });

  it('verify: an unsigned image exits 1 as Absent; a missing file or a non-image is a usage error', async () => {
    await writeFile(join(temp.dir, 'plain.png'), await renderImage({ width: 16, height: 16, format: 'png' }));
    const memory = memoryIo(temp.dir);
    expect(await runProvenanceVerify('plain.png', {}, memory.io)).toBe(EXIT.failure);
    expect(memory.stdout()).toBe('Absent: no C2PA manifest in this image/png file\n');
    await expect(runProvenanceVerify('missing.png', {}, memory.io)).rejects.toThrow(
      /cannot read image .*ENOENT/,
    );
    await writeFile(join(temp.dir, 'notes.txt'), 'hello');
    await expect(runProvenanceVerify('notes.txt', {}, memory.io)).rejects.toThrow(/not a recognised image/);
  });

  it("demo: the image carries Content Credentials that verify Trusted against the demo's root", async () => {
    let out = '';
    const code = await runDemo('a lighthouse', {
      outDir: join(temp.dir, 'out'),
      dataDir: join(temp.dir, 'data'),
      size: '256x256',
      stdout: (text) => {
        out += text;
      },
      stderr: () => {},
      progress: false,
    });
    expect(code).toBe(0);
    expect(out).toContain('content credentials: Trusted (c2pa.created, development key)');
    const file = /image {6}(\S+)/.exec(out)![1]!;
    const memory = memoryIo(temp.dir);
    expect(await runProvenanceVerify(file, { trust: 'data/provenance/dev-root-ca.pem' }, memory.io)).toBe(
      EXIT.ok,
    );
    expect(out).toMatch(/"manifestHash": "sha256:[0-9a-f]{64}"/);
  });

  it('serve: with a provenance section, delivered images verify Trusted and POST /v1/provenance/verify answers', async () => {
    await runProvenanceInit({ dir: 'keys' }, memoryIo(temp.dir).io);
    const key = 'pg-test-key-0123456789abcdef';
    await writeFile(
      join(temp.dir, 'pixelgate.json'),
      JSON.stringify({
        auth: { keys: [{ id: 'k1', key, tenantId: 'acme' }] },
        provenance: {
          certificateChainFile: 'keys/dev-signer-chain.pem',
          privateKeyFile: 'keys/dev-signer-key.pem',
          trustAnchorsFile: 'keys/dev-root-ca.pem',
        },
      }),
    );
    const memory = memoryIo(temp.dir);
    const controller = new AbortController();
    const exit = main(['serve', '--port', '0', '--config', 'pixelgate.json'], memory.io, {
      shutdown: () => controller.signal,
    });
    const match = await Promise.race([
      memory.waitForStdout(/listening on (http:\/\/[^\s"]+)/),
      exit.then((code) => {
        throw new Error(`serve exited ${code}: ${memory.stderr()}`);
      }),
    ]);
    const url = match[1]!;
    try {
      const auth = { authorization: `Bearer ${key}` };
      const generated = await fetch(`${url}/v1/images/generations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...auth },
        body: JSON.stringify({ prompt: 'a lighthouse', size: '256x256', response_format: 'url' }),
      });
      expect(generated.status).toBe(200);
      const { data } = (await generated.json()) as { data: Array<{ url: string }> };
      const image = new Uint8Array(await (await fetch(new URL(data[0]!.url, url))).arrayBuffer());
      const verify = (headers: Record<string, string>) =>
        fetch(`${url}/v1/provenance/verify`, {
          method: 'POST',
          headers: { 'content-type': 'image/png', ...headers },
          body: image,
        });
      expect((await verify({})).status).toBe(401);
      const verified = await verify(auth);
      expect(verified.status).toBe(200);
      expect(await verified.json()).toMatchObject({
        state: 'Trusted',
        manifest: { actions: [{ action: 'c2pa.created' }] },
      });
    } finally {
      controller.abort();
      expect(await exit).toBe(0);
    }
  });
});
