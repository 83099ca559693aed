import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GatewayError } from '../../errors/gateway-error.ts';
import { auditKeyId, publicKeyPem, sortAuditFiles } from '../audit-chain.ts';
import { renderEvidenceHtml } from './evidence-html.ts';
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

/**
 * Writes an evidence bundle for a period: `records.jsonl` (the period's records exactly as
 * logged, chain fields included), `verification.json` (the verdict on the whole log),
 * `public-keys/<key id>.pem`, `summary.json` (counts by tenant, model, outcome, label, error code
 * and day), `report.html` (a readable, self-contained page with charts) and `manifest.json`
 * (SHA-256 of every file). Records are selected by their `timestamp`, `from` inclusive and `to`
 * exclusive. A broken log is still exported, with the failure stated in every summary.
 *
 * @throws GatewayError VALIDATION_ERROR for a bad period or a non-empty `out` directory.
 */
export async function exportEvidence(options: ExportEvidenceOptions): Promise<EvidenceBundle> {
  const from = parseInstant(options.from, 'from');
  const to = parseInstant(options.to, 'to');
  if (to <= from)
    throw new GatewayError('VALIDATION_ERROR', '`to` must be later than `from`.', { param: 'to' });
  await mkdir(options.out, { recursive: true });
  if ((await readdir(options.out)).length > 0) {
    throw new GatewayError(
      'VALIDATION_ERROR',
      `The output directory ${options.out} is not empty; choose a new one.`,
      { param: 'out' },
    );
  }

  const verification = await verifyAuditLog(options.dir, { publicKeys: options.publicKeys });
  const builder = new EvidenceSummaryBuilder();
  const selected: string[] = [];
  // Read every record line, also past a break, so the bundle shows the whole period.
  for (const name of sortAuditFiles(await readdir(options.dir))) {
    const content = await readFile(join(options.dir, name), 'utf8');
    for (const line of content.split('\n')) {
      if (line === '' || line.includes('"type":"checkpoint"')) continue;
      let record: Record<string, unknown>;
      try {
        record = JSON.parse(line) as Record<string, unknown>;
      } catch {
        continue;
      }
      if (record.type !== undefined || typeof record.timestamp !== 'string') continue;
      const time = Date.parse(record.timestamp);
      if (!(time >= from && time < to)) continue;
      selected.push(line);
      builder.add(record);
    }
  }

  const files: Record<string, string> = {};
  const put = async (name: string, content: string): Promise<void> => {
    await writeFile(join(options.out, name), content, { mode: 0o640 });
    files[name] = createHash('sha256').update(content).digest('hex');
  };
  await put('records.jsonl', selected.map((line) => `${line}\n`).join(''));
  await put('verification.json', `${JSON.stringify(verification, null, 2)}\n`);
  await mkdir(join(options.out, 'public-keys'));
  const keys = Array.isArray(options.publicKeys) ? options.publicKeys : Object.values(options.publicKeys);
  for (const key of keys) {
    const id = auditKeyId(key);
    await put(`public-keys/${id.replace(/[^A-Za-z0-9_.-]/g, '_')}.pem`, publicKeyPem(key));
  }
  const summary = builder.build({
    period: { from: new Date(from).toISOString(), to: new Date(to).toISOString() },
    generatedAt: new Date(options.now?.() ?? Date.now()).toISOString(),
    verification: {
      ok: verification.ok,
      records: verification.records,
      checkpoints: verification.checkpoints,
      keyIds: verification.keyIds,
      ...(verification.firstBroken ? { firstBroken: verification.firstBroken } : {}),
    },
  });
  await put('summary.json', `${JSON.stringify(summary, null, 2)}\n`);
  await put('report.html', renderEvidenceHtml(summary, { ...files }));
  await writeFile(join(options.out, 'manifest.json'), `${JSON.stringify({ files }, null, 2)}\n`, {
    mode: 0o640,
  });
  return { out: options.out, files, verification, summary };
}
