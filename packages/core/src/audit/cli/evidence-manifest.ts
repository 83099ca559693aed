/** The `format` of a bundle's `manifest.json`. */
export const EVIDENCE_FORMAT = 'pixelgate-evidence/1';

/**
 * `manifest.json` of an evidence bundle: what the bundle covers and the SHA-256 of every other
 * file in it. `signature`, when present, is an Ed25519 signature (base64) by the log's key over
 * the canonical JSON of every other field, so no file can be changed, added or removed unnoticed.
 */
export interface EvidenceManifest {
  format: typeof EVIDENCE_FORMAT;
  period: { from: string; to: string };
  generatedAt: string;
  /** Records of the period, in `records.jsonl`. */
  records: number;
  /**
   * The stretch of the log in `chain.jsonl`: records `fromSeq`..`toSeq` and the checkpoints among
   * them; `signedThrough` is the last of those checkpoints (absent when none covers the period).
   */
  chain: { fromSeq: number; toSeq: number; signedThrough?: number };
  /** Every file of the bundle but the manifest, by path, with its SHA-256 (hex). */
  files: Record<string, string>;
  signature?: { keyId: string; value: string };
}
