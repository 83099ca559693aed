import { z } from 'zod';
import { ERROR_CODES } from '../errors/error-codes.ts';
import {
  modelCapabilitiesSchema,
  modelLifecycleSchema,
  modelPricingSchema,
} from '../models/model-descriptor.ts';
import { generationWarningSchema } from '../provider/warning.ts';

/**
 * The response bodies of the HTTP surface as zod schemas. The OpenAPI document is generated from
 * these and from the request schemas, and the contract tests check real responses against that
 * document, so the prose, the schema and the wire cannot drift apart.
 */

/** One image of OpenAI's `ImagesResponse.data`. */
export const openAIImageDataSchema = z.object({
  b64_json: z.string().optional().describe('The image, base64-encoded (response_format b64_json).'),
  url: z.string().optional().describe('A signed, short-lived URL of the stored image (response_format url).'),
  revised_prompt: z.string().optional().describe('The prompt the model really used, when it rewrote it.'),
});

/** OpenAI's token usage of an image request (`ImagesUsage`). */
export const openAIImagesUsageSchema = z.object({
  input_tokens: z.number().int(),
  output_tokens: z.number().int(),
  total_tokens: z.number().int(),
  input_tokens_details: z.object({ text_tokens: z.number().int(), image_tokens: z.number().int() }),
});

/** The settings OpenAI echoes next to images, where pixelgate knows them. */
const echoedSettingsShape = {
  size: z.string().optional().describe('WIDTHxHEIGHT of the images made.'),
  quality: z.string().optional().describe('The quality used, when the model has that setting.'),
  background: z.string().optional().describe('The background used, when the model has that setting.'),
  output_format: z.string().optional().describe('png, jpeg or webp: the encoding of the images.'),
};

/** OpenAI's `ImagesResponse`. */
export const openAIImagesResponseSchema = z.object({
  created: z.number().int().describe('Unix time (seconds) of the response.'),
  data: z.array(openAIImageDataSchema),
  ...echoedSettingsShape,
  usage: openAIImagesUsageSchema.optional().describe('Token usage, when the provider reports it.'),
});

/**
 * One event of a streamed request (`stream: true`), as the `data:` line of a server-sent event
 * whose `event:` is the same as `type`: partial images, one completed event per image, and an
 * `error` event when the request fails after the stream began.
 */
export const imageStreamEventSchema = z.union([
  z.object({
    type: z.enum(['image_generation.partial_image', 'image_edit.partial_image']),
    b64_json: z.string(),
    created_at: z.number().int(),
    partial_image_index: z.number().int().describe('0-based index of the partial image.'),
    ...echoedSettingsShape,
  }),
  z.object({
    type: z.enum(['image_generation.completed', 'image_edit.completed']),
    b64_json: z.string().optional(),
    url: z.string().optional().describe('Only with response_format url.'),
    created_at: z.number().int(),
    ...echoedSettingsShape,
    usage: openAIImagesUsageSchema
      .optional()
      .describe("The request's token usage, on its last completed event."),
  }),
  z.object({
    type: z.literal('error'),
    error: z
      .looseObject({ code: z.string(), message: z.string(), param: z.string().nullable() })
      .describe("The route's error envelope (OpenAI's or the native one); the stream ends after it."),
  }),
]);

/** One image of the native generation response. */
export const nativeImageSchema = z.object({
  b64_json: z.string().optional(),
  url: z.string().optional(),
  url_expires_at: z.string().optional().describe('ISO 8601 time at which the URL stops working.'),
  revised_prompt: z.string().optional(),
  media_type: z.string(),
  width: z.number().int().optional(),
  height: z.number().int().optional(),
  seed: z.number().int().optional(),
  sha256: z.string().describe('sha256 of the delivered bytes, as written in the audit record.'),
  size_bytes: z.number().int(),
  labels: z.array(z.string()),
  provenance: z
    .object({ manifest_sha256: z.string(), signer_fingerprint: z.string().optional() })
    .optional()
    .describe(
      'Set when the image carries signed Content Credentials (C2PA): the manifest hash and the signer.',
    ),
});

/** The native generation response. */
export const nativeGenerationResponseSchema = z.object({
  request_id: z.string(),
  created: z.number().int(),
  model: z.string().describe('The model that answered (provider/id), after any fallback.'),
  provider: z.string(),
  data: z.array(nativeImageSchema),
  warnings: z.array(generationWarningSchema),
  labels: z.array(z.string()),
  cost: z.object({
    estimated_usd: z.number().optional(),
    actual_usd: z.number().optional(),
    basis: z.string(),
  }),
  usage: z.record(z.string(), z.number()).optional(),
  metadata: z.record(z.string(), z.string()).optional(),
});

/** One model in OpenAI's list shape, with pixelgate's facts under `pixelgate`. */
export const modelObjectSchema = z.object({
  id: z.string().describe('provider/model'),
  object: z.literal('model'),
  created: z.number().int(),
  owned_by: z.string(),
  pixelgate: z.object({
    provider: z.string(),
    model: z.string(),
    aliases: z.array(z.string()),
    display_name: z.string().optional(),
    description: z.string().optional(),
    capabilities: modelCapabilitiesSchema,
    defaults: z.record(z.string(), z.unknown()),
    lifecycle: modelLifecycleSchema,
    pricing: modelPricingSchema.optional(),
  }),
});

/** `GET /v1/models`. */
export const modelListSchema = z.object({ object: z.literal('list'), data: z.array(modelObjectSchema) });

/** OpenAI's error body, on the OpenAI-compatible routes. */
export const openAIErrorEnvelopeSchema = z.object({
  error: z.object({
    message: z.string(),
    type: z.string(),
    param: z.string().nullable(),
    code: z
      .string()
      .describe("pixelgate's error code in lower case (content_policy_violation for content blocks)."),
  }),
});

/** pixelgate's native error body, on the native routes. */
export const nativeErrorEnvelopeSchema = z.object({
  error: z.object({
    code: z.enum(ERROR_CODES),
    message: z.string().describe('What was wrong and what is accepted, in plain words.'),
    param: z.string().nullable().describe('The offending field, when one field is at fault.'),
    details: z.record(z.string(), z.unknown()).nullable(),
    request_id: z.string().nullable(),
  }),
});
