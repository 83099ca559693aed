import { once } from 'node:events';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { generateAuditSigningKey } from '@pixelgate/core/audit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from './migrate.ts';
import { createPostgresAuditSink, type PostgresAuditSink } from './postgres-audit-sink.ts';
import { dropSchema, postgresTestUrl, testSchema } from './test-support/postgres-test-env.ts';

const url = postgresTestUrl ?? '';
const key = generateAuditSigningKey().privateKey;
/** A password that must never show in a readiness answer. */
const PASSWORD = 'hunter2-readiness-secret';

/**
 * A TCP relay on 127.0.0.1 in front of the real PostgreSQL: `down()` closes it and cuts every
 * connection (as a crashed database would), `up()` listens again on the same port.
 */
class Relay {
  #server: Server | undefined;
  readonly #sockets = new Set<Socket>();
  port = 0;
  constructor(readonly target: { host: string; port: number }) {}

  async up(): Promise<void> {
    const server = createServer((client) => {
      const upstream = createConnection(this.target);
      for (const socket of [client, upstream]) {
        this.#sockets.add(socket);
        socket.on('close', () => this.#sockets.delete(socket));
        socket.on('error', () => {});
      }
      client.pipe(upstream).pipe(client);
    });
    server.listen(this.port, '127.0.0.1');
    await once(server, 'listening');
    this.port = (server.address() as { port: number }).port;
    this.#server = server;
  }

  async down(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const socket of this.#sockets) socket.destroy();
    if (server) await new Promise((resolve) => server.close(resolve));
  }
}

describe.skipIf(!postgresTestUrl)('check() of the PostgreSQL audit sink (readiness)', () => {
  const schema = testSchema();
  const target = new URL(url);
  const relay = new Relay({ host: target.hostname, port: Number(target.port || 5432) });
  let sink: PostgresAuditSink;

  beforeAll(async () => {
    await migrate({ url, schema });
    await relay.up();
    const relayed = new URL(url);
    relayed.port = String(relay.port);
    sink = createPostgresAuditSink({ url: relayed.toString(), schema, signingKey: key });
  });
  afterAll(async () => {
    await sink.close().catch(() => {});
    await relay.down();
    await dropSchema(url, schema);
  });

  it('answers while PostgreSQL is up, fails while it is down, answers again after', async () => {
    await expect(sink.check()).resolves.toBeUndefined();
    await relay.down();
    const down = (await sink.check().catch((error: unknown) => error)) as Error;
    expect(down).toBeInstanceOf(Error);
    expect(down.message).toMatch(/^PostgreSQL cannot be reached \(/);
    await relay.up();
    await expect
      .poll(
        () =>
          sink.check().then(
            () => 'up',
            (error: Error) => error.message,
          ),
        {
          timeout: 10_000,
          interval: 100,
        },
      )
      .toBe('up');
  });

  it('is not ready on a database that answers but was never migrated', async () => {
    const unmigrated = createPostgresAuditSink({ url, schema: testSchema(), signingKey: key });
    try {
      await expect(unmigrated.check()).rejects.toThrow(
        /^PostgreSQL answers, but audit_chain_head is missing: run migrate \(42P01\)$/,
      );
    } finally {
      await unmigrated.close().catch(() => {});
    }
  });

  it('never puts the URL or its password in the error', async () => {
    const closed = createServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const { port } = closed.address() as { port: number };
    await new Promise((resolve) => closed.close(resolve));
    const unreachable = createPostgresAuditSink({
      url: `postgres://postgres:${PASSWORD}@127.0.0.1:${port}/test`,
      schema,
      signingKey: key,
    });
    try {
      const error = (await unreachable.check().catch((caught: unknown) => caught)) as Error;
      expect(error.message).toBe('PostgreSQL cannot be reached (ECONNREFUSED)');
      expect(error.message).not.toContain(PASSWORD);
    } finally {
      await unreachable.close().catch(() => {});
    }
  });
});
