import { createHash, type KeyObject, sign } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GatewayError } from '../../errors/gateway-error.ts';
import { auditKeyId, publicKeyPem, sortAuditFiles, toPrivateKey } from '../audit-chain.ts';
import { canonicalJson } from '../canonical-json.ts';
import { renderEvidenceHtml } from './evidence-html.ts';
import { EVIDENCE_FORMAT, type EvidenceManifest } from './evidence-manifest.ts';
import { type EvidenceSummary, EvidenceSummaryBuilder } from './evidence-summary.ts';
import { type AuditPublicKeys, type AuditVerification, verifyAuditLog } from './verify-audit-log.ts';

/** Options of {@link exportEvidence}. */
export interface ExportEvidenceOptions {
  /** The audit log directory. */
  dir: string;
  /** Start of the period, inclusive: a Date, an ISO time or a `YYYY-MM-DD` day (UTC). */
  from: Date | string;
  /** End of the period, exclusive: a Date, an ISO time or a `YYYY-MM-DD` day (UTC). */
  to: Date | string;
  /** Directory to write the bundle to; created if missing, refused if not empty. */
  out: string;
  /** Keys whose checkpoints are trusted (as for `verifyAuditLog`). */
  publicKeys: AuditPublicKeys;
  /**
   * The log's Ed25519 signing key: when given, the manifest is signed with it, binding every file
   * of the bundle (the records are proven by the log's checkpoints either way).
   */
  signingKey?: KeyObject | string;
  /** Time of generation written in the bundle (default now). */
  now?: () => number;
}

/** What an export produced. */
export interface EvidenceBundle {
  out: string;
  /** File names in the bundle, with their SHA-256. */
  files: Record<string, string>;
  verification: AuditVerification;
  summary: EvidenceSummary;
  manifest: EvidenceManifest;
}

function parseInstant(value: Date | string, param: 'from' | 'to'): number {
  const time =
    value instanceof Date
      ? value.getTime()
      : /^\d{4}-\d{2}-\d{2}$/.test(value)
        ? Date.parse(`${value}T00:00:00Z`)
        : /^\d{4}-\d{2}-\d{2}T/.test(value)
          ? Date.parse(value)
          : Number.NaN;
  if (!Number.isFinite(time)) {
    throw new GatewayError(
      'VALIDATION_ERROR',
      `${param} must be a date (YYYY-MM-DD, UTC) or an ISO 8601 time.`,
      { param },
    );
  }
  return time;
}

/** One line of the log, as the exporter needs it. */
interface LogLine {
  text: string;
  seq: number;
  checkpoint: boolean;
  /** For a record: is its `timestamp` in the period. */
  inPeriod: boolean;
}

/** Every parsable line of the log in order, also past a break, so the bundle shows the whole period. */
async function readLogLines(dir: string, from: number, to: number): Promise<LogLine[]> {
  const lines: LogLine[] = [];
  for (const name of sortAuditFiles(await readdir(dir))) {
    const content = await readFile(join(dir, name), 'utf8');
    for (const text of content.split('\n')) {
      if (text === '') continue;
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(text) as Record<string, unknown>;
      } catch {
        continue; // a partial line left by a crash
      }
      if (typeof entry.seq !== 'number') continue;
      const checkpoint = entry.type === 'checkpoint';
      if (!checkpoint && (entry.type !== undefined || typeof entry.timestamp !== 'string')) continue;
      const time = checkpoint ? Number.NaN : Date.parse(entry.timestamp as string);
      lines.push({ text, seq: entry.seq, checkpoint, inPeriod: time >= from && time < to });
    }
  }
  return lines;
}

/**
 * The stretch of the log that proves the period's records: from the first of them to the first
 * checkpoint at or after the last of them (records and checkpoints in log order). Without such a
 * checkpoint (a live tail) it ends at the last record of the period, and `signedThrough` says so.
 */
export function chainSegment(lines: ReadonlyArray<LogLine>): {
  lines: string[];
  fromSeq: number;
  toSeq: number;
  signedThrough: number | undefined;
} {
  const period = lines.filter((line) => !line.checkpoint && line.inPeriod);
  if (period.length === 0) return { lines: [], fromSeq: 0, toSeq: 0, signedThrough: undefined };
  const fromSeq = Math.min(...period.map((line) => line.seq));
  const lastSeq = Math.max(...period.map((line) => line.seq));
  const cover = lines.find((line) => line.checkpoint && line.seq >= lastSeq);
  const toSeq = cover?.seq ?? lastSeq;
  const segment: string[] = [];
  for (const line of lines) {
    if (line.seq < fromSeq || line.seq > toSeq) continue;
    segment.push(line.text);
    if (line === cover) break;
  }
  let signedThrough: number | undefined;
  for (const line of lines)
    if (line.checkpoint && line.seq >= fromSeq && line.seq <= toSeq) signedThrough = line.seq;
  return { lines: segment, fromSeq, toSeq, signedThrough };
}

