import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type ConsoleHandler, createConsoleHandler, fileAuditReader } from '@pixelgate/console';
import type { Authenticate, FetchHandler, Gateway, TenantContext } from '@pixelgate/core';
import { AUDIT_PUBLIC_KEY_FILE } from '../audit-log.ts';
import type { CliConfig } from '../config.ts';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

/** The console is on by default only where nobody else can reach it; `console.enabled` decides elsewhere. */
export function consoleEnabled(config: CliConfig, host: string): boolean {
  return config.console?.enabled ?? LOOPBACK.has(host);
}

/**
 * The browser console (`/console/`) and the API reference (`/docs`) in front of `serve`'s
 * handler, signing in with the same keys; its audit view reads the server's own file audit log.
 */
export async function withConsolePages(
  inner: FetchHandler,
  parts: {
    gateway: Gateway;
    config: CliConfig;
    auth: { authenticate?: Authenticate; anonymous?: TenantContext };
    auditDirectory?: string;
  },
): Promise<FetchHandler> {
  const { auth, auditDirectory } = parts;
  const publicKey = auditDirectory
    ? await readFile(join(auditDirectory, AUDIT_PUBLIC_KEY_FILE), 'utf8').catch(() => undefined)
    : undefined;
  const pages: ConsoleHandler = await createConsoleHandler({
    gateway: parts.gateway,
    authenticate: auth.authenticate ?? (() => auth.anonymous ?? null),
    ...(auditDirectory && publicKey
      ? { auditReader: fileAuditReader({ directory: auditDirectory, publicKeys: [publicKey] }) }
      : {}),
    adminTenantIds: parts.config.console?.adminTenantIds ?? [],
  });
  return async (request) => (await pages(request)) ?? inner(request);
}
