import { access, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { GatewayError } from '@pixelgate/core';
import {
  type AuditVerification,
  describeSignedExtent,
  exportEvidence,
  isEvidenceBundle,
  verifyAuditLog,
  verifyEvidenceBundle,
} from '@pixelgate/core/audit';
import { AUDIT_PUBLIC_KEY_FILE } from '../audit-log.ts';
import { type CliIo, EXIT, UsageError } from '../io.ts';

/** Flags of `pixelgate audit verify`. */
export interface AuditVerifyOptions {
  /** PEM public key file; default: the key `serve` wrote into the log folder. */
  publicKey?: string;
  /** Accept records after the last signed checkpoint (a log that is still being written). */
  allowUnsignedTail?: boolean;
}

async function readKey(file: string, flag: boolean): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (!flag && code === 'ENOENT') {
      throw new UsageError(
        `no ${AUDIT_PUBLIC_KEY_FILE} in the log folder: give the checkpoint key with --public-key <file>`,
      );
    }
    throw new UsageError(`cannot read public key ${file}: ${code ?? String(error)}`);
  }
}

/** Prints the verdict on a log; returns the exit code. */
function reportLog(result: AuditVerification, dir: string, trustedFolderKey: boolean, io: CliIo): number {
  const summary = `${result.records} records, ${result.checkpoints} signed checkpoints, ${result.files} files`;
  if (result.ok) {
    io.stdout(`ok: ${summary}; head seq ${result.lastSeq} ${result.lastHash}\n`);
    io.stdout(`${describeSignedExtent(result)}\n`);
    for (const recovery of result.recoveries)
      io.stdout(
        `note: crash recovery in ${recovery.file} (${recovery.partialBytes} partial bytes, acknowledged by a signed checkpoint)\n`,
      );
    if (trustedFolderKey)
      io.stderr(
        `pixelgate: checked against the public key in the log folder; pass --public-key with an independent copy to rule out a rewritten log\n`,
      );
    return EXIT.ok;
  }
  const broken = result.firstBroken;
  io.stdout(`FAILED after ${summary}\n`);
  if (broken)
    io.stdout(
      `first break: ${broken.file}${broken.line > 0 ? `:${broken.line}` : ''}${broken.seq === undefined ? '' : ` (seq ${broken.seq})`}: ${broken.reason}\n`,
    );
  if (result.signedThrough) io.stdout(`${describeSignedExtent(result)}\n`);
  io.stderr(`pixelgate: audit log ${dir} did not verify\n`);
  return EXIT.failure;
}

/** `pixelgate audit verify <bundle>`: checks an exported evidence bundle offline. */
async function verifyBundle(
  dir: string,
  bundleDir: string,
  options: AuditVerifyOptions,
  io: CliIo,
): Promise<number> {
  const publicKeys = options.publicKey
    ? [await readKey(resolve(io.cwd, options.publicKey), true)]
    : undefined;
  const result = await verifyEvidenceBundle(bundleDir, publicKeys ? { publicKeys } : {});
  const period = result.period ? ` for ${result.period.from} .. ${result.period.to}` : '';
  if (!result.ok) {
    io.stdout(`FAILED: evidence bundle${period}: ${result.problem ?? 'unknown problem'}\n`);
    io.stderr(`pixelgate: evidence bundle ${dir} did not verify\n`);
    return EXIT.failure;
  }
  io.stdout(
    `ok: evidence bundle${period}: ${result.records} records of the period, ${result.files} files match the manifest (${result.manifestSigned ? 'signed' : 'unsigned'})\n`,
  );
  if (result.signedThrough)
    io.stdout(
      `chain of ${result.chainRecords} records verified through record ${result.signedThrough.seq}, signed at ${result.signedThrough.at} by ${result.keyIds.join(', ')}\n`,
    );
  if (!result.manifestSigned)
    io.stdout(
      'note: the manifest is not signed; the records are proven by the checkpoints, the other files by recomputation\n',
    );
  if (result.keysFrom === 'bundle')
    io.stderr(
      'pixelgate: checked against the public key inside the bundle; pass --public-key with an independent copy to rule out a forged bundle\n',
    );
  return EXIT.ok;
}

/**
 * `pixelgate audit verify <dir>`: checks the hash chain and signed checkpoints of a file audit log
 * and says how far the signatures reach and where the first break is; given an evidence bundle
 * folder, checks the bundle offline instead. An empty or missing log is a failure, never "ok".
 * Exit 0 intact, 1 tampered, empty or incomplete, 2 bad invocation.
 */
