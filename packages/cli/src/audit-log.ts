import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createFileAuditSink, type FileAuditSink } from '@pixelgate/core';
import { UsageError } from './io.ts';

/** Where the server's audit log lives and how its checkpoints are signed. */
export interface AuditLogLocation {
  /** Folder of the hash-chained log. */
  dir: string;
  /** PEM file of the Ed25519 key that signs checkpoints. */
  keyFile: string;
}

/** File name of the public key written beside the log, which `audit verify` uses by default. */
export const AUDIT_PUBLIC_KEY_FILE = 'audit-public-key.pem';

/** The default layout: `<dataDir>/audit/` for the log, `<dataDir>/audit-signing-key.pem` for the key. */
export function auditLogLocation(dataDir: string, keyFile?: string, cwd = dataDir): AuditLogLocation {
  return {
    dir: join(dataDir, 'audit'),
    keyFile: keyFile ? resolve(cwd, keyFile) : join(dataDir, 'audit-signing-key.pem'),
  };
}

/**
 * Loads the checkpoint signing key, creating one (mode 0600) on first start when the default
 * location is used, so `pixelgate serve` writes a verifiable log out of the box. A configured
 * key file that is missing is an error, never silently replaced: a new key would break
 * verification of older checkpoints.
 */
export async function loadOrCreateSigningKey(location: AuditLogLocation, create: boolean): Promise<string> {
  try {
    return await readFile(location.keyFile, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || !create) {
      throw new UsageError(
        `cannot read the audit signing key ${location.keyFile}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      );
    }
  }
  const { privateKey } = generateKeyPairSync('ed25519');
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  await mkdir(resolve(location.keyFile, '..'), { recursive: true });
  await writeFile(location.keyFile, pem, { mode: 0o600, flag: 'wx' });
  return pem;
}

/**
 * Opens the server's file audit sink (hash chain, signed checkpoints) and writes the public key
 * into the log folder, so `pixelgate audit verify <dir>` works without extra flags. (A verifier
 * that must not trust the folder passes `--public-key` from a copy kept elsewhere.)
 */
export async function openAuditLog(location: AuditLogLocation, createKey: boolean): Promise<FileAuditSink> {
  const signingKey = await loadOrCreateSigningKey(location, createKey);
  await mkdir(location.dir, { recursive: true });
  const publicPem = createPublicKey(signingKey).export({ type: 'spki', format: 'pem' }).toString();
  await writeFile(join(location.dir, AUDIT_PUBLIC_KEY_FILE), publicPem, { mode: 0o644 });
  // The default durability: a response is sent only once its record is synced; concurrent
  // requests share a sync (adaptive group commit), so this costs one sync per burst, not a timer.
  const sink = createFileAuditSink({ dir: location.dir, signingKey });
  await sink.open();
  return sink;
}
