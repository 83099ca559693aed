import { z } from 'zod';
import { generationWarningSchema } from '../provider/warning.ts';

/** One verdict as the audit record keeps it. */
export const auditVerdictSchema = z.strictObject({
  guardrail: z.string(),
  stage: z.enum(['input', 'output']),
  action: z.enum(['allow', 'flag', 'redact', 'block']),
  labels: z.array(z.string()),
  reason: z.string().optional(),
});

/** One produced image as the audit record keeps it: facts, never bytes. */
export const auditImageSchema = z.strictObject({
  sha256: z.string(),
  sizeBytes: z.number().int().nonnegative(),
  mediaType: z.string(),
  width: z.number().int().optional(),
  height: z.number().int().optional(),
  storageKey: z.string().optional(),
  /** `sha256:<hex>` of the signed C2PA manifest store in the delivered image (content provenance). */
  manifestHash: z.string().optional(),
  /** `sha256:<hex>` of the certificate that signed that manifest. */
  signerFingerprint: z.string().optional(),
});

/** One input image of an edit or variation (or its mask): facts, never bytes. */
export const auditInputImageSchema = z.strictObject({
  /** The request field (`image`, `image[2]`, `mask`). */
  field: z.string(),
  sha256: z.string(),
  sizeBytes: z.number().int().nonnegative(),
  mediaType: z.string(),
  width: z.number().int(),
  height: z.number().int(),
});

/**
 * The one record every request leaves, whatever happened. It holds what a compliance review needs
 * (who, what, verdicts, outcome, cost, timings) and never image bytes, base64 or credentials. The
 * chain fields (`seq`, `prevHash`, `hash`) are added by chaining sinks.
 */
export const auditRecordSchema = z.strictObject({
  /** Record format version. */
  v: z.literal(1),
  requestId: z.string(),
  /** ISO time the request started. */
  timestamp: z.string(),
  tenantId: z.string(),
  userId: z.string().optional(),
  keyId: z.string().optional(),
  /** Route or entry point (`http:openai`, `http:native`, `library`). */
  source: z.string(),
  /** What was asked: `generate` (absent in records written before edits existed), `edit`, `variation`. */
  operation: z.enum(['generate', 'edit', 'variation']).optional(),
  /** The model as asked for, and as resolved (`provider/id`). */
  requestedModel: z.string().optional(),
  model: z.string().optional(),
  provider: z.string().optional(),
  /** Fallback models tried, in order, with their outcome. */
  attempts: z
    .array(z.strictObject({ model: z.string(), outcome: z.string(), errorCode: z.string().optional() }))
    .default([]),
  /** Request parameters except the prompt (sizes, n, quality, ...). */
  parameters: z.record(z.string(), z.unknown()).default({}),
  prompt: z
    .strictObject({
      /** SHA-256 of the prompt as received. */
      sha256: z.string(),
      length: z.number().int(),
      /** `hash`: no text; `redacted`: text with detected PII masked; `full`: as received. */
      retention: z.enum(['hash', 'redacted', 'full']),
      text: z.string().optional(),
    })
    .optional(),
  metadata: z.record(z.string(), z.string()).optional(),
  verdicts: z.array(auditVerdictSchema).default([]),
  labels: z.array(z.string()).default([]),
  outcome: z.enum(['success', 'partial', 'blocked', 'rejected', 'failed']),
  error: z
    .strictObject({
      code: z.string(),
      message: z.string(),
      param: z.string().optional(),
      reason: z.string().optional(),
    })
    .optional(),
  warnings: z.array(generationWarningSchema).default([]),
  images: z.array(auditImageSchema).default([]),
  /** Edits and variations: the input images and mask as checked (hashes and sizes, never bytes). */
  inputImages: z.array(auditInputImageSchema).optional(),
  /** Streamed requests: whether the model streamed natively and the partial images sent (never kept). */
  stream: z
    .strictObject({
      native: z.boolean(),
      partialImagesRequested: z.number().int().nonnegative(),
      partialImagesSent: z.number().int().nonnegative(),
    })
    .optional(),
  cost: z
    .strictObject({
      estimatedUsd: z.number().optional(),
      actualUsd: z.number().optional(),
      basis: z.string(),
    })
    .optional(),
  usage: z.record(z.string(), z.number()).optional(),
  timings: z.record(z.string(), z.number()).default({}),
  upstreamRequestIds: z.array(z.string()).default([]),
});
/** An audit record. */
export type AuditRecord = z.infer<typeof auditRecordSchema>;
/** An audit record as the pipeline builds it. */
export type AuditRecordInput = z.input<typeof auditRecordSchema>;

/**
 * Where audit records go. `write` resolves once the record is as durable as the sink promises;
 * the pipeline waits for it, so a request never answers before its record is kept.
 */
export interface AuditSink {
  write(record: AuditRecord): Promise<void>;
  flush?(): Promise<void>;
  close?(): Promise<void>;
  /**
   * Resolves once the backing service answered a trivial request; rejects when it cannot be
   * reached (readiness probes call it with a time limit). Optional: in-process stores have nothing
   * to check. The rejection's message must not carry a secret (no URL with a password).
   */
  check?(): Promise<void>;
}
