import { createHash, type KeyObject, verify } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { GatewayError } from '../../errors/gateway-error.ts';
import { canonicalJson } from '../canonical-json.ts';
import { type AuditPublicKeys, ChainVerifier, isAuditBreak, keyMap } from './chain-verifier.ts';
import { renderEvidenceHtml } from './evidence-html.ts';
import { EVIDENCE_FORMAT, type EvidenceManifest } from './evidence-manifest.ts';
import { type EvidenceSummary, EvidenceSummaryBuilder } from './evidence-summary.ts';

/** Options of {@link verifyEvidenceBundle}. */
export interface VerifyEvidenceBundleOptions {
  /**
   * Keys trusted for the checkpoints and the manifest signature. Default: the keys inside the
   * bundle (`public-keys/`), which proves the bundle is consistent but not who made it; pass an
   * independent copy of the log's public key for that.
   */
  publicKeys?: AuditPublicKeys;
}

/** The verdict on an evidence bundle. */
export interface EvidenceBundleVerification {
  ok: boolean;
  period?: { from: string; to: string };
  /** Records of the period (`records.jsonl`). */
  records: number;
  /** Records and valid checkpoints in `chain.jsonl`. */
  chainRecords: number;
  checkpoints: number;
  /** Every record up to this `seq` is proven by a signed checkpoint. */
  signedThrough?: { seq: number; at: string };
  keyIds: string[];
  /** Where the trusted keys came from. */
  keysFrom: 'given' | 'bundle';
  /** Whether `manifest.json` carries a valid signature (false: unsigned). */
  manifestSigned: boolean;
  /** Files whose hash was checked against the manifest. */
  files: number;
  /** The first problem found, in plain words. */
  problem?: string;
}

class BundleProblem extends Error {}

function fail(message: string): never {
  throw new BundleProblem(message);
}

/** True when `dir` holds an evidence bundle (a `manifest.json` of the bundle format). */
export async function isEvidenceBundle(dir: string): Promise<boolean> {
  try {
    const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as { format?: unknown };
    return manifest.format === EVIDENCE_FORMAT || (await readdir(dir)).includes('records.jsonl');
  } catch {
    return false;
  }
}

async function listFiles(dir: string, base = dir): Promise<string[]> {
  const names: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) names.push(...(await listFiles(path, base)));
    else names.push(relative(base, path).split('\\').join('/'));
  }
  return names;
}

async function readManifest(dir: string): Promise<EvidenceManifest> {
  let manifest: EvidenceManifest;
  try {
    manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as EvidenceManifest;
  } catch {
    fail('manifest.json is missing or not JSON');
  }
  if (manifest.format !== EVIDENCE_FORMAT) {
    fail(
      `manifest.json is not a ${EVIDENCE_FORMAT} manifest (a bundle from an older export? export it again)`,
    );
  }
  return manifest;
}

/** Every file listed, with the hash listed, and nothing else. */
async function checkFiles(dir: string, manifest: EvidenceManifest): Promise<Map<string, Buffer>> {
  const present = (await listFiles(dir)).filter((name) => name !== 'manifest.json').sort();
  const listed = Object.keys(manifest.files).sort();
  const extra = present.filter((name) => !(name in manifest.files));
  if (extra.length > 0) fail(`${extra[0]} is in the bundle but not in the manifest (added)`);
  const contents = new Map<string, Buffer>();
  for (const name of listed) {
    if (!present.includes(name)) fail(`${name} is in the manifest but missing from the bundle`);
    const content = await readFile(join(dir, name));
    if (createHash('sha256').update(content).digest('hex') !== manifest.files[name])
      fail(`${name} does not match its SHA-256 in the manifest (changed)`);
    contents.set(name, content);
  }
  return contents;
}

function bundleKeys(
  contents: Map<string, Buffer>,
  given: AuditPublicKeys | undefined,
): Map<string, KeyObject> {
  if (given) return keyMap(given);
  const pems = [...contents]
    .filter(([name]) => name.startsWith('public-keys/'))
    .map(([, pem]) => pem.toString());
  if (pems.length === 0) fail('the bundle holds no public key; pass one with --public-key');
  return keyMap(pems);
}

function checkManifestSignature(manifest: EvidenceManifest, keys: Map<string, KeyObject>): boolean {
  if (!manifest.signature) return false;
  const { signature, ...body } = manifest;
  const key = keys.get(signature.keyId);
  if (!key) fail(`manifest signed by unknown key "${signature.keyId}"`);
  let valid = false;
  try {
    valid = verify(null, Buffer.from(canonicalJson(body)), key, Buffer.from(signature.value, 'base64'));
  } catch {
    valid = false;
  }
  if (!valid) fail('the manifest signature is invalid (the manifest was changed)');
  return true;
}

