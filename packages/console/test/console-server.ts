import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createApiKeyAuthenticator,
  createBlocklistGuardrail,
  createDefaultGuardrails,
  createFileAuditSink,
  createGateway,
  createHttpHandler,
  generateAuditSigningKey,
} from '@pixelgate/core';
import { type ListeningServer, listen } from '@pixelgate/node';
import { createLocalProvider } from '@pixelgate/provider-local';
import { CONSOLE_ROUTE_DOCS, createConsoleHandler, fileAuditReader } from '../src/index.ts';

export const TENANT_KEY = 'pg-console-tenant-key-0123456789';
export const ADMIN_KEY = 'pg-console-admin-key-0123456789';
export const BLOCKED_TERM = 'forbidden-lighthouse';

/** A running offline deployment with the console: provider-local, a signed file audit log, a budget, a blocklist. */
export interface ConsoleServer {
  url: string;
  close(): Promise<void>;
}

export async function startConsoleServer(): Promise<ConsoleServer> {
  const dir = await mkdtemp(join(tmpdir(), 'pixelgate-console-'));
  const signing = generateAuditSigningKey();
  const auditSink = createFileAuditSink({ dir, signingKey: signing.privateKey, durability: 'fsync' });
  const gateway = createGateway({
    providers: [createLocalProvider()],
    auditSink,
    guardrails: [...createDefaultGuardrails(), createBlocklistGuardrail({ terms: [BLOCKED_TERM] })],
    budgets: { rules: [{ scope: 'tenant', period: 'month', limitUsd: 5 }] },
    rateLimits: { rules: [{ scope: 'tenant', unit: 'requests', limit: 100, windowMs: 60_000 }] },
  });
  const authenticate = createApiKeyAuthenticator({
    keys: [
      { id: 'key-tenant', key: TENANT_KEY, tenantId: 'studio' },
      { id: 'key-admin', key: ADMIN_KEY, tenantId: 'operators' },
    ],
  });
  const api = createHttpHandler(gateway, { authenticate, extraRouteDocs: CONSOLE_ROUTE_DOCS });
  const consoleHandler = await createConsoleHandler({
    gateway,
    authenticate,
    auditReader: fileAuditReader({ directory: dir, publicKeys: [signing.publicKeyPem] }),
    adminTenantIds: ['operators'],
  });
  const server: ListeningServer = await listen(
    async (request) => (await consoleHandler(request)) ?? api(request),
  );
  return {
    url: server.url,
    async close() {
      await server.close();
      await gateway.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
