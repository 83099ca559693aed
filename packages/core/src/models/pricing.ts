import type { ModelDescriptor } from './model-descriptor.ts';

/** Token usage as providers report it. */
export interface ImageUsage {
  inputTextTokens?: number;
  inputImageTokens?: number;
  outputImageTokens?: number;
  outputTextTokens?: number;
  totalTokens?: number;
}

/** A price estimate: `usd` is undefined when the model's price is unknown (never assumed zero). */
export interface PriceEstimate {
  usd: number | undefined;
  /** How the figure was obtained. */
  basis: 'per_image' | 'tokens' | 'provider_reported' | 'unknown';
}

/**
 * Estimates the price of `n` images of one size and quality from the per-image table: rows of
 * another operation are left out (a row without `operation` prices every operation), and the most
 * specific matching row wins (operation, then size, then quality; a catch-all row last).
 */
export function estimateImagePrice(
  model: ModelDescriptor,
  params: {
    n: number;
    size?: string | undefined;
    quality?: string | undefined;
    /** The operation priced; `generate` when absent. */
    operation?: 'generate' | 'edit' | 'variation' | undefined;
  },
): PriceEstimate {
  const rows = model.pricing?.perImage ?? [];
  const operation = params.operation ?? 'generate';
  const score = (row: {
    operation?: string | undefined;
    size?: string | undefined;
    quality?: string | undefined;
  }): number => {
    if (row.operation !== undefined && row.operation !== operation) return -1;
    if (row.size !== undefined && row.size !== params.size) return -1;
    if (row.quality !== undefined && row.quality !== params.quality) return -1;
    return (
      (row.operation === undefined ? 0 : 4) +
      (row.size === undefined ? 0 : 2) +
      (row.quality === undefined ? 0 : 1)
    );
  };
  let best: { usd: number } | undefined;
  let bestScore = -1;
  for (const row of rows) {
    const s = score(row);
    if (s > bestScore) {
      best = row;
      bestScore = s;
    }
  }
  if (!best) return { usd: undefined, basis: 'unknown' };
  return { usd: roundUsd(best.usd * params.n), basis: 'per_image' };
}

/** Turns reported token usage into a price with the model's token prices; undefined if it cannot. */
export function priceFromUsage(model: ModelDescriptor, usage: ImageUsage): number | undefined {
  const prices = model.pricing?.tokens;
  if (!prices) return undefined;
  const parts: Array<[number | undefined, number | undefined]> = [
    [usage.inputTextTokens, prices.inputTextPerMillion],
    [usage.inputImageTokens, prices.inputImagePerMillion],
    [usage.outputImageTokens, prices.outputImagePerMillion],
    [usage.outputTextTokens, prices.outputTextPerMillion],
  ];
  let total = 0;
  let counted = false;
  for (const [tokens, perMillion] of parts) {
    if (tokens === undefined || tokens === 0) continue;
    if (perMillion === undefined) return undefined;
    total += (tokens / 1_000_000) * perMillion;
    counted = true;
  }
  return counted ? roundUsd(total) : undefined;
}

/** Rounds to a millionth of a dollar, so sums of many small prices stay exact enough to compare. */
export function roundUsd(value: number): number {
  return Math.round(value * 1_000_000) / 1_000_000;
}
