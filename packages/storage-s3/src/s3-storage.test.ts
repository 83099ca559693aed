import { createServer } from 'node:net';
import { PutObjectCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { GatewayError } from '@pixelgate/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeMetadataValue, encodeMetadataValue, encodeTagValue } from './s3-metadata.ts';
import { createS3Storage } from './s3-storage.ts';
import { type RunningS3rver, startS3rver } from './test-support/s3rver-server.ts';

async function caught(promise: Promise<unknown>): Promise<GatewayError> {
  const error = await promise.then(
    () => undefined,
    (value: unknown) => value,
  );
  if (!GatewayError.isInstance(error)) throw new Error(`expected a GatewayError, got ${String(error)}`);
  return error;
}

/** A client that records the name and input of every command it sends. */
function recordingClient(config: S3ClientConfig) {
  const client = new S3Client(config);
  const sent: Array<{ command: string; input: Record<string, unknown> }> = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      sent.push({
        command: String(context.commandName),
        input: { ...(args.input as Record<string, unknown>) },
      });
      return next(args);
    },
    { step: 'initialize', name: 'record-commands' },
  );
  return { client, sent };
}

/** A port on 127.0.0.1 that nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Sends `chunks` chunks of `chunkBytes`, calling `beforeChunk(index)` first; errors if it throws. */
function streamOf(
  chunks: number,
  chunkBytes: number,
  beforeChunk: (index: number) => void | Promise<void> = () => {},
): ReadableStream<Uint8Array> {
  let index = 0;
  return new ReadableStream({
    async pull(controller) {
      if (index >= chunks) return controller.close();
      try {
        await beforeChunk(index);
      } catch (error) {
        return controller.error(error);
      }
      controller.enqueue(new Uint8Array(chunkBytes).fill(index % 256));
      index++;
    },
  });
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

describe('createS3Storage against s3rver', () => {
  let server: RunningS3rver;
  beforeAll(async () => {
    server = await startS3rver({ buckets: ['images'] });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('verifies a reachable, writable bucket and leaves no probe behind', async () => {
    const { client, sent } = recordingClient(server.clientConfig);
    const storage = createS3Storage({ bucket: 'images', prefix: 'verify/', client });
    await storage.verify();
    expect(sent.map((entry) => entry.command)).toEqual([
      'HeadBucketCommand',
      'PutObjectCommand',
      'DeleteObjectCommand',
    ]);
    const probeKey = String(sent[1]!.input.Key);
    expect(probeKey.startsWith('verify/.pixelgate-verify/')).toBe(true);
    expect(await collect(storage.list(''))).toEqual([]);
    client.destroy();
  });

  it('verify() names a missing bucket', async () => {
    const storage = createS3Storage({ bucket: 'no-such-bucket', clientConfig: server.clientConfig });
    const error = await caught(storage.verify());
    expect(error.code).toBe('STORAGE_ERROR');
    expect(error.details).toMatchObject({
      reason: 'bucket_not_found',
      bucket: 'no-such-bucket',
      upstreamStatus: 404,
    });
    expect(error.message).toBe(
      'S3 storage could not check the bucket: bucket "no-such-bucket" does not exist.',
    );
    expect(error.retryable).toBe(false);
    await storage.dispose?.();
  });

  it('verify() names refused credentials without printing them (s3rver checks signatures)', async () => {
    const wrongSecret = 'wrong-secret-value-123';
    const storage = createS3Storage({
      bucket: 'images',
      clientConfig: {
        ...server.clientConfig,
        credentials: { accessKeyId: 'NOT-S3RVER', secretAccessKey: wrongSecret },
      },
    });
    const error = await caught(storage.verify());
    expect(error.details).toMatchObject({ reason: 'access_denied', upstreamStatus: 403 });
    expect(error.message).toContain('access to bucket "images" was refused');
    const rendered = JSON.stringify(error.toJSON()) + error.message;
    expect(rendered).not.toContain(wrongSecret);
    expect(rendered).not.toContain('NOT-S3RVER');
    await storage.dispose?.();
  });

  it('verify() names an unreachable endpoint', async () => {
    const port = await closedPort();
    const storage = createS3Storage({
      bucket: 'images',
      clientConfig: { ...server.clientConfig, endpoint: `http://127.0.0.1:${port}`, maxAttempts: 1 },
      endpoint: `http://user:pw@127.0.0.1:${port}`,
    });
    const error = await caught(storage.verify());
    expect(error.details).toMatchObject({ reason: 'endpoint_unreachable' });
    expect(error.message).toBe(
      `S3 storage could not check the bucket: the endpoint http://127.0.0.1:${port} is unreachable (ECONNREFUSED).`,
    );
    expect(error.retryable).toBe(true);
    await storage.dispose?.();
  });

  it('sends content type, encoded metadata, tags, encryption and storage class with every upload', async () => {
    const { client, sent } = recordingClient(server.clientConfig);
    const storage = createS3Storage({
      bucket: 'images',
      prefix: 'opts/',
      client,
      serverSideEncryption: 'aws:kms',
      kmsKeyId: 'alias/pixelgate',
      storageClass: 'STANDARD_IA',
      metadata: { app: 'demo' },
    });
    const expiresAt = new Date(Date.now() + 3_600_000);
    const metadata = { tenant: 'acme ü', 'request-id': 'req_1', sha256: 'ab'.repeat(32) };
    await storage.put('a.png', new Uint8Array([1, 2, 3]), { mediaType: 'image/png', metadata, expiresAt });
    const put = sent.find((entry) => entry.command === 'PutObjectCommand')!;
    expect(put.input).toMatchObject({
      Bucket: 'images',
      Key: 'opts/a.png',
      ContentType: 'image/png',
      ServerSideEncryption: 'aws:kms',
      SSEKMSKeyId: 'alias/pixelgate',
      StorageClass: 'STANDARD_IA',
      Metadata: {
        app: 'demo',
        tenant: 'acme%20%C3%BC',
        'request-id': 'req_1',
        sha256: 'ab'.repeat(32),
        'pixelgate-expires-at': expiresAt.toISOString(),
      },
    });
    expect(new URLSearchParams(String(put.input.Tagging))).toEqual(
      new URLSearchParams({ tenant: 'acme ü', 'request-id': 'req_1', 'expires-at': expiresAt.toISOString() }),
    );
    const head = await storage.head('a.png');
    expect(head).toMatchObject({ mediaType: 'image/png', metadata, expiresAt });
    client.destroy();
  });

  it('writes no tags when tagging is off, and refuses reserved metadata names', async () => {
    const { client, sent } = recordingClient(server.clientConfig);
    const storage = createS3Storage({
      bucket: 'images',
      prefix: 'notags/',
      client,
      tags: false,
      metadata: { app: 'demo' },
    });
    await storage.put('a.png', new Uint8Array([1]), { mediaType: 'image/png', metadata: { tenant: 't' } });
    expect(sent.find((entry) => entry.command === 'PutObjectCommand')!.input.Tagging).toBeUndefined();
    for (const name of ['pixelgate-expires-at', 'app']) {
      const error = await caught(
        storage.put('b.png', new Uint8Array([1]), { mediaType: 'image/png', metadata: { [name]: 'x' } }),
      );
      expect(error.details?.reason).toBe('invalid_metadata');
    }
    client.destroy();
  });

  it('aborts a multipart upload whose source fails mid-way and leaves no object', async () => {
    const { client, sent } = recordingClient(server.clientConfig);
    const storage = createS3Storage({
      bucket: 'images',
      prefix: 'torn/',
      client,
      partSizeBytes: 5 * 1024 * 1024,
      queueSize: 1,
    });
    const body = streamOf(20, 1024 * 1024, (index) => {
      if (index === 12) throw new Error('producer crashed');
    });
    const error = await caught(storage.put('big.bin', body, { mediaType: 'application/octet-stream' }));
    expect(error.code).toBe('STORAGE_ERROR');
    expect(error.details?.reason).toBe('source_failed');
    const commands = sent.map((entry) => entry.command);
    expect(commands).toContain('CreateMultipartUploadCommand');
    expect(commands).toContain('UploadPartCommand');
    expect(commands).not.toContain('CompleteMultipartUploadCommand');
    // The SDK asks the store to drop the parts. (s3rver answers 405: it does not implement
    // AbortMultipartUpload, so its parts stay in its temp dir; real S3 and MinIO delete them.)
    expect(commands).toContain('AbortMultipartUploadCommand');
    expect(await storage.head('big.bin')).toBeNull();
    expect(await collect(storage.list(''))).toEqual([]);
    client.destroy();
  });

  it('gives STORAGE_ERROR when the server goes away mid-upload, and nothing is stored', async () => {
    const own = await startS3rver({ buckets: ['images'] });
    try {
      const storage = createS3Storage({
        bucket: 'images',
        clientConfig: { ...own.clientConfig, maxAttempts: 1 },
        partSizeBytes: 5 * 1024 * 1024,
        queueSize: 1,
      });
      const body = streamOf(16, 1024 * 1024, async (index) => {
        if (index === 8) await own.stop();
      });
      const error = await caught(storage.put('down.bin', body, { mediaType: 'application/octet-stream' }));
      expect(error.code).toBe('STORAGE_ERROR');
      expect(['endpoint_unreachable', 'io_error']).toContain(error.details?.reason);
      await storage.dispose?.();
      // A new server on the same directory sees everything the old one stored: not this object.
      const restarted = await startS3rver({ buckets: ['images'], directory: own.directory });
      try {
        const again = createS3Storage({ bucket: 'images', clientConfig: restarted.clientConfig });
        expect(await again.head('down.bin')).toBeNull();
        await again.dispose?.();
      } finally {
        await restarted.stop();
      }
    } finally {
      await own.close();
    }
  });

  it('presigns only sane lifetimes and serves the object with the cache lifetime', async () => {
    const storage = createS3Storage({
      bucket: 'images',
      prefix: 'signed/',
      clientConfig: server.clientConfig,
    });
    await storage.put('a.png', new Uint8Array([9, 8, 7]), { mediaType: 'image/png' });
    const url = await storage.presign('a.png', { expiresInSeconds: 60, mediaType: 'image/png' });
    expect(url).toContain('X-Amz-Expires=60');
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(new Uint8Array(await response.arrayBuffer())).toEqual(new Uint8Array([9, 8, 7]));
    for (const expiresInSeconds of [0, 1.5, 8 * 24 * 3600]) {
      const error = await caught(storage.presign('a.png', { expiresInSeconds }));
      expect(error).toMatchObject({ code: 'VALIDATION_ERROR', param: 'expiresInSeconds' });
    }
    await storage.dispose?.();
  });

  it('lists only keys an adapter can name, ignoring foreign objects under the prefix', async () => {
    const { client } = recordingClient(server.clientConfig);
    const storage = createS3Storage({ bucket: 'images', prefix: 'mixed/', client });
    const raw = createS3Storage({ bucket: 'images', client });
    await storage.put('ok.png', new Uint8Array([1]), { mediaType: 'image/png' });
    await raw.put('mixed/ok2.png', new Uint8Array([1]), { mediaType: 'image/png' });
    await client.send(new PutObjectCommand({ Bucket: 'images', Key: 'mixed/weird name!.png', Body: 'x' }));
    expect((await collect(storage.list(''))).map((info) => info.key)).toEqual(['ok.png', 'ok2.png']);
    client.destroy();
  });
});

describe('createS3Storage configuration', () => {
  it('refuses invalid options with CONFIGURATION_ERROR naming the option', () => {
    const cases: Array<[Parameters<typeof createS3Storage>[0], string]> = [
      [{ bucket: 'Bad_Bucket' }, 'bucket'],
      [{ bucket: 'ok-bucket', prefix: 'no-slash' }, 'prefix'],
      [{ bucket: 'ok-bucket', prefix: '../x/' }, 'prefix'],
      [{ bucket: 'ok-bucket', kmsKeyId: 'k' }, 'kmsKeyId'],
      [{ bucket: 'ok-bucket', partSizeBytes: 1024 }, 'partSizeBytes'],
      [{ bucket: 'ok-bucket', queueSize: 0 }, 'queueSize'],
      [{ bucket: 'ok-bucket', metadata: { 'pixelgate-x': 'y' } }, 'metadata'],
    ];
    for (const [options, param] of cases) {
      expect(() => createS3Storage({ region: 'us-east-1', ...options })).toThrow(
        expect.objectContaining({ code: 'CONFIGURATION_ERROR', param }),
      );
    }
  });
});

describe('S3 metadata and tag encoding', () => {
  it('round-trips any string through header-safe metadata', () => {
    for (const value of ['plain', 'acme ü', '100% done', ' padded ', '猫', 'a%20b', '']) {
      const encoded = encodeMetadataValue(value);
      expect(encoded).toMatch(/^[\u0020-\u007e]*$/);
      expect(decodeMetadataValue(encoded)).toBe(value);
    }
  });

  it('keeps tag values S3 accepts and encodes the rest reversibly', () => {
    expect(encodeTagValue('tenant-1')).toBe('tenant-1');
    expect(encodeTagValue('acme ü')).toBe('acme ü');
    const encoded = encodeTagValue('a&b');
    expect(encoded.startsWith('b64:')).toBe(true);
    expect(Buffer.from(encoded.slice(4), 'base64url').toString()).toBe('a&b');
  });
});
