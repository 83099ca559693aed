/**
 * Lenient schemas of what Google's image APIs send back (`:predict` for Imagen, `generateContent`
 * for Gemini image models): every field is `nullish` and unknown fields are kept, so a new field
 * upstream never breaks generation; the parsers decide what is required.
 */
import { z } from 'zod';

const safetyAttributesSchema = z.looseObject({
  categories: z.array(z.string()).nullish(),
  scores: z.array(z.number()).nullish(),
});

/** One entry of `predictions[]`: an image, the scored prompt, or a filter reason. */
export const predictionSchema = z.looseObject({
  bytesBase64Encoded: z.string().nullish(),
  mimeType: z.string().nullish(),
  gcsUri: z.string().nullish(),
  prompt: z.string().nullish(),
  raiFilteredReason: z.string().nullish(),
  contentType: z.string().nullish(),
  safetyAttributes: safetyAttributesSchema.nullish(),
});

/** The `:predict` answer. */
export const predictResponseSchema = z.looseObject({ predictions: z.array(predictionSchema).nullish() });
/** A parsed `:predict` answer. */
export type PredictResponse = z.infer<typeof predictResponseSchema>;

const partSchema = z.looseObject({
  text: z.string().nullish(),
  thought: z.boolean().nullish(),
  inlineData: z.looseObject({ mimeType: z.string().nullish(), data: z.string().nullish() }).nullish(),
});

/** Per-modality token counts in `usageMetadata`. */
export const modalityCountSchema = z
  .array(z.looseObject({ modality: z.string().nullish(), tokenCount: z.number().nullish() }))
  .nullish();

/** The `generateContent` answer. */
export const generateResponseSchema = z.looseObject({
  candidates: z
    .array(
      z.looseObject({
        content: z.looseObject({ parts: z.array(partSchema).nullish() }).nullish(),
        finishReason: z.string().nullish(),
        finishMessage: z.string().nullish(),
      }),
    )
    .nullish(),
  promptFeedback: z
    .looseObject({ blockReason: z.string().nullish(), blockReasonMessage: z.string().nullish() })
    .nullish(),
  usageMetadata: z
    .looseObject({
      promptTokenCount: z.number().nullish(),
      candidatesTokenCount: z.number().nullish(),
      thoughtsTokenCount: z.number().nullish(),
      totalTokenCount: z.number().nullish(),
      promptTokensDetails: modalityCountSchema,
      candidatesTokensDetails: modalityCountSchema,
    })
    .nullish(),
  responseId: z.string().nullish(),
  modelVersion: z.string().nullish(),
});
