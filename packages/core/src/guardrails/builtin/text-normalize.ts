/**
 * Text folding for matching: the blocklist must see through the tricks people use to slip a term
 * past a naive filter (look-alike letters, fullwidth forms, leetspeak, zero-width characters,
 * letters spread apart with spaces or dots). Both the configured terms and the prompt go through
 * the same fold, so a match is a comparison of skeletons.
 */

import { isAscii } from '../../shared/ascii.ts';

/** Zero-width and invisible formatting characters that render as nothing. */
const INVISIBLE =
  /[\u00AD\u061C\u115F\u1160\u17B4\u17B5\u180E\u200B-\u200F\u202A-\u202E\u2060-\u206F\u3164\uFEFF\uFFA0]/gu;

/** Combining marks left after canonical decomposition (accents used to disguise letters). */
const COMBINING = /\p{M}+/gu;

/**
 * Look-alike letters from other scripts, folded to the Latin letter they imitate. Cyrillic and
 * Greek cover the homoglyphs seen in practice; NFKC already folds fullwidth and mathematical forms.
 */
const CONFUSABLES: Record<string, string> = {
  // Cyrillic (lower case; the text is lower-cased first)
  а: 'a',
  в: 'b',
  г: 'r',
  д: 'd',
  е: 'e',
  ё: 'e',
  з: 'e',
  и: 'u',
  й: 'u',
  к: 'k',
  л: 'n',
  м: 'm',
  н: 'h',
  о: 'o',
  п: 'n',
  р: 'p',
  с: 'c',
  т: 't',
  у: 'y',
  х: 'x',
  ц: 'u',
  ч: 'a',
  ш: 'w',
  щ: 'w',
  ь: 'b',
  ъ: 'b',
  ы: 'bi',
  э: 'e',
  ю: 'io',
  я: 'r',
  і: 'i',
  ї: 'i',
  ј: 'j',
  ѕ: 's',
  ԁ: 'd',
  ԛ: 'q',
  ԝ: 'w',
  һ: 'h',
  ӏ: 'l',
  ɡ: 'g',
  ү: 'y',
  ғ: 'f',
  қ: 'k',
  ң: 'h',
  ҳ: 'x',
  ҽ: 'e',
  ӧ: 'o',
  // Greek
  α: 'a',
  β: 'b',
  γ: 'y',
  δ: 'd',
  ε: 'e',
  ζ: 'z',
  η: 'n',
  θ: 'o',
  ι: 'i',
  κ: 'k',
  λ: 'l',
  μ: 'u',
  ν: 'v',
  ξ: 'e',
  ο: 'o',
  π: 'n',
  ρ: 'p',
  σ: 'o',
  ς: 's',
  τ: 't',
  υ: 'u',
  φ: 'o',
  χ: 'x',
  ψ: 'w',
  ω: 'w',
  ϲ: 'c',
  ϳ: 'j',
  // Latin look-alikes outside ASCII that NFKC keeps
  ı: 'i',
  ȷ: 'j',
  ł: 'l',
  ø: 'o',
  đ: 'd',
  ħ: 'h',
  ŧ: 't',
  ß: 'ss',
  æ: 'ae',
  œ: 'oe',
  ɑ: 'a',
  ɩ: 'i',
  ʟ: 'l',
  ɴ: 'n',
  ʀ: 'r',
  ꜱ: 's',
  ᴀ: 'a',
  ʙ: 'b',
  ᴄ: 'c',
  ᴅ: 'd',
  ᴇ: 'e',
  ɢ: 'g',
  ʜ: 'h',
  ɪ: 'i',
  ᴊ: 'j',
  ᴋ: 'k',
  ᴍ: 'm',
  ᴏ: 'o',
  ᴘ: 'p',
  ᴛ: 't',
  ᴜ: 'u',
  ᴠ: 'v',
  ᴡ: 'w',
  ʏ: 'y',
  ᴢ: 'z',
};

/** Leetspeak digits and symbols, folded to the letter they stand for. */
const LEET: Record<string, string> = {
  '0': 'o',
  '1': 'i',
  '3': 'e',
  '4': 'a',
  '5': 's',
  '6': 'g',
  '7': 't',
  '8': 'b',
  '9': 'g',
  '@': 'a',
  $: 's',
  '!': 'i',
  '|': 'i',
  '+': 't',
  '€': 'e',
  '£': 'l',
  '¡': 'i',
};

/**
 * Letters that leetspeak makes ambiguous (`1` may be `i` or `l`): both sides of a comparison fold
 * them to one class so either reading matches.
 */
const AMBIGUOUS: Record<string, string> = { l: 'i' };

