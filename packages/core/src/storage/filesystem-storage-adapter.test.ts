import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GatewayError } from '../errors/gateway-error.ts';
import { createFilesystemStorage, filesystemStorageError } from './filesystem-storage-adapter.ts';

const execFileAsync = promisify(execFile);
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

async function readAll(body: ReadableStream<Uint8Array>): Promise<{ bytes: Buffer; chunks: number[] }> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of body) chunks.push(chunk);
  return { bytes: Buffer.concat(chunks), chunks: chunks.map((chunk) => chunk.byteLength) };
}

function failingAfter(bytes: number): ReadableStream<Uint8Array> {
  let sent = false;
  return new ReadableStream({
    pull(controller) {
      if (sent) return controller.error(new Error('producer crashed'));
      controller.enqueue(new Uint8Array(bytes).fill(1));
      sent = true;
    },
  });
}

async function caught(promise: Promise<unknown>): Promise<GatewayError> {
  const error = await promise.then(
    () => undefined,
    (value: unknown) => value,
  );
  if (!GatewayError.isInstance(error)) throw new Error(`expected a GatewayError, got ${String(error)}`);
  return error;
}

describe('filesystem storage', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'pixelgate-fs-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('refuses to be created without a root', () => {
    expect(() => createFilesystemStorage({ root: '' })).toThrow(
      expect.objectContaining({ code: 'CONFIGURATION_ERROR', param: 'root' }),
    );
  });

  it('keeps the bytes in a versioned file and the facts in a sidecar, with no temp files left', async () => {
    const storage = createFilesystemStorage({ root });
    await storage.put('a/b/c.png', new Uint8Array([1, 2, 3]), {
      mediaType: 'image/png',
      metadata: { tenant: 't1' },
    });
    const names = (await readdir(join(root, 'a', 'b'))).sort();
    expect(names).toHaveLength(2);
    expect(names[0]).toMatch(/^c\.png@[0-9a-f]{24}$/);
    expect(names[1]).toBe('c.png@meta.json');
    const sidecar = JSON.parse(await readFile(join(root, 'a', 'b', 'c.png@meta.json'), 'utf8'));
    expect(sidecar).toMatchObject({ format: 1, size: 3, mediaType: 'image/png', metadata: { tenant: 't1' } });
    expect(names[0]).toBe(`c.png@${sidecar.version}`);
  });

  it('removes the superseded version on overwrite, while a reader of the old version still gets all of it', async () => {
    const storage = createFilesystemStorage({ root, readChunkBytes: 1024 });
    const old = Buffer.alloc(100_000, 1);
    await storage.put('x.bin', old, { mediaType: 'application/octet-stream' });
    const reading = await storage.get('x.bin');
    await storage.put('x.bin', Buffer.alloc(10, 2), { mediaType: 'application/octet-stream' });
    expect((await readAll(reading!.body)).bytes.equals(old)).toBe(true);
    expect((await readdir(root)).filter((name) => name.startsWith('x.bin@')).length).toBe(2);
    expect((await readAll((await storage.get('x.bin'))!.body)).bytes.equals(Buffer.alloc(10, 2))).toBe(true);
  });

  it('streams in bounded chunks rather than reading the file whole', async () => {
    const storage = createFilesystemStorage({ root, readChunkBytes: 16 * 1024 });
    await storage.put('big.bin', Buffer.alloc(1024 * 1024, 3), { mediaType: 'application/octet-stream' });
    const { bytes, chunks } = await readAll((await storage.get('big.bin'))!.body);
    expect(bytes.byteLength).toBe(1024 * 1024);
    expect(Math.max(...chunks)).toBeLessThanOrEqual(16 * 1024);
    expect(chunks.length).toBe(64);
  });

  it('leaves no file at all when the producer crashes mid-write', async () => {
    const storage = createFilesystemStorage({ root });
    const error = await caught(storage.put('crash/a.png', failingAfter(300_000), { mediaType: 'image/png' }));
    expect(error.code).toBe('STORAGE_ERROR');
    expect(error.details?.reason).toBe('source_failed');
    expect(await readdir(join(root, 'crash'))).toEqual([]);
    expect(await storage.head('crash/a.png')).toBeNull();
  });

  it('refuses objects over maxObjectBytes without leaving a partial file', async () => {
    const storage = createFilesystemStorage({ root, maxObjectBytes: 1000 });
    const error = await caught(
      storage.put('too/big.bin', failingAfter(5000), { mediaType: 'application/octet-stream' }),
    );
    expect(error.details?.reason).toBe('object_too_large');
    expect(error.status).toBe(413);
    expect(await readdir(join(root, 'too'))).toEqual([]);
  });

  it('treats a data file without a sidecar (a crash before commit) as absent, and sweeps old leftovers only', async () => {
    const storage = createFilesystemStorage({ root, orphanGraceMs: 60_000 });
    await writeFile(join(root, 'torn.png@0123456789abcdef01234567'), 'half');
    await writeFile(join(root, '.torn.png@0123456789abcdef01234567.tmp'), 'half');
    await writeFile(join(root, '.young.png@0123456789abcdef01234567.tmp'), 'in flight');
    await storage.put('kept.png', Buffer.from('ok'), { mediaType: 'image/png' });
    expect(await storage.get('torn.png')).toBeNull();
    expect((await collect(storage.list(''))).map((info) => info.key)).toEqual(['kept.png']);
    const old = new Date(Date.now() - 3_600_000);
    await utimes(join(root, 'torn.png@0123456789abcdef01234567'), old, old);
    await utimes(join(root, '.torn.png@0123456789abcdef01234567.tmp'), old, old);
    expect(await storage.sweepExpired()).toBe(0);
    const left = (await readdir(root)).sort();
    expect(left.filter((name) => name.includes('torn'))).toEqual([]);
    expect(left).toContain('.young.png@0123456789abcdef01234567.tmp');
    expect(left.filter((name) => name.startsWith('kept.png@'))).toHaveLength(2);
    expect((await readAll((await storage.get('kept.png'))!.body)).bytes.toString()).toBe('ok');
  });

  it('reports a tampered sidecar as STORAGE_ERROR', async () => {
    const storage = createFilesystemStorage({ root });
    await storage.put('t.png', Buffer.from('x'), { mediaType: 'image/png' });
    await writeFile(
      join(root, 't.png@meta.json'),
      JSON.stringify({ format: 1, version: '../../etc/passwd' }),
    );
    expect((await caught(storage.head('t.png'))).code).toBe('STORAGE_ERROR');
  });

  it('never creates anything outside the root for traversal keys', async () => {
    const storage = createFilesystemStorage({ root: join(root, 'inner') });
    for (const key of ['../outside.png', 'a/../../outside.png', '..', '%2e%2e/x']) {
      const error = await caught(storage.put(key, Buffer.from('x'), { mediaType: 'image/png' }));
      expect(error.details?.reason).toBe('unsafe_key');
    }
    expect(await readdir(root)).toEqual([]);
  });

  it('gives a clear STORAGE_ERROR when the root cannot be created (its parent is a file)', async () => {
    await writeFile(join(root, 'file'), 'not a directory');
    const storage = createFilesystemStorage({ root: join(root, 'file', 'store') });
    const error = await caught(storage.put('a.png', Buffer.from('x'), { mediaType: 'image/png' }));
    expect(error.code).toBe('STORAGE_ERROR');
    expect(error.details).toMatchObject({ reason: 'io_error', errno: 'ENOTDIR' });
    expect(error.message).not.toContain(root);
    const verifyError = await caught(storage.verify());
    expect(verifyError.details?.errno).toBe('ENOTDIR');
    expect(await readFile(join(root, 'file'), 'utf8')).toBe('not a directory');
  });

  it.skipIf(isRoot)(
    'gives permission_denied for a read-only directory and leaves nothing behind',
    async () => {
      const { chmod } = await import('node:fs/promises');
      const storage = createFilesystemStorage({ root });
      await chmod(root, 0o500);
      try {
        const error = await caught(storage.put('a.png', Buffer.from('x'), { mediaType: 'image/png' }));
        expect(error.details).toMatchObject({ reason: 'permission_denied', errno: 'EACCES' });
        expect(error.retryable).toBe(false);
        expect((await caught(storage.verify())).details?.reason).toBe('permission_denied');
      } finally {
        await chmod(root, 0o700);
      }
      expect(await readdir(root)).toEqual([]);
    },
  );

  it.skipIf(process.platform === 'win32')(
    'fails cleanly when the disk refuses a write mid-stream (a real EFBIG under ulimit -f), keeping the old object',
    async () => {
      const adapterUrl = new URL('./filesystem-storage-adapter.ts', import.meta.url).href;
      const script = `
        const { createFilesystemStorage } = await import(process.env.ADAPTER_URL);
        const storage = createFilesystemStorage({ root: process.env.ROOT });
        await storage.put('kept.png', new Uint8Array(1000).fill(7), { mediaType: 'image/png' });
        let sent = 0;
        const body = new ReadableStream({ pull(c) { if (sent >= 4 * 1024 * 1024) return c.close(); c.enqueue(new Uint8Array(65536).fill(1)); sent += 65536; } });
        const result = await storage.put('kept.png', body, { mediaType: 'image/png' }).then(() => ({ ok: true }), (e) => ({ code: e.code, details: e.details, message: e.message }));
        console.log(JSON.stringify(result));
      `;
      // bash's ulimit -f counts 1 KiB blocks: files may not grow past 1 MiB; Node ignores SIGXFSZ and gets EFBIG.
      const { stdout } = await execFileAsync(
        'bash',
        [
          '-c',
          'ulimit -f 1024 && exec "$0" --import tsx --input-type=module -e "$1"',
          process.execPath,
          script,
        ],
        {
          env: { ...process.env, ROOT: root, ADAPTER_URL: adapterUrl },
        },
      );
      const result = JSON.parse(stdout.trim().split('\n').pop()!);
      expect(result).toMatchObject({
        code: 'STORAGE_ERROR',
        details: { reason: 'disk_full', errno: 'EFBIG' },
      });
      expect(result.message).not.toContain(root);
      const names = (await readdir(root)).sort();
      expect(names).toHaveLength(2);
      expect(names[1]).toBe('kept.png@meta.json');
      const storage = createFilesystemStorage({ root });
      const kept = await storage.get('kept.png');
      expect(kept!.info.size).toBe(1000);
      expect((await readAll(kept!.body)).bytes.equals(Buffer.alloc(1000, 7))).toBe(true);
    },
  );

  it('maps disk-full and permission errnos to reasons without leaking paths', () => {
    const enospc = Object.assign(new Error(`ENOSPC: no space left on device, write '/srv/secret/path'`), {
      code: 'ENOSPC',
    });
    const full = filesystemStorageError(enospc, 'store the object');
    expect(full).toMatchObject({
      code: 'STORAGE_ERROR',
      status: 507,
      retryable: false,
      details: { reason: 'disk_full', errno: 'ENOSPC' },
    });
    expect(full.message).toBe('Filesystem storage could not store the object: the disk is full (ENOSPC).');
    const erofs = filesystemStorageError(
      Object.assign(new Error('x'), { code: 'EROFS' }),
      'store the object',
    );
    expect(erofs.details?.reason).toBe('permission_denied');
    expect(filesystemStorageError(new Error('odd'), 'store the object').details?.reason).toBe('io_error');
  });
});

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}
