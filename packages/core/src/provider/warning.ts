import { z } from 'zod';

/**
 * A change or limitation the caller should know about. pixelgate never changes a request silently:
 * every coercion, unsupported setting, deprecation or partial result becomes one of these, in the
 * result, in the events and in the audit record.
 */
export const generationWarningSchema = z.strictObject({
  type: z.enum([
    'coerced',
    'unsupported',
    'deprecated',
    'partial',
    'content_filtered',
    'fallback',
    /** An edit's mask was redrawn in the model's convention (alpha ↔ luminance). */
    'mask_converted',
    'other',
  ]),
  /** The request field concerned. */
  param: z.string().optional(),
  message: z.string(),
  /** The value the caller asked for. */
  from: z.unknown().optional(),
  /** The value used instead. */
  to: z.unknown().optional(),
});
/** A warning. */
export type GenerationWarning = z.infer<typeof generationWarningSchema>;