/** Signs a manifest body (canonical JSON without `signature`) with the log's key. */
export function signManifest(
  body: Omit<EvidenceManifest, 'signature'>,
  key: KeyObject | string,
): EvidenceManifest {
  const privateKey = toPrivateKey(key);
  const value = sign(null, Buffer.from(canonicalJson(body)), privateKey).toString('base64');
  return { ...body, signature: { keyId: auditKeyId(privateKey), value } };
}

async function prepareOut(out: string): Promise<void> {
  await mkdir(out, { recursive: true });
  if ((await readdir(out)).length > 0) {
    throw new GatewayError(
      'VALIDATION_ERROR',
      `The output directory ${out} is not empty; choose a new one.`,
      {
        param: 'out',
      },
    );
  }
  await mkdir(join(out, 'public-keys'));
}

/** The summary's view of the whole log's verification. */
export function verificationSummary(verification: AuditVerification): EvidenceSummary['verification'] {
  return {
    ok: verification.ok,
    records: verification.records,
    checkpoints: verification.checkpoints,
    keyIds: verification.keyIds,
    ...(verification.firstBroken ? { firstBroken: verification.firstBroken } : {}),
  };
}

/**
 * Writes a self-verifying evidence bundle for a period: `records.jsonl` (the period's records
 * exactly as logged, chain fields included), `chain.jsonl` (the stretch of the log from the first
 * of them to the signed checkpoint that covers the last, so the records prove themselves against
 * the log's key without the log), `verification.json` (the verdict on the whole log),
 * `public-keys/<key id>.pem`, `summary.json` (counts by tenant, model, outcome, label, error code
 * and day), `report.html` (a readable, self-contained page) and `manifest.json` (the SHA-256 of
 * every file, the records and checkpoints covered, signed with `signingKey` when given).
 * `verifyEvidenceBundle` checks all of it offline. Records are selected by their `timestamp`,
 * `from` inclusive and `to` exclusive. A broken log is still exported, with the failure stated.
 *
 * @throws GatewayError VALIDATION_ERROR for a bad period or a non-empty `out` directory.
 */
export async function exportEvidence(options: ExportEvidenceOptions): Promise<EvidenceBundle> {
  const from = parseInstant(options.from, 'from');
  const to = parseInstant(options.to, 'to');
  if (to <= from)
    throw new GatewayError('VALIDATION_ERROR', '`to` must be later than `from`.', { param: 'to' });
  const verification = await verifyAuditLog(options.dir, {
    publicKeys: options.publicKeys,
    ...(options.now ? { now: options.now } : {}),
  });
  await prepareOut(options.out);
  const lines = await readLogLines(options.dir, from, to);
  const records = lines.filter((line) => !line.checkpoint && line.inPeriod).map((line) => line.text);
  const segment = chainSegment(lines);
  const builder = new EvidenceSummaryBuilder();
  for (const text of records) builder.add(JSON.parse(text) as Record<string, unknown>);

  const files: Record<string, string> = {};
  const put = async (name: string, content: string): Promise<void> => {
    await writeFile(join(options.out, name), content, { mode: 0o640 });
    files[name] = createHash('sha256').update(content).digest('hex');
  };
  await put('records.jsonl', records.map((line) => `${line}\n`).join(''));
  await put('chain.jsonl', segment.lines.map((line) => `${line}\n`).join(''));
  await put('verification.json', `${JSON.stringify(verification, null, 2)}\n`);
  const keys = Array.isArray(options.publicKeys) ? options.publicKeys : Object.values(options.publicKeys);
  for (const key of keys) {
    await put(`public-keys/${auditKeyId(key).replace(/[^A-Za-z0-9_.-]/g, '_')}.pem`, publicKeyPem(key));
  }
  const period = { from: new Date(from).toISOString(), to: new Date(to).toISOString() };
  const generatedAt = new Date(options.now?.() ?? Date.now()).toISOString();
  const summary = builder.build({ period, generatedAt, verification: verificationSummary(verification) });
  await put('summary.json', `${JSON.stringify(summary, null, 2)}\n`);
  await put('report.html', renderEvidenceHtml(summary, sortedFiles(files)));
  const body: Omit<EvidenceManifest, 'signature'> = {
    format: EVIDENCE_FORMAT,
    period,
    generatedAt,
    records: records.length,
    chain: {
      fromSeq: segment.fromSeq,
      toSeq: segment.toSeq,
      ...(segment.signedThrough === undefined ? {} : { signedThrough: segment.signedThrough }),
    },
    files: sortedFiles(files),
  };
  const manifest = options.signingKey ? signManifest(body, options.signingKey) : body;
  await writeFile(join(options.out, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`, {
    mode: 0o640,
  });
  return { out: options.out, files, verification, summary, manifest };
}

/** Files by name, so the page and the manifest list them in one stable order. */
export function sortedFiles(files: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(files).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
