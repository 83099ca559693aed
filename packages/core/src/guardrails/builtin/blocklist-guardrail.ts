import { GatewayError } from '../../errors/gateway-error.ts';
import type { Guardrail, GuardrailVerdictInput } from '../guardrail.ts';
import { foldText, skeletonOf, skeletonTokensOfFolded } from './text-normalize.ts';

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
  skeletons: TermSet;
  /** Skeletons with letter runs squeezed (`weeeapon` reads `weapon`), for terms long enough. */
  squeezed: TermSet;
  patterns: RegExp[];
}

const CATEGORY_NAME = /^[a-z0-9][a-z0-9_.-]{0,63}$/;

/** Squeezes runs of one letter to one (`weeeapon` gives `weapon`). */
function squeeze(text: string): string {
  return text.replace(/(.)\1+/gu, '$1');
}

/**
 * Skeletons to match, with the text lengths that can match one (its own length, plus one or two
 * for a plural): most joined token runs are answered by their length, without hashing the text.
 */
interface TermSet {
  terms: Set<string>;
  /** 1 at every length a matching text can have. */
  lengths: Uint8Array;
}

function termSet(terms: Set<string>): TermSet {
  let longestTerm = 0;
  for (const term of terms) longestTerm = Math.max(longestTerm, term.length);
  const lengths = new Uint8Array(longestTerm + 3);
  for (const term of terms) lengths.fill(1, term.length, term.length + 3);
  return { terms, lengths };
}

/** Matches a skeleton in a set, plural `s`/`es` included. */
function hit(set: TermSet, text: string): boolean {
  if (set.lengths[text.length] !== 1) return false;
  return (
    set.terms.has(text) ||
    (text.endsWith('s') && set.terms.has(text.slice(0, -1))) ||
    (text.endsWith('es') && set.terms.has(text.slice(0, -2)))
  );
}

/** A token squeezed, with its first letter and its squeeze's last UTF-16 unit, for joining squeezes. */
interface SqueezedToken {
  text: string;
  first: string;
  lastChar: string;
}

/** The prompt as every category reads it, folded once per check. */
interface ScannedPrompt {
  folded: string;
  tokens: string[];
  squeezedTokens: SqueezedToken[];
  skeletonText: string;
}

function scanPrompt(text: string): ScannedPrompt {
  const folded = foldText(text);
  const tokens = skeletonTokensOfFolded(folded);
  const squeezedTokens = tokens.map((token): SqueezedToken => {
    // A letter is dropped when it equals the last UTF-16 unit kept (so astral letters never squeeze).
    let text = '';
    let lastUnit = '';
    let first = '';
    for (const ch of token) {
      if (first === '') first = ch;
      if (ch === lastUnit) continue;
      text += ch;
      lastUnit = ch[ch.length - 1]!;
    }
    return { text, first, lastChar: lastUnit };
  });
  return { folded, tokens, squeezedTokens, skeletonText: tokens.join(' ') };
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
      skeletons: termSet(skeletons),
      squeezed: termSet(squeezed),
      patterns: (category.patterns ?? []).map((pattern) => compilePattern(pattern, name)),
    });
  }

  const matches = (category: CompiledCategory, prompt: ScannedPrompt): boolean => {
    for (const pattern of category.patterns) {
      if (pattern.test(prompt.folded) || pattern.test(prompt.skeletonText)) return true;
    }
    if (category.skeletons.terms.size === 0) return false;
    const { tokens, squeezedTokens } = prompt;
    // Joining consecutive tokens sees through spacing tricks ("w e a p o n", "pipe-bomb").
    for (let start = 0; start < tokens.length; start++) {
      let joined = '';
      let squeezedText = '';
      let squeezedLength = 0;
      let lastChar = '';
      // Bounded: a term spans at most `longest` tokens (one letter each when spread out).
      const last = Math.min(tokens.length, start + longest + 2);
      for (let end = start; end < last && squeezedLength < longest && joined.length < longest * 3; end++) {
        joined += tokens[end]!;
        // The squeeze of the joined text: each token's own squeeze, less its first letter when
        // that repeats the last letter so far.
        const squeezedToken = squeezedTokens[end]!;
        const skipFirst = squeezedToken.first === lastChar ? squeezedToken.first.length : 0;
        squeezedText += skipFirst === 0 ? squeezedToken.text : squeezedToken.text.slice(skipFirst);
        squeezedLength = squeezedText.length;
        lastChar = squeezedToken.lastChar;
        if (joined.length >= shortest && hit(category.skeletons, joined)) return true;
        if (squeezedLength >= 4 && category.squeezed.terms.size > 0 && hit(category.squeezed, squeezedText))
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
      const prompt = scanPrompt(input.prompt);
      const hits = compiled.filter((category) => matches(category, prompt));
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