/**
 * NFKC, case folding, removal of invisible characters and accents. Keeps separators, so word
 * boundaries survive. Exported for guardrails that match their own patterns.
 */
export function foldText(text: string): string {
  // ASCII is its own NFKC, NFD and NFC form and holds no invisible character or combining mark.
  if (isAscii(text)) return text.toLowerCase();
  const compatible = text.normalize('NFKC').replace(INVISIBLE, '').toLowerCase();
  return compatible.normalize('NFD').replace(COMBINING, '').normalize('NFC');
}

const LETTER_OR_NUMBER = /[\p{L}\p{N}]/u;

/** A letter or digit of any script; ASCII is answered without the Unicode regex. */
function isAlphanumeric(ch: string | undefined): boolean {
  if (ch === undefined) return false;
  const code = ch.charCodeAt(0);
  if (code < 128)
    return (code >= 48 && code <= 57) || (code >= 97 && code <= 122) || (code >= 65 && code <= 90);
  return LETTER_OR_NUMBER.test(ch);
}

/**
 * Folds text to matching tokens: look-alikes and leetspeak become plain Latin letters, and every
 * run of other characters (spaces, dots, dashes, punctuation) separates tokens. Symbols such as
 * `@` or `!` count as letters only between letters or digits, so `gun!` still reads `gun`.
 */
export function skeletonTokens(text: string): string[] {
  return skeletonTokensOfFolded(foldText(text));
}

/** {@link skeletonTokens} of a text already folded by {@link foldText} (callers that need both fold once). */
export function skeletonTokensOfFolded(folded: string): string[] {
  if (isAscii(folded)) return asciiSkeletonTokens(folded);
  const chars = [...folded];
  const tokens: string[] = [];
  let current = '';
  for (let index = 0; index < chars.length; index++) {
    const ch = chars[index]!;
    let mapped: string | undefined;
    if (isAlphanumeric(ch)) {
      mapped = CONFUSABLES[ch] ?? LEET[ch] ?? ch;
    } else if (
      LEET[ch] !== undefined &&
      isAlphanumeric(chars[index - 1]) &&
      isAlphanumeric(chars[index + 1])
    ) {
      mapped = LEET[ch];
    } else if ((ch === '@' || ch === '$') && isAlphanumeric(chars[index + 1])) {
      mapped = LEET[ch];
    }
    if (mapped === undefined) {
      if (current) tokens.push(current);
      current = '';
      continue;
    }
    for (const letter of mapped) current += AMBIGUOUS[letter] ?? letter;
  }
  if (current) tokens.push(current);
  return tokens;
}

/** What an ASCII letter or digit folds to (look-alikes, leetspeak, ambiguous letters), by char code. */
const ASCII_ALNUM_FOLD: Array<string | undefined> = [];
/** What an ASCII leetspeak symbol folds to when it counts as a letter, by char code. */
const ASCII_SYMBOL_FOLD: Array<string | undefined> = [];
const foldLetters = (mapped: string): string => {
  let result = '';
  for (const letter of mapped) result += AMBIGUOUS[letter] ?? letter;
  return result;
};
for (let code = 0; code < 128; code++) {
  const ch = String.fromCharCode(code);
  if (isAlphanumeric(ch)) ASCII_ALNUM_FOLD[code] = foldLetters(CONFUSABLES[ch] ?? LEET[ch] ?? ch);
  else if (LEET[ch] !== undefined) ASCII_SYMBOL_FOLD[code] = foldLetters(LEET[ch]);
}

/** {@link skeletonTokensOfFolded} for ASCII text (the usual prompt): the same rules, by table. */
function asciiSkeletonTokens(text: string): string[] {
  const tokens: string[] = [];
  let current = '';
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    let mapped = ASCII_ALNUM_FOLD[code];
    if (mapped === undefined) {
      const symbol = ASCII_SYMBOL_FOLD[code];
      const nextIsAlnum = ASCII_ALNUM_FOLD[text.charCodeAt(index + 1)] !== undefined;
      if (
        symbol !== undefined &&
        nextIsAlnum &&
        (ASCII_ALNUM_FOLD[text.charCodeAt(index - 1)] !== undefined || code === 0x40 || code === 0x24)
      ) {
        mapped = symbol;
      }
    }
    if (mapped === undefined) {
      if (current) tokens.push(current);
      current = '';
      continue;
    }
    current += mapped;
  }
  if (current) tokens.push(current);
  return tokens;
}

/** The skeleton of a term: its tokens joined without separators (`pipe bomb` gives `pipebomb`). */
export function skeletonOf(term: string): string {
  return skeletonTokens(term).join('');
}