/** Checks `chain.jsonl` as a stretch of the log; returns its records by `seq`. */
function checkChain(text: string, manifest: EvidenceManifest, chain: ChainVerifier): Map<number, string> {
  const records = new Map<number, string>();
  const lines = text.split('\n').slice(0, -1);
  for (let index = 0; index < lines.length; index++) {
    const checked = chain.line(lines[index]!, 'chain.jsonl', index + 1);
    if (isAuditBreak(checked)) fail(`chain.jsonl line ${checked.line}: ${checked.reason}`);
    if (!checked.checkpoint) records.set(checked.entry.seq as number, lines[index]!);
  }
  if (manifest.records === 0 && lines.length === 0) return records;
  if (chain.lastSeq !== manifest.chain.toSeq) {
    fail(
      `chain.jsonl ends at seq ${chain.lastSeq} but the manifest says ${manifest.chain.toSeq} (truncated)`,
    );
  }
  if (chain.unsigned > 0) {
    fail(
      `${chain.unsigned} record(s) of chain.jsonl after seq ${chain.checkpointSeq} are not covered by a signed checkpoint (exported from a live tail; export again after the next checkpoint)`,
    );
  }
  return records;
}

/** `records.jsonl` must be exactly the chain's records whose timestamp is in the period. */
function checkRecords(text: string, manifest: EvidenceManifest, chainRecords: Map<number, string>): string[] {
  const lines = text.split('\n').slice(0, -1);
  if (lines.length !== manifest.records)
    fail(`records.jsonl holds ${lines.length} records, the manifest ${manifest.records}`);
  const from = Date.parse(manifest.period.from);
  const to = Date.parse(manifest.period.to);
  const expected = [...chainRecords.values()].filter((line) => {
    const time = Date.parse(String((JSON.parse(line) as { timestamp?: unknown }).timestamp));
    return time >= from && time < to;
  });
  for (let index = 0; index < Math.max(lines.length, expected.length); index++) {
    if (lines[index] !== expected[index]) {
      fail(
        `records.jsonl line ${index + 1} is not the chain's record of the period at that place (a record was changed, added or left out)`,
      );
    }
  }
  return lines;
}

/** `summary.json` and `report.html` must be what the records give. */
function checkDerived(contents: Map<string, Buffer>, manifest: EvidenceManifest, records: string[]): void {
  const summary = JSON.parse(contents.get('summary.json')?.toString() ?? 'null') as EvidenceSummary | null;
  if (!summary) fail('summary.json is missing');
  const builder = new EvidenceSummaryBuilder();
  for (const line of records) builder.add(JSON.parse(line) as Record<string, unknown>);
  const expected = builder.build({
    period: manifest.period,
    generatedAt: summary.generatedAt,
    verification: summary.verification,
  });
  if (`${JSON.stringify(expected, null, 2)}\n` !== contents.get('summary.json')!.toString()) {
    fail('summary.json does not match the records of the bundle');
  }
  const { 'report.html': _report, ...others } = manifest.files;
  if (renderEvidenceHtml(summary, others) !== contents.get('report.html')?.toString()) {
    fail('report.html does not match the summary of the bundle');
  }
}

/**
 * Checks an evidence bundle offline, without the log: every file against the manifest's SHA-256
 * (and nothing added), the manifest's signature when it has one, `chain.jsonl` as an unbroken
 * stretch of the log ending in a checkpoint signed by a trusted key (so every record in it is
 * proven), `records.jsonl` as exactly that stretch's records of the period, and `summary.json` and
 * `report.html` as what those records give.
 */
export async function verifyEvidenceBundle(
  dir: string,
  options: VerifyEvidenceBundleOptions = {},
): Promise<EvidenceBundleVerification> {
  const result: EvidenceBundleVerification = {
    ok: false,
    records: 0,
    chainRecords: 0,
    checkpoints: 0,
    keyIds: [],
    keysFrom: options.publicKeys ? 'given' : 'bundle',
    manifestSigned: false,
    files: 0,
  };
  try {
    const manifest = await readManifest(dir);
    result.period = manifest.period;
    const contents = await checkFiles(dir, manifest);
    result.files = contents.size;
    const keys = bundleKeys(contents, options.publicKeys);
    result.manifestSigned = checkManifestSignature(manifest, keys);
    const chain = new ChainVerifier(keys, {
      seq: manifest.chain.fromSeq - 1,
      hash: undefined,
      checkpointN: undefined,
    });
    const chainRecords = checkChain(contents.get('chain.jsonl')?.toString() ?? '', manifest, chain);
    Object.assign(result, {
      chainRecords: chain.records,
      checkpoints: chain.checkpoints,
      keyIds: [...chain.keyIds].sort(),
    });
    if (chain.lastCheckpoint)
      result.signedThrough = { seq: chain.lastCheckpoint.seq, at: chain.lastCheckpoint.timestamp };
    const records = checkRecords(contents.get('records.jsonl')?.toString() ?? '', manifest, chainRecords);
    result.records = records.length;
    checkDerived(contents, manifest, records);
    result.ok = true;
  } catch (error) {
    if (error instanceof BundleProblem) result.problem = error.message;
    else if (GatewayError.isInstance(error)) result.problem = error.message;
    else throw error;
  }
  return result;
}
