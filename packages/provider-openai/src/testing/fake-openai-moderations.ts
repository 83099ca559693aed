import { randomBytes } from 'node:crypto';
import {
  type FakeOpenAIContext,
  MODERATION_CATEGORIES,
  MODERATION_MODELS,
  openAIError,
} from './fake-openai-shared.ts';

/** `POST /v1/moderations`: flags `flag:<category>` and the configured keywords, per input. */
export function moderate(context: FakeOpenAIContext, body: Record<string, unknown>): unknown {
  const model = body.model ?? 'omni-moderation-latest';
  if (typeof model !== 'string' || !MODERATION_MODELS.includes(model)) {
    throw openAIError(
      404,
      `The model \`${String(model)}\` does not exist or you do not have access to it.`,
      'model',
      'model_not_found',
    );
  }
  const inputs =
    typeof body.input === 'string' ? [body.input] : Array.isArray(body.input) ? body.input : undefined;
  if (!inputs || inputs.some((item) => typeof item !== 'string')) {
    throw openAIError(
      400,
      "Invalid 'input': expected a string or an array of strings.",
      'input',
      'invalid_type',
    );
  }
  const results = (inputs as string[]).map((text) => {
    const lower = text.toLowerCase();
    const categories: Record<string, boolean> = {};
    const scores: Record<string, number> = {};
    for (const category of MODERATION_CATEGORIES) {
      const hit =
        lower.includes(`flag:${category}`) ||
        (context.options.moderationKeywords?.[category] ?? []).some((word) =>
          lower.includes(word.toLowerCase()),
        );
      categories[category] = hit;
      scores[category] = hit ? 0.93 : 0.0004;
    }
    return {
      flagged: Object.values(categories).some(Boolean),
      categories,
      category_scores: scores,
      category_applied_input_types: Object.fromEntries(MODERATION_CATEGORIES.map((c) => [c, ['text']])),
    };
  });
  return { id: `modr-${randomBytes(8).toString('hex')}`, model: 'omni-moderation-2024-09-26', results };
}
