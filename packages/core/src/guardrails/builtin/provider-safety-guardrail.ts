import type { Guardrail, GuardrailVerdictInput } from '../guardrail.ts';

/** Options of {@link createProviderSafetyGuardrail}. */
export interface ProviderSafetyGuardrailOptions {
  /** Guardrail id (default `provider-safety`). */
  id?: string;
  /**
   * Provider labels that block the whole response, matched with or without the `provider:` prefix
   * (`nsfw`, `provider:violence`); `*` blocks on any label. Default: none (flag only).
   */
  block?: string[];
}

/** Labels are `category:detail`; a bare provider label is namespaced so its origin stays visible. */
function normalizeLabel(label: string): string {
  const trimmed = label.trim().toLowerCase().replace(/\s+/g, '_');
  return trimmed.includes(':') ? trimmed : `provider:${trimmed}`;
}

/**
 * Turns the safety signals a provider attaches (partial filtering, moderation categories) into a
 * verdict with labels, so they reach the audit log and events like any other classification. By
 * default it flags (the provider already withheld what it filtered); `block` lists labels that
 * refuse the response outright.
 */
export function createProviderSafetyGuardrail(options: ProviderSafetyGuardrailOptions = {}): Guardrail {
  const blockAll = options.block?.includes('*') ?? false;
  const blocked = new Set((options.block ?? []).filter((label) => label !== '*').map(normalizeLabel));
  return {
    id: options.id ?? 'provider-safety',
    stage: 'output',
    failMode: 'closed',
    check(input): GuardrailVerdictInput {
      const raw = [...(input.providerLabels ?? []), ...(input.images ?? []).flatMap((image) => image.labels)];
      const labels = [...new Set(raw.filter((label) => label.trim() !== '').map(normalizeLabel))].sort();
      if (labels.length === 0) return { action: 'allow', labels: [] };
      const blocking = labels.filter((label) => blockAll || blocked.has(label));
      if (blocking.length > 0) {
        return {
          action: 'block',
          labels,
          reason: `The provider marked the output (${blocking.join(', ')}).`,
        };
      }
      return { action: 'flag', labels, reason: 'The provider attached safety labels to the output.' };
    },
  };
}
