import {
  abortErrorFrom,
  BackendError,
  type FetchFunction,
  loadApiKey,
  providerFetch,
  readBodyBytes,
  readJsonBody,
} from '@pixelgate/core/provider-utils';
import type { Guardrail, GuardrailVerdictInput } from '@pixelgate/core/spec';
import { z } from 'zod';
import { mapOpenAIError, upstreamRequestIdOf } from './openai-error.ts';

/** What to do when the moderation endpoint flags one category. */
export type ModerationAction = 'block' | 'flag' | 'ignore';

/** Settings of {@link createOpenAIModerationGuardrail}. */
export interface OpenAIModerationGuardrailSettings {
  /** Guardrail id in verdicts and audit records (default `openai-moderation`). */
  id?: string;
  /** API key; falls back to the environment variable at the first check. */
  apiKey?: string;
  /** Environment variable holding the key (default `OPENAI_API_KEY`). */
  apiKeyEnvironmentVariable?: string;
  /** API base including `/v1` (default `https://api.openai.com/v1`). */
  baseURL?: string;
  organization?: string;
  project?: string;
  headers?: Record<string, string>;
  /** The test seam. */
  fetch?: FetchFunction;
  /** Moderation model (default `omni-moderation-latest`). */
  model?: string;
  /**
   * Per-category action when flagged (`violence: 'flag'`); categories not listed use
   * `defaultAction`. Category names are OpenAI's (`self-harm/intent`).
   */
  categories?: Record<string, ModerationAction>;
  /** Action for flagged categories not listed in `categories` (default `block`). */
  defaultAction?: Exclude<ModerationAction, 'ignore'>;
  /** How long the gateway waits for the check (passed to the guardrail runner). */
  timeoutMs?: number;
  /** `closed` (default): a failed check blocks; `open`: it allows and flags `guardrail:error`. */
  failMode?: 'closed' | 'open';
}

const moderationResponseSchema = z.object({
  results: z
    .array(
      z.object({
        flagged: z.boolean(),
        categories: z.record(z.string(), z.boolean().nullable()),
        category_scores: z.record(z.string(), z.number()).optional(),
      }),
    )
    .min(1),
});

type ModerationResult = z.infer<typeof moderationResponseSchema>['results'][number];

/** Long prompts are sent as several inputs of at most this many characters. */
const CHUNK_CHARACTERS = 8000;
/** Inputs per moderation request. */
const CHUNKS_PER_REQUEST = 32;
/** Characters shared by consecutive chunks. */
const CHUNK_OVERLAP = 200;

/**
 * The label for one OpenAI category: `moderation:violence`, `moderation:self-harm:intent` (the
 * API's `/` becomes `:`, because labels are `category:detail` words).
 */
export function moderationLabel(category: string): string {
  return `moderation:${category
    .toLowerCase()
    .replaceAll('/', ':')
    .replace(/[^a-z0-9_.:-]/g, '_')}`;
}

/**
 * An input guardrail on OpenAI's moderation endpoint: every flagged category becomes a
 * `moderation:<category>` label, and the verdict blocks or flags by category. Useful in front of
 * any provider, not only OpenAI's, because the prompt is what is checked.
 */
