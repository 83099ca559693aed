/**
 * Attribute names pixelgate puts on spans and metric points. The `gen_ai.*` and `error.type`
 * names are OpenTelemetry's GenAI semantic conventions, so GenAI dashboards pick them up; the rest
 * are pixelgate's own, under `pixelgate.`. Values are ids, counts, durations and codes: never a
 * prompt, a key, a URL with a token, or image data.
 */
export const ATTR = {
  operationName: 'gen_ai.operation.name',
  outputType: 'gen_ai.output.type',
  providerName: 'gen_ai.provider.name',
  requestModel: 'gen_ai.request.model',
  responseModel: 'gen_ai.response.model',
  choiceCount: 'gen_ai.request.choice.count',
  inputTokens: 'gen_ai.usage.input_tokens',
  outputTokens: 'gen_ai.usage.output_tokens',
  tokenType: 'gen_ai.token.type',
  errorType: 'error.type',
  requestId: 'pixelgate.request_id',
  tenantId: 'pixelgate.tenant_id',
  source: 'pixelgate.source',
  outcome: 'pixelgate.outcome',
  images: 'pixelgate.images',
  costUsd: 'pixelgate.cost_usd',
  warnings: 'pixelgate.warnings',
  callIndex: 'pixelgate.call_index',
  attempt: 'pixelgate.attempt',
  reason: 'pixelgate.reason',
  guardrail: 'pixelgate.guardrail',
  guardrailStage: 'pixelgate.guardrail.stage',
  guardrailAction: 'pixelgate.guardrail.action',
  fallbackFrom: 'pixelgate.fallback.from',
  fallbackTo: 'pixelgate.fallback.to',
  mediaType: 'pixelgate.media_type',
  sizeBytes: 'pixelgate.size_bytes',
  stage: 'pixelgate.stage',
  stageOutcome: 'pixelgate.stage.outcome',
  budgetScope: 'pixelgate.budget.scope',
  budgetId: 'pixelgate.budget.id',
  budgetPeriod: 'pixelgate.budget.period',
} as const;

/**
 * The GenAI operation name of an image generation. The conventions have no image-specific
 * operation; `generate_content` with `gen_ai.output.type = image` is how they describe one.
 */
export const GENERATE_OPERATION = 'generate_content';

/** The provider part of a qualified model id (`openai/gpt-image-1` gives `openai`). */
export function providerOf(model: string | undefined): string | undefined {
  if (!model) return undefined;
  const slash = model.indexOf('/');
  return slash > 0 ? model.slice(0, slash) : undefined;
}

/** Input and output token totals of a provider's usage report (text and image tokens together). */
export function tokenTotals(usage: Record<string, number> | undefined): { input?: number; output?: number } {
  if (!usage) return {};
  const sum = (keys: string[]) => {
    const present = keys.filter((key) => typeof usage[key] === 'number');
    return present.length ? present.reduce((total, key) => total + (usage[key] as number), 0) : undefined;
  };
  const input = sum(['inputTextTokens', 'inputImageTokens']);
  const output = sum(['outputImageTokens', 'outputTextTokens']);
  return { ...(input === undefined ? {} : { input }), ...(output === undefined ? {} : { output }) };
}

/** Attributes without the undefined entries (OpenTelemetry drops them anyway, with a warning). */
export function defined(
  attributes: Record<string, string | number | boolean | undefined>,
): Record<string, string | number | boolean> {
  const result: Record<string, string | number | boolean> = {};
  for (const [key, value] of Object.entries(attributes)) if (value !== undefined) result[key] = value;
  return result;
}
