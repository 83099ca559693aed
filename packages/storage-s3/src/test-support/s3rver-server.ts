import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3ClientConfig } from '@aws-sdk/client-s3';
import S3rver from 's3rver';

/** A running s3rver: a real S3-protocol server on 127.0.0.1 with its own temp directory. */
export interface RunningS3rver {
  endpoint: string;
  port: number;
  directory: string;
  /** Client settings that reach this server with s3rver's built-in credentials. */
  clientConfig: S3ClientConfig;
  /** Stops the server (dropping open connections); keeps the directory. */
  stop(): Promise<void>;
  /** Stops the server and removes its directory. */
  close(): Promise<void>;
}

/**
 * Starts s3rver on a random port with the given buckets. s3rver keeps objects on disk, so a new
 * server started on the same `directory` sees what an earlier one stored.
 */
export async function startS3rver(
  options: { buckets?: string[]; directory?: string } = {},
): Promise<RunningS3rver> {
  const directory = options.directory ?? (await mkdtemp(join(tmpdir(), 'pixelgate-s3rver-')));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: (options.buckets ?? ['pixelgate-test']).map((name) => ({ name })),
  });
  const address = await server.run();
  const endpoint = `http://127.0.0.1:${address.port}`;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    server.httpServer?.closeAllConnections();
    await server.close();
  };
  return {
    endpoint,
    port: address.port,
    directory,
    clientConfig: {
      region: 'us-east-1',
      endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      // s3rver predates the SDK's flexible checksums: send and check them only when an operation requires them.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    },
    stop,
    async close() {
      await stop();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
