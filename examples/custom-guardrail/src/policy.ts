import type { TrademarkTerm } from './trademark-guardrail.ts';

/**
 * The example's brand policy: invented companies, so the example names no real trademark. In a
 * real deployment this list would come from legal, through configuration.
 */
export const EXAMPLE_TERMS: TrademarkTerm[] = [
  { term: 'Acme', action: 'redact', replacement: 'a generic hardware company' },
  { term: 'Globex Corporation', action: 'redact', label: 'globex' },
  { term: 'Globex', action: 'redact', label: 'globex' },
  { term: 'Initech', action: 'block' },
];
