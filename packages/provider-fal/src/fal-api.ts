/**
 * Lenient schemas of what fal sends back: required fields are required, anything extra is
 * tolerated so a new upstream field does not break generation.
 */
import { z } from 'zod';

/** `POST https://queue.fal.run/{model}`: the request id and the URLs to follow it. */
export const falSubmitResponseSchema = z.looseObject({
  request_id: z.string().min(1),
  status_url: z.string().min(1),
  response_url: z.string().min(1),
  cancel_url: z.string().min(1).nullish(),
  queue_position: z.number().int().nullish(),
});
/** A parsed submit answer. */
export type FalSubmitResponse = z.infer<typeof falSubmitResponseSchema>;

/** `GET status_url`: `IN_QUEUE` (with the position), `IN_PROGRESS`, `COMPLETED`. */
export const falStatusResponseSchema = z.looseObject({
  status: z.string().min(1),
  queue_position: z.number().int().nullish(),
  response_url: z.string().nullish(),
  /** UNCONFIRMED: some completed runs carry an error text here instead of failing the result. */
  error: z.string().nullish(),
});

/** The model output (from `response_url` or the synchronous endpoint). */
export const falOutputSchema = z.looseObject({
  images: z.array(
    z.looseObject({
      url: z.string().min(1),
      width: z.number().int().nullish(),
      height: z.number().int().nullish(),
      content_type: z.string().nullish(),
    }),
  ),
  seed: z.number().int().nonnegative().nullish(),
  /** One flag per image, when the model's safety checker ran. */
  has_nsfw_concepts: z.array(z.boolean()).nullish(),
  prompt: z.string().nullish(),
});
/** A parsed model output. */
export type FalOutput = z.infer<typeof falOutputSchema>;

/** Error bodies: `{ detail: string | [{ loc, msg, type }] }`. */
export const falErrorBodySchema = z.looseObject({
  detail: z
    .union([
      z.string(),
      z.array(
        z.looseObject({
          loc: z.array(z.union([z.string(), z.number()])).nullish(),
          msg: z.string().nullish(),
          type: z.string().nullish(),
        }),
      ),
    ])
    .nullish(),
});
/** A parsed error body. */
export type FalErrorBody = z.infer<typeof falErrorBodySchema>;
