import { GatewayError, type Guardrail, type GuardrailVerdictInput } from '@pixelgate/core';
import { z } from 'zod';

/**
 * One protected name. Validated with zod when the guardrail is built, so a typo in a policy file
 * fails at startup instead of silently letting a brand through.
 */
export const trademarkTermSchema = z.strictObject({
  /** The name as people write it (`Acme`, `Globex Corporation`). Case, spacing and ™/® do not matter. */
  term: z.string().trim().min(2, 'a term has at least 2 characters').max(100),
  /** `redact` rewrites the prompt and lets it through; `block` refuses the request. */
  action: z.enum(['redact', 'block']),
  /** What a redacted name becomes (default `a generic brand`). */
  replacement: z.string().max(100).optional(),
  /** Label suffix (`trademark:<label>`); default: the term in lower case with dashes. */
  label: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_.-]{0,63}$/, 'a label is lower-case letters, digits, "_", "." or "-"')
    .optional(),
});
/** A protected name as written in configuration. */
export type TrademarkTerm = z.input<typeof trademarkTermSchema>;

/** Options of {@link createTrademarkGuardrail}. */
export const trademarkGuardrailOptionsSchema = z.strictObject({
  /** Guardrail id (default `trademark`), as audit records and events name it. */
  id: z.string().min(1).default('trademark'),
  terms: z.array(trademarkTermSchema).min(1, 'list at least one term'),
  /** Also scan the negative prompt (default false: "no Acme logos" asks for the brand's absence). */
  scanNegativePrompt: z.boolean().default(false),
});
/** Options as a caller writes them. */
export type TrademarkGuardrailOptions = z.input<typeof trademarkGuardrailOptionsSchema>;

interface CompiledTerm {
  label: string;
  action: 'redact' | 'block';
  replacement: string;
  pattern: RegExp;
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The pattern for one name: whole words only (`Acme` does not match `Acmeville`), any case, any
 * run of spaces, dots or dashes between its words (`Globex-Corp`, `Globex   Corp`), an optional
 * ™/®/℠ and a possessive `'s`, so the common ways of writing a brand are all caught.
 */
function compileTerm(term: string): RegExp {
  const words = term
    .normalize('NFKC')
    .split(/[\s.\-_]+/)
    .filter(Boolean)
    .map(escapeRegExp);
  const body = words.join('[\\s.\\-_]*');
  // Matching runs on NFKC text, where ™ and ℠ have become the letters TM and SM.
  return new RegExp(`(?<![\\p{L}\\p{N}])${body}(?:\\s*(?:®|TM|SM))?(?:['’]s)?(?![\\p{L}\\p{N}])`, 'giu');
}

function defaultLabel(term: string): string {
  return (
    term
      .normalize('NFKD')
      .replace(/\p{M}/gu, '')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 64) || 'term'
  );
}

/**
 * A brand and trademark guardrail: prompts naming a protected brand are either rewritten (the
 * name replaced by a neutral phrase, so the image is still made but without the mark) or refused.
 * Block wins over redact when a prompt names both kinds. The verdict's reason counts matches and
 * never repeats the names, so a refusal message cannot be used to probe the list; labels read
 * `trademark:<label>` for audit and analytics.
 *
 * A plain object from a factory, as every pixelgate plugin: no container, no decorators.
 * @throws GatewayError CONFIGURATION_ERROR when the options are invalid.
 */
export function createTrademarkGuardrail(options: TrademarkGuardrailOptions): Guardrail {
  const parsed = trademarkGuardrailOptionsSchema.safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new GatewayError('CONFIGURATION_ERROR', `Trademark guardrail: ${issue.message}.`, {
      param: issue.path.join('.'),
    });
  }
  const { id, scanNegativePrompt } = parsed.data;
  const terms: CompiledTerm[] = parsed.data.terms.map((entry) => ({
    label: `trademark:${entry.label ?? defaultLabel(entry.term)}`,
    action: entry.action,
    replacement: entry.replacement ?? 'a generic brand',
    pattern: compileTerm(entry.term),
  }));

  const scan = (text: string): { hits: CompiledTerm[]; redacted: string } => {
    let redacted = text.normalize('NFKC');
    const hits: CompiledTerm[] = [];
    for (const term of terms) {
      term.pattern.lastIndex = 0;
      if (!term.pattern.test(redacted)) continue;
      hits.push(term);
      term.pattern.lastIndex = 0;
      if (term.action === 'redact') redacted = redacted.replace(term.pattern, term.replacement);
    }
    return { hits, redacted };
  };

  return {
    id,
    stage: 'input',
    failMode: 'closed',
    check(input): GuardrailVerdictInput {
      const prompt = scan(input.prompt);
      const negative =
        scanNegativePrompt && input.negativePrompt !== undefined ? scan(input.negativePrompt) : undefined;
      const hits = [...prompt.hits, ...(negative?.hits ?? [])];
      if (hits.length === 0) return { action: 'allow', labels: [] };
      const labels = [...new Set(hits.map((hit) => hit.label))].sort();
      if (hits.some((hit) => hit.action === 'block')) {
        return {
          action: 'block',
          labels,
          reason: 'The prompt names a protected brand that may not be used.',
        };
      }
      const count = labels.length;
      return {
        action: 'redact',
        labels,
        reason: `Replaced ${count} protected brand name${count === 1 ? '' : 's'} with a neutral phrase.`,
        redactedPrompt: prompt.redacted,
        ...(negative?.hits.length ? { redactedNegativePrompt: negative.redacted } : {}),
      };
    },
  };
}
