/**
 * Lenient schemas of what BFL sends back: required fields are required, anything extra is
 * tolerated so a new upstream field does not break generation.
 */
import { z } from 'zod';

/** `POST /v1/{endpoint}`: the task id and where to poll it (`cost` in credits in newer replies). */
export const bflSubmitResponseSchema = z.looseObject({
  id: z.string().min(1),
  polling_url: z.string().min(1).nullish(),
  cost: z.number().nonnegative().nullish(),
});

/** Statuses meaning "not finished yet". `Queued` and `Processing` are UNCONFIRMED extras. */
export const BFL_PENDING_STATUSES = ['Pending', 'Queued', 'Processing'] as const;
/** Statuses meaning moderation refused the prompt or the output: `content_filtered`, never retried. */
export const BFL_MODERATED_STATUSES = ['Request Moderated', 'Content Moderated'] as const;

/** `GET polling_url`: the status and, once `Ready`, `result.sample` (a URL that expires). */
export const bflPollResponseSchema = z.looseObject({
  id: z.string().nullish(),
  status: z.string().min(1),
  result: z
    .looseObject({
      sample: z.string().nullish(),
      seed: z.number().int().nonnegative().nullish(),
      prompt: z.string().nullish(),
    })
    .nullish(),
  details: z.unknown().optional(),
});
/** A parsed poll answer. */
export type BflPollResponse = z.infer<typeof bflPollResponseSchema>;

/** Error bodies: FastAPI style `{ detail: string | [{ loc, msg, type }] }`. */
export const bflErrorBodySchema = z.looseObject({
  detail: z
    .union([
      z.string(),
      z.array(
        z.looseObject({
          loc: z.array(z.union([z.string(), z.number()])).nullish(),
          msg: z.string().nullish(),
        }),
      ),
    ])
    .nullish(),
});
/** A parsed error body. */
export type BflErrorBody = z.infer<typeof bflErrorBodySchema>;