export function createOpenAIModerationGuardrail(settings: OpenAIModerationGuardrailSettings = {}): Guardrail {
  const id = settings.id ?? 'openai-moderation';
  const baseURL = (settings.baseURL ?? 'https://api.openai.com/v1').replace(/\/+$/, '');
  const model = settings.model ?? 'omni-moderation-latest';
  const defaultAction = settings.defaultAction ?? 'block';
  const environmentVariable = settings.apiKeyEnvironmentVariable ?? 'OPENAI_API_KEY';
  async function moderate(
    moderationInput: string | string[],
    apiKey: string,
    secrets: string[],
    signal: AbortSignal,
  ): Promise<ModerationResult[]> {
    const response = await providerFetch(
      `${baseURL}/moderations`,
      {
        method: 'POST',
        headers: {
          ...settings.headers,
          'content-type': 'application/json',
          accept: 'application/json',
          authorization: `Bearer ${apiKey}`,
          ...(settings.organization ? { 'openai-organization': settings.organization } : {}),
          ...(settings.project ? { 'openai-project': settings.project } : {}),
        },
        body: JSON.stringify({ model, input: moderationInput }),
      },
      { provider: id, fetch: settings.fetch, signal, secrets },
    );
    const upstreamRequestId = upstreamRequestIdOf(response.headers);
    if (!response.ok) {
      let text = '';
      try {
        text = new TextDecoder().decode(
          await readBodyBytes(response, { provider: id, maxBytes: 1024 * 1024, signal }),
        );
      } catch {
        if (signal.aborted) throw abortErrorFrom(signal, id);
      }
      throw mapOpenAIError(response.status, response.headers, text, {
        provider: id,
        label: 'OpenAI moderation',
        modelId: model,
        secrets,
      });
    }
    const json = await readJsonBody(response, {
      provider: id,
      maxBytes: 4 * 1024 * 1024,
      signal,
      upstreamRequestId,
    });
    const parsed = moderationResponseSchema.safeParse(json);
    const expected = Array.isArray(moderationInput) ? moderationInput.length : 1;
    if (!parsed.success || parsed.data.results.length !== expected) {
      throw new BackendError('OpenAI moderation answered with a body that is not a moderation result.', {
        reason: 'malformed_response',
        provider: id,
        upstreamStatus: response.status,
        ...(upstreamRequestId ? { upstreamRequestId } : {}),
      });
    }
    return parsed.data.results;
  }

  return {
    id,
    stage: 'input',
    ...(settings.timeoutMs === undefined ? {} : { timeoutMs: settings.timeoutMs }),
    failMode: settings.failMode ?? 'closed',
    async check(input, options): Promise<GuardrailVerdictInput> {
      // Nothing to moderate: no request, no cost.
      if (input.prompt.trim() === '') return { action: 'allow', labels: [] };
      const apiKey = loadApiKey({ apiKey: settings.apiKey, environmentVariable, provider: id });
      const secrets = [apiKey];
      const chunks: string[] = [];
      // Overlapping windows, so a flagged phrase cut by a boundary is still seen whole once.
      for (let offset = 0; ; offset += CHUNK_CHARACTERS - CHUNK_OVERLAP) {
        chunks.push(input.prompt.slice(offset, offset + CHUNK_CHARACTERS));
        if (offset + CHUNK_CHARACTERS >= input.prompt.length) break;
      }
      const results: ModerationResult[] = [];
      for (let start = 0; start < chunks.length; start += CHUNKS_PER_REQUEST) {
        const batch = chunks.slice(start, start + CHUNKS_PER_REQUEST);
        results.push(
          ...(await moderate(batch.length === 1 ? batch[0]! : batch, apiKey, secrets, options.signal)),
        );
      }
      const flaggedCategories = new Set<string>();
      for (const result of results) {
        for (const [category, flagged] of Object.entries(result.categories)) {
          if (flagged) flaggedCategories.add(category);
        }
      }
      const labels: string[] = [];
      const blocking: string[] = [];
      let maxScore: number | undefined;
      for (const category of [...flaggedCategories].sort()) {
        const action = settings.categories?.[category] ?? defaultAction;
        if (action === 'ignore') continue;
        labels.push(moderationLabel(category));
        if (action === 'block') blocking.push(category);
        for (const result of results) {
          const score = result.category_scores?.[category];
          if (score !== undefined && score >= 0 && score <= 1) maxScore = Math.max(maxScore ?? 0, score);
        }
      }
      if (labels.length === 0) return { action: 'allow', labels: [] };
      return {
        action: blocking.length > 0 ? 'block' : 'flag',
        labels,
        reason:
          blocking.length > 0
            ? `The prompt was flagged by moderation: ${blocking.join(', ')}.`
            : `The prompt was flagged by moderation (allowed): ${[...flaggedCategories].filter((c) => (settings.categories?.[c] ?? defaultAction) === 'flag').join(', ')}.`,
        ...(maxScore === undefined ? {} : { score: maxScore }),
      };
    },
  };
}
