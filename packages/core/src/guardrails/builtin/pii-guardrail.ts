import { GatewayError } from '../../errors/gateway-error.ts';
import type { Guardrail, GuardrailVerdictInput } from '../guardrail.ts';
import {
  applyRedactions,
  detectPii,
  normalizeForPii,
  PII_CATEGORIES,
  type PiiCategory,
  type PiiMatch,
} from './pii-detectors.ts';

/** What finding a category does: mask it, refuse the request, record it, or not look for it. */
export type PiiAction = 'redact' | 'block' | 'flag' | 'off';

/**
 * The categories and actions the gateway installs by default: personal data is masked before it
 * reaches a provider, secrets refuse the request (a pasted key is a leak whatever the prompt), IP
 * addresses are recorded only (they appear in harmless technical prompts).
 */
export const DEFAULT_PII_ACTIONS: Readonly<Record<PiiCategory, PiiAction>> = Object.freeze({
  email: 'redact',
  phone: 'redact',
  us_ssn: 'redact',
  payment_card: 'redact',
  iban: 'redact',
  ip_address: 'flag',
  secret: 'block',
});

/** Options of {@link createPiiGuardrail}. */
export interface PiiGuardrailOptions {
  /** Guardrail id (default `pii`). */
  id?: string;
  /** Action per category, merged over {@link DEFAULT_PII_ACTIONS}; `off` skips a category. */
  categories?: Partial<Record<PiiCategory, PiiAction>>;
  /** Milliseconds before the run treats the guardrail as failed. */
  timeoutMs?: number;
}

const SEVERITY: Record<Exclude<PiiAction, 'off'>, number> = { flag: 1, redact: 2, block: 3 };

/**
 * Detects personal data and secrets in the prompt and negative prompt (see `detectPii` for the
 * formats), labelled `pii:<category>`. The strongest action found wins: a block refuses the request,
 * a redaction replaces each redacted finding with its mask (`[EMAIL]`, `[PAYMENT_CARD]`, ...) in
 * the text sent on, a flag lets it through and records the label. The verdict reason names
 * categories only, never the data found.
 */
export function createPiiGuardrail(options: PiiGuardrailOptions = {}): Guardrail {
  const actions: Record<PiiCategory, PiiAction> = { ...DEFAULT_PII_ACTIONS };
  for (const [category, action] of Object.entries(options.categories ?? {})) {
    if (!(PII_CATEGORIES as readonly string[]).includes(category)) {
      throw new GatewayError(
        'CONFIGURATION_ERROR',
        `Unknown PII category "${category}"; accepted: ${PII_CATEGORIES.join(', ')}.`,
      );
    }
    if (!['redact', 'block', 'flag', 'off'].includes(action as string)) {
      throw new GatewayError(
        'CONFIGURATION_ERROR',
        `PII category "${category}" has action "${String(action)}"; accepted: redact, block, flag, off.`,
      );
    }
    actions[category as PiiCategory] = action as PiiAction;
  }
  const enabled = PII_CATEGORIES.filter((category) => actions[category] !== 'off');

  return {
    id: options.id ?? 'pii',
    stage: 'input',
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    failMode: 'closed',
    check(input): GuardrailVerdictInput {
      const prompt = normalizeForPii(input.prompt);
      const negative = input.negativePrompt === undefined ? undefined : normalizeForPii(input.negativePrompt);
      const promptMatches = enabled.length === 0 ? [] : detectPii(prompt, enabled);
      const negativeMatches =
        negative === undefined || enabled.length === 0 ? [] : detectPii(negative, enabled);
      const all = [...promptMatches, ...negativeMatches];
      if (all.length === 0) return { action: 'allow', labels: [] };

      const categories = [...new Set(all.map((match) => match.category))].sort();
      const labels = categories.map((category) => `pii:${category}`);
      let strongest: Exclude<PiiAction, 'off'> = 'flag';
      for (const category of categories) {
        const action = actions[category] as Exclude<PiiAction, 'off'>;
        if (SEVERITY[action] > SEVERITY[strongest]) strongest = action;
      }
      const list = categories.join(', ');
      if (strongest === 'block') {
        const blocking = categories.filter((category) => actions[category] === 'block').join(', ');
        return {
          action: 'block',
          labels,
          reason: `The prompt contains data that may not be sent (${blocking}).`,
        };
      }
      if (strongest === 'flag') {
        return { action: 'flag', labels, reason: `The prompt contains personal data (${list}); recorded.` };
      }
      const redactable = (matches: PiiMatch[]) =>
        matches.filter((match) => actions[match.category] === 'redact');
      const verdict: GuardrailVerdictInput = {
        action: 'redact',
        labels,
        reason: `Personal data was masked before sending (${list}).`,
        redactedPrompt: applyRedactions(prompt, redactable(promptMatches)),
      };
      if (negative !== undefined && redactable(negativeMatches).length > 0) {
        return { ...verdict, redactedNegativePrompt: applyRedactions(negative, redactable(negativeMatches)) };
      }
      return verdict;
    },
  };
}