export async function runAuditVerify(dir: string, options: AuditVerifyOptions, io: CliIo): Promise<number> {
  const logDir = resolve(io.cwd, dir);
  if (await isEvidenceBundle(logDir)) return verifyBundle(dir, logDir, options, io);
  const keyFile = options.publicKey
    ? resolve(io.cwd, options.publicKey)
    : join(logDir, AUDIT_PUBLIC_KEY_FILE);
  const publicKey = await readKey(keyFile, options.publicKey !== undefined);
  let result: AuditVerification;
  try {
    result = await verifyAuditLog(logDir, {
      publicKeys: [publicKey],
      ...(options.allowUnsignedTail ? { allowUnsignedTail: true } : {}),
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const unreadable = GatewayError.isInstance(error) && error.param === 'dir';
    if (unreadable || code === 'ENOENT' || code === 'ENOTDIR') throw new UsageError(`no audit log at ${dir}`);
    throw error;
  }
  return reportLog(result, dir, !options.publicKey, io);
}

/** Flags of `pixelgate audit export`. */
export interface AuditExportOptions {
  /** Start of the period, inclusive (`YYYY-MM-DD` in UTC, or an ISO 8601 time). */
  from: string;
  /** End of the period, exclusive. */
  to: string;
  /** Folder for the bundle; must be new or empty. */
  out: string;
  /** PEM public key file; default: the key `serve` wrote into the log folder. */
  publicKey?: string;
  /** PEM private key that signs the manifest; default: `serve`'s key beside the log folder, if there. */
  signingKey?: string;
}

/** The manifest's signing key: the one named, else `serve`'s default beside the log, else none. */
async function manifestSigningKey(
  logDir: string,
  flag: string | undefined,
  io: CliIo,
): Promise<string | undefined> {
  if (flag) {
    const file = resolve(io.cwd, flag);
    try {
      return await readFile(file, 'utf8');
    } catch (error) {
      throw new UsageError(
        `cannot read signing key ${flag}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      );
    }
  }
  const beside = join(logDir, '..', 'audit-signing-key.pem');
  try {
    await access(beside);
  } catch {
    return undefined;
  }
  return readFile(beside, 'utf8');
}

/**
 * `pixelgate audit export`: writes an evidence bundle (records of the period, the verification
 * verdict, public keys, a summary and an HTML report, with a manifest of hashes) for an auditor.
 * The period is checked by the exporter itself, so the CLI accepts exactly what the library does.
 * Exit 0 when the log verified, 1 when the bundle was written but the log is broken (the bundle
 * says where), 2 for a bad period, a non-empty output folder or a missing log.
 */
export async function runAuditExport(
  auditDir: string,
  options: AuditExportOptions,
  io: CliIo,
): Promise<number> {
  const logDir = resolve(io.cwd, auditDir);
  const keyFile = options.publicKey
    ? resolve(io.cwd, options.publicKey)
    : join(logDir, AUDIT_PUBLIC_KEY_FILE);
  const publicKey = await readKey(keyFile, options.publicKey !== undefined);
  const signingKey = await manifestSigningKey(logDir, options.signingKey, io);
  let bundle: Awaited<ReturnType<typeof exportEvidence>>;
  try {
    bundle = await exportEvidence({
      dir: logDir,
      from: options.from,
      to: options.to,
      out: resolve(io.cwd, options.out),
      publicKeys: [publicKey],
      ...(signingKey ? { signingKey } : {}),
    });
  } catch (error) {
    if (GatewayError.isInstance(error) && error.param === 'dir')
      throw new UsageError(`no audit log at ${auditDir}`);
    if (GatewayError.isInstance(error) && error.code === 'VALIDATION_ERROR') {
      const flag = error.param ? `--${error.param}: ` : '';
      throw new UsageError(`${flag}${error.message}`);
    }
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new UsageError(`no audit log at ${auditDir}`);
    throw error;
  }
  const { summary } = bundle;
  io.stdout(`wrote ${Object.keys(bundle.files).length + 1} files to ${options.out} (manifest ${bundle.manifest.signature ? 'signed' : 'unsigned: no signing key'}); check it with: pixelgate audit verify ${options.out}
`);
  io.stdout(`period ${summary.period.from} .. ${summary.period.to}: ${summary.totals.records} records, ${summary.totals.images} images, $${summary.totals.costUsd} (${summary.totals.unpriced} unpriced)
`);
  if (bundle.verification.ok) {
    io.stdout(`log verified: ${bundle.verification.records} records, ${bundle.verification.checkpoints} signed checkpoints
`);
    return EXIT.ok;
  }
  const broken = bundle.verification.firstBroken;
  io.stderr(`pixelgate: the audit log did not verify${broken ? ` (first break ${broken.file}:${broken.line}: ${broken.reason})` : ''}; the bundle records the failure
`);
  return EXIT.failure;
}
