import { GatewayError } from '../../errors/gateway-error.ts';
import type { Guardrail, GuardrailVerdictInput } from '../guardrail.ts';
import { foldText, skeletonOf, skeletonTokens } from './text-normalize.ts';

/** Terms and patterns of one blocklist category. */
export interface BlocklistCategory {
  /** Words or phrases; matched as whole words after folding, plural `s`/`es` included. */
  terms?: string[];
  /** Regular expressions, tried on the folded text and on its skeleton (look-alikes resolved). */
  patterns?: Array<RegExp | string>;
  /** Overrides the guardrail's action for this category. */
  action?: 'block' | 'flag';
}

/** Options of {@link createBlocklistGuardrail}. */
export interface BlocklistGuardrailOptions {
  /** Guardrail id (default `blocklist`). */
  id?: string;
  /** Terms of the default category (see `category`). */
  terms?: string[];
  /** Patterns of the default category. */
  patterns?: Array<RegExp | string>;
  /** Category of `terms` and `patterns` (default `custom`); labels read `blocklist:<category>`. */
  category?: string;
  /** Named categories, each with its own terms and patterns. */
  categories?: Record<string, BlocklistCategory>;
  /** What a match does (default `block`). */
  action?: 'block' | 'flag';
  /** Milliseconds before the run treats the guardrail as failed. */
  timeoutMs?: number;
}

interface CompiledCategory {
  name: string;
  action: 'block' | 'flag';
  skeletons: Set<string>;
  /** Skeletons with letter runs squeezed (`weeeapon` reads `weapon`), for terms long enough. */
  squeezed: Set<string>;
  patterns: RegExp[];
}

const CATEGORY_NAME = /^[a-z0-9][a-z0-9_.-]{0,63}$/;

/** Squeezes runs of one letter to one (`weeeapon` gives `weapon`). */
function squeeze(text: string): string {
  return text.replace(/(.)\1+/gu, '$1');
}

function compilePattern(pattern: RegExp | string, category: string): RegExp {
  try {
    if (typeof pattern === 'string') return new RegExp(pattern, 'iu');
    // Drop the stateful flags so repeated checks never depend on a previous lastIndex.
    return new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, ''));
  } catch (error) {
    throw new GatewayError(
      'CONFIGURATION_ERROR',
      `Blocklist category "${category}" has an invalid pattern.`,
      {
        cause: error,
      },
    );
  }
}

/**
 * A blocklist of terms and patterns per category. Terms are compared as skeletons (Unicode NFKC,
 * case folding, Cyrillic/Greek look-alikes, leetspeak, zero-width characters removed, and tokens
 * joined across spacing tricks such as `w e a p o n` or `w.e.a.p.o.n`), so a term cannot be slipped
 * past by disguising its letters. Only the prompt is scanned: a negative prompt naming a term
 * ("no weapons") is the user asking for its absence. The verdict never repeats the matched text.
 */
export function createBlocklistGuardrail(options: BlocklistGuardrailOptions): Guardrail {
  const action = options.action ?? 'block';
  const sources: Array<[string, BlocklistCategory]> = [];
  if (options.terms?.length || options.patterns?.length) {
    sources.push([
      options.category ?? 'custom',
      { terms: options.terms ?? [], patterns: options.patterns ?? [] },
    ]);
  }
  for (const [name, category] of Object.entries(options.categories ?? {})) sources.push([name, category]);
  if (sources.length === 0) {
    throw new GatewayError(
      'CONFIGURATION_ERROR',
      'A blocklist guardrail needs at least one term or pattern.',
    );
  }
  const compiled: CompiledCategory[] = [];
  let longest = 1;
  let shortest = Number.POSITIVE_INFINITY;
  for (const [name, category] of sources) {
    if (!CATEGORY_NAME.test(name)) {
      throw new GatewayError(
        'CONFIGURATION_ERROR',
        `Blocklist category "${name}" is not a valid label: use lower-case letters, digits, "_", "." or "-".`,
      );
    }
    const skeletons = new Set<string>();
    const squeezed = new Set<string>();
    for (const term of category.terms ?? []) {
      const skeleton = skeletonOf(term);
      if (skeleton.length < 2) {
        throw new GatewayError(
          'CONFIGURATION_ERROR',
          `Blocklist category "${name}" has a term that is empty after normalization.`,
        );
      }
      skeletons.add(skeleton);
      // Squeezing short terms would make unrelated words collide ("kill" and "ki").
      if (squeeze(skeleton).length >= 4) squeezed.add(squeeze(skeleton));
      longest = Math.max(longest, skeleton.length + 2);
      shortest = Math.min(shortest, skeleton.length);
    }
    compiled.push({
      name,
      action: category.action ?? action,
      skeletons,
      squeezed,
      patterns: (category.patterns ?? []).map((pattern) => compilePattern(pattern, name)),
    });
  }

  const matches = (
    category: CompiledCategory,
    tokens: string[],
    folded: string,
    skeletonText: string,
  ): boolean => {
    for (const pattern of category.patterns) {
      if (pattern.test(folded) || pattern.test(skeletonText)) return true;
    }
    if (category.skeletons.size === 0) return false;
    // Joining consecutive tokens sees through spacing tricks ("w e a p o n", "pipe-bomb").
    const hit = (set: Set<string>, text: string): boolean =>
      set.has(text) ||
      (text.endsWith('s') && set.has(text.slice(0, -1))) ||
      (text.endsWith('es') && set.has(text.slice(0, -2)));
    for (let start = 0; start < tokens.length; start++) {
      let joined = '';
      let squeezedText = '';
      // Bounded: a term spans at most `longest` tokens (one letter each when spread out).
      const last = Math.min(tokens.length, start + longest + 2);
      for (
        let end = start;
        end < last && squeezedText.length < longest && joined.length < longest * 3;
        end++
      ) {
        const token = tokens[end]!;
        joined += token;
        for (const ch of token) if (squeezedText[squeezedText.length - 1] !== ch) squeezedText += ch;
        if (joined.length >= shortest && hit(category.skeletons, joined)) return true;
        if (squeezedText.length >= 4 && category.squeezed.size > 0 && hit(category.squeezed, squeezedText))
          return true;
      }
    }
    return false;
  };

  return {
    id: options.id ?? 'blocklist',
    stage: 'input',
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    failMode: 'closed',
    check(input): GuardrailVerdictInput {
      const tokens = skeletonTokens(input.prompt);
      const folded = foldText(input.prompt);
      const skeletonText = tokens.join(' ');
      const hits = compiled.filter((category) => matches(category, tokens, folded, skeletonText));
      if (hits.length === 0) return { action: 'allow', labels: [] };
      const labels = [...new Set(hits.map((hit) => `blocklist:${hit.name}`))].sort();
      const blocking = hits.some((hit) => hit.action === 'block');
      const names = [...new Set(hits.map((hit) => hit.name))].sort().join(', ');
      return {
        action: blocking ? 'block' : 'flag',
        labels,
        reason: `The prompt matches the blocklist (${names}).`,
      };
    },
  };
}
