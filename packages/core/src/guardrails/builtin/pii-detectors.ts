import { isIPv4, isIPv6 } from 'node:net';
import { isAscii } from '../../shared/ascii.ts';

/** The kinds of personal data and secrets the PII detector finds. */
export const PII_CATEGORIES = [
  'email',
  'phone',
  'us_ssn',
  'payment_card',
  'iban',
  'ip_address',
  'secret',
] as const;
/** One of {@link PII_CATEGORIES}. */
export type PiiCategory = (typeof PII_CATEGORIES)[number];

/** One finding: where it is and what it is (never kept beyond the scan). */
export interface PiiMatch {
  category: PiiCategory;
  start: number;
  end: number;
}

/** The mask each category is replaced with when redacted. */
export const PII_REPLACEMENTS: Record<PiiCategory, string> = {
  email: '[EMAIL]',
  phone: '[PHONE]',
  us_ssn: '[US_SSN]',
  payment_card: '[PAYMENT_CARD]',
  iban: '[IBAN]',
  ip_address: '[IP_ADDRESS]',
  secret: '[SECRET]',
};

/** Known secret formats: specific enough to be checked anywhere, audit records included. */
export const SECRET_PATTERNS: ReadonlyArray<{ name: string; pattern: RegExp }> = [
  {
    name: 'private_key',
    pattern:
      /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----[\s\S]*?(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY-----|$)/g,
  },
  {
    name: 'aws_access_key',
    pattern:
      /(?<![A-Z0-9])(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|APKA)[A-Z0-9]{16}(?![A-Z0-9])/g,
  },
  {
    name: 'openai_or_stability_key',
    pattern: /(?<![\w-])sk-(?:proj-|svcacct-|admin-|ant-)?[A-Za-z0-9_-]{20,}/g,
  },
  { name: 'google_api_key', pattern: /(?<![\w-])AIza[0-9A-Za-z_-]{35}(?![\w-])/g },
  { name: 'jwt', pattern: /(?<![\w-])eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g },
  { name: 'github_token', pattern: /(?<![\w-])(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,})/g },
  { name: 'slack_token', pattern: /(?<![\w-])xox[abposr]-[A-Za-z0-9-]{10,}/g },
  {
    name: 'aws_secret_key',
    // The value only (group 1) is the secret; the label before it is context.
    pattern: /aws_?secret_?(?:access_?)?key\W{0,5}([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])/gi,
  },
];

const EMAIL =
  /(?<![\w.+-])[A-Za-z0-9](?:[A-Za-z0-9._%+-]{0,63})\s*(?:@|\(at\)|\[at\]|\{at\})\s*[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\s*(?:\.|\(dot\)|\[dot\]|\{dot\})\s*[A-Za-z0-9-]{1,63})*\s*(?:\.|\(dot\)|\[dot\]|\{dot\})\s*[A-Za-z]{2,24}(?![\w-])/gi;
const CARD_CANDIDATE = /(?<![\d-])\d(?:[ \u00A0-]?\d){12,18}(?![\d])/g;
const SSN = /(?<![\d-])(\d{3})([- ]|\u00A0)(\d{2})\2(\d{4})(?![\d-])/g;
const SSN_BARE = /(?<![\d-])(\d{3})(\d{2})(\d{4})(?!\d)/g;
const SSN_CONTEXT = /\b(?:ssn|social\s+security(?:\s+(?:number|no\.?|#))?|sozialversicherung)\b/i;
const IPV4 = /(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.]*\d)/g;
const IPV6 =
  /(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{0,4}|(?:\d{1,3}\.){3}\d{1,3})(?:%[\w.]+)?(?![\w:])/g;
const PHONE =
  /(?<![\w+])(?:\+\d{8,15}|(?:\+\d{1,3}[\s.-]*)?(?:\(\d{1,5}\)[\s.-]*)?\d{1,5}(?:[\s.-]{1,2}\d{1,8}){1,6})(?![\w])/g;
const IBAN_START = /(?<![A-Za-z0-9])([A-Za-z]{2})(\d{2})(?=[ -]?[A-Za-z0-9])/g;
const GENERIC_TOKEN = /(?<![A-Za-z0-9_\-+/=])[A-Za-z0-9_\-+/]{32,}={0,2}(?![A-Za-z0-9_\-+/=])/g;

/** IBAN lengths per country (ISO 13616 registry), so a candidate ends where its country says. */
const IBAN_LENGTHS: Record<string, number> = {
  AD: 24,
  AE: 23,
  AL: 28,
  AT: 20,
  AZ: 28,
  BA: 20,
  BE: 16,
  BG: 22,
  BH: 22,
  BI: 27,
  BR: 29,
  BY: 28,
  CH: 21,
  CR: 22,
  CY: 28,
  CZ: 24,
  DE: 22,
  DJ: 27,
  DK: 18,
  DO: 28,
  EE: 20,
  EG: 29,
  ES: 24,
  FI: 18,
  FK: 18,
  FO: 18,
  FR: 27,
  GB: 22,
  GE: 22,
  GI: 23,
  GL: 18,
  GR: 27,
  GT: 28,
  HR: 21,
  HU: 28,
  IE: 22,
  IL: 23,
  IQ: 23,
  IS: 26,
  IT: 27,
  JO: 30,
  KW: 30,
  KZ: 20,
  LB: 28,
  LC: 32,
  LI: 21,
  LT: 20,
  LU: 20,
  LV: 21,
  LY: 25,
  MC: 27,
  MD: 24,
  ME: 22,
  MK: 19,
  MN: 20,
  MR: 27,
  MT: 31,
  MU: 30,
  NI: 28,
  NL: 18,
  NO: 15,
  OM: 23,
  PK: 24,
  PL: 28,
  PS: 29,
  PT: 25,
  QA: 29,
  RO: 24,
  RS: 22,
  RU: 33,
  SA: 24,
  SC: 31,
  SD: 18,
  SE: 24,
  SI: 19,
  SK: 24,
  SM: 27,
  SO: 23,
  ST: 25,
  SV: 28,
  TL: 23,
  TN: 24,
  TR: 26,
  UA: 29,
  VA: 22,
  VG: 24,
  XK: 20,
  YE: 30,
};

/** True when a digit string passes the Luhn checksum payment cards carry. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let index = digits.length - 1; index >= 0; index--) {
    let digit = digits.charCodeAt(index) - 48;
    if (digit < 0 || digit > 9) return false;
    if (double) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
    double = !double;
  }
  return sum % 10 === 0;
}

/** True for issuer prefixes and lengths of the card networks in use (Visa, Mastercard, Amex, ...). */
function knownCardNetwork(digits: string): boolean {
  const length = digits.length;
  const prefix2 = Number(digits.slice(0, 2));
  const prefix3 = Number(digits.slice(0, 3));
  const prefix4 = Number(digits.slice(0, 4));
  if (digits[0] === '4') return length === 13 || length === 16 || length === 19; // Visa
  if ((prefix2 >= 51 && prefix2 <= 55) || (prefix4 >= 2221 && prefix4 <= 2720)) return length === 16; // Mastercard
  if (prefix2 === 34 || prefix2 === 37) return length === 15; // American Express
  if (prefix4 === 6011 || prefix2 === 65 || (prefix3 >= 644 && prefix3 <= 649))
    return length >= 16 && length <= 19; // Discover
  if (prefix4 >= 3528 && prefix4 <= 3589) return length >= 16 && length <= 19; // JCB
  if (prefix2 === 36 || prefix2 === 38 || (prefix3 >= 300 && prefix3 <= 305))
    return length >= 14 && length <= 19; // Diners
  if (prefix2 === 62) return length >= 16 && length <= 19; // UnionPay
  if (['50', '56', '57', '58', '63', '67'].includes(digits.slice(0, 2))) return length >= 12 && length <= 19; // Maestro
  return false;
}

/** True when an IBAN (without separators, upper case) passes the ISO 7064 mod-97 check. */
export function ibanValid(iban: string): boolean {
  const expected = IBAN_LENGTHS[iban.slice(0, 2)];
  if (expected === undefined || iban.length !== expected || !/^[A-Z]{2}\d{2}[A-Z0-9]+$/.test(iban))
    return false;
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  let remainder = 0;
  for (const ch of rearranged) {
    const value = ch >= 'A' && ch <= 'Z' ? String(ch.charCodeAt(0) - 55) : ch;
    for (const digit of value) remainder = (remainder * 10 + (digit.charCodeAt(0) - 48)) % 97;
  }
  return remainder === 1;
}

/** Shannon entropy in bits per character: random keys score high, words and repeated text low. */
export function shannonEntropy(text: string): number {
  const counts = new Map<string, number>();
  for (const ch of text) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let entropy = 0;
  for (const count of counts.values()) {
    const p = count / text.length;
    entropy -= p * Math.log2(p);
  }
  return entropy;
}

function looksLikeGenericSecret(token: string): boolean {
  const body = token.replace(/=+$/, '');
  if (body.length < 32) return false;
  // Keys are mixed-case base62/base64; digests and UUIDs (lower-case hex) are not flagged.
  if (!/[a-z]/.test(body) || !/[A-Z]/.test(body) || !/\d/.test(body)) return false;
  return shannonEntropy(body) >= 3.5;
}

function findIbans(text: string, push: (start: number, end: number) => void): void {
  for (const match of text.matchAll(IBAN_START)) {
    const country = match[1]!.toUpperCase();
    const length = IBAN_LENGTHS[country];
    if (length === undefined) continue;
    let collected = country + match[2]!;
    let index = match.index + match[0].length;
    let end = index;
    while (collected.length < length && index < text.length) {
      const ch = text[index]!;
      if (/[A-Za-z0-9]/.test(ch)) {
        collected += ch.toUpperCase();
        index++;
        end = index;
      } else if ((ch === ' ' || ch === '-' || ch === '\u00A0') && /[A-Za-z0-9]/.test(text[index + 1] ?? '')) {
        index++;
      } else {
        break;
      }
    }
    if (collected.length !== length || /[A-Za-z0-9]/.test(text[end] ?? '')) continue;
    if (ibanValid(collected)) push(match.index, end);
  }
}

/** 1 for the characters of a generic token (`A-Z a-z 0-9 _ - + /`), by char code. */
const TOKEN_CHAR = new Uint8Array(128);
for (const ch of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-+/') {
  TOKEN_CHAR[ch.charCodeAt(0)] = 1;
}
const EMAIL_AT_WORD = /[([{]at[)\]}]/i;

/**
 * What a text holds that the detectors need, counted in one pass, so a detector that cannot
 * match (a card number needs 13 digits, an IPv4 address three dots) is not run: most prompts have
 * no digits at all. Each count is a necessary condition of its detector's pattern, never a
 * sufficient one, so skipping never loses a finding.
 */
function textShape(text: string): {
  digits: number;
  dots: number;
  colons: number;
  mayHoldEmail: boolean;
  longTokenRun: boolean;
  mayHoldSecret: boolean;
} {
  let digits = 0;
  let dots = 0;
  let colons = 0;
  let at = false;
  let run = 0;
  let longestRun = 0;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code >= 48 && code <= 57) digits++;
    else if (code === 46) dots++;
    else if (code === 58) colons++;
    else if (code === 64) at = true;
    if (code < 128 && TOKEN_CHAR[code] === 1) {
      if (++run > longestRun) longestRun = run;
    } else {
      run = 0;
    }
  }
  return {
    digits,
    dots,
    colons,
    mayHoldEmail: at || EMAIL_AT_WORD.test(text),
    longTokenRun: longestRun >= 32,
    // Every secret format but a private key block is a run of at least 11 token characters
    // (`eyJ` and 8 more for a JWT, the shortest).
    mayHoldSecret: longestRun >= 11 || text.includes('-----BEGIN '),
  };
}

/**
 * Finds personal data and secrets in a text: emails (plus tags and `(at)`/`[dot]` spellings),
 * phone numbers (international and national formats, 10 to 15 digits), US social security numbers
 * (separated, or bare next to the words "SSN"/"social security"), payment card numbers (13-19
 * digits, spaced or dashed, known network prefix and Luhn checksum), IBANs (country length and
 * mod-97 checksum, with or without spaces), IPv4 and IPv6 addresses, and secrets (cloud and API
 * keys, private key blocks, JWTs, long high-entropy tokens). Checksums keep false positives such as
 * order numbers out. Matches never overlap: earlier categories in that order win.
 */
export function detectPii(text: string, categories: ReadonlyArray<PiiCategory> = PII_CATEGORIES): PiiMatch[] {
  const shape = textShape(text);
  const wanted = new Set(categories);
  const found: PiiMatch[] = [];
  const overlaps = (start: number, end: number): boolean => found.some((m) => start < m.end && end > m.start);
  const add = (category: PiiCategory) => (start: number, end: number) => {
    if (!wanted.has(category) || end <= start || overlaps(start, end)) return;
    found.push({ category, start, end });
  };

  // Specific secrets first: they contain digit runs that other detectors would misread.
  for (const { pattern } of shape.mayHoldSecret ? SECRET_PATTERNS : []) {
    for (const match of text.matchAll(pattern)) {
      const start = match[1] === undefined ? match.index : match.index + match[0].lastIndexOf(match[1]);
      add('secret')(start, start + (match[1] ?? match[0]).length);
    }
  }
  if (shape.mayHoldEmail)
    for (const match of text.matchAll(EMAIL)) add('email')(match.index, match.index + match[0].length);
  if (shape.digits >= 2) findIbans(text, add('iban'));
  for (const match of shape.digits >= 13 ? text.matchAll(CARD_CANDIDATE) : []) {
    const digits = match[0].replace(/\D/g, '');
    if (knownCardNetwork(digits) && luhnValid(digits))
      add('payment_card')(match.index, match.index + match[0].length);
  }
  for (const match of shape.digits >= 9 ? text.matchAll(SSN) : []) {
    if (validSsn(match[1]!, match[3]!, match[4]!)) add('us_ssn')(match.index, match.index + match[0].length);
  }
  for (const match of shape.digits >= 9 ? text.matchAll(SSN_BARE) : []) {
    const before = text.slice(Math.max(0, match.index - 40), match.index);
    if (SSN_CONTEXT.test(before) && validSsn(match[1]!, match[2]!, match[3]!)) {
      add('us_ssn')(match.index, match.index + match[0].length);
    }
  }
  for (const match of shape.digits >= 4 && shape.dots >= 3 ? text.matchAll(IPV4) : []) {
    if (isIPv4(match[0])) add('ip_address')(match.index, match.index + match[0].length);
  }
  for (const match of shape.colons >= 2 ? text.matchAll(IPV6) : []) {
    const candidate = match[0].replace(/%[\w.]+$/, '');
    if ((candidate.match(/[0-9A-Fa-f]/g)?.length ?? 0) >= 2 && isIPv6(candidate)) {
      add('ip_address')(match.index, match.index + match[0].length);
    }
  }
  for (const match of shape.digits >= 8 ? text.matchAll(PHONE) : []) {
    const raw = match[0];
    const digits = raw.replace(/\D/g, '');
    const international = raw.startsWith('+');
    const separators = raw.match(/[\s.()-]+/g) ?? [];
    const groups = raw
      .replace(/^\+/, '')
      .split(/[\s.()-]+/)
      .filter((group) => group !== '');
    const digitCountOk = international
      ? digits.length >= 8 && digits.length <= 15
      : digits.length >= 10 && digits.length <= 15;
    // Bare digit runs are order numbers as often as phone numbers: require a format. A single dot
    // is a decimal number; one-digit groups inside a national number are ISBNs and the like.
    const decimal = separators.length === 1 && separators[0] === '.';
    const isbnLike = !international && groups.slice(1).some((group) => group.length === 1);
    if (digitCountOk && (international || separators.length > 0) && !decimal && !isbnLike) {
      add('phone')(match.index, match.index + raw.length);
    }
  }
  for (const match of shape.digits >= 1 && shape.longTokenRun ? text.matchAll(GENERIC_TOKEN) : []) {
    if (looksLikeGenericSecret(match[0])) add('secret')(match.index, match.index + match[0].length);
  }
  return found.sort((a, b) => a.start - b.start);
}

function validSsn(area: string, group: string, serial: string): boolean {
  return area !== '000' && area !== '666' && area[0] !== '9' && group !== '00' && serial !== '0000';
}

/** Replaces each match with its category's mask (`[EMAIL]`, `[PAYMENT_CARD]`, ...). */
export function applyRedactions(text: string, matches: ReadonlyArray<PiiMatch>): string {
  let result = '';
  let cursor = 0;
  for (const match of [...matches].sort((a, b) => a.start - b.start)) {
    if (match.start < cursor) continue;
    result += text.slice(cursor, match.start) + PII_REPLACEMENTS[match.category];
    cursor = match.end;
  }
  return result + text.slice(cursor);
}

/**
 * Masks every kind of personal data and secret in a text. The audit log's default prompt retention
 * (`redacted`) uses it, so a stored prompt never keeps what the detector can find. Fullwidth and
 * other compatibility digits are normalized (NFKC) first so they cannot hide a number.
 */
export function redactPii(text: string, categories: ReadonlyArray<PiiCategory> = PII_CATEGORIES): string {
  const normalized = normalizeForPii(text);
  const matches = detectPii(normalized, categories);
  return matches.length === 0 ? normalized : applyRedactions(normalized, matches);
}

/** NFKC plus removal of zero-width characters, which could otherwise split a number or address. */
export function normalizeForPii(text: string): string {
  // ASCII is its own NFKC form and holds none of the invisible characters.
  if (isAscii(text)) return text;
  return text.normalize('NFKC').replace(/[\u200B-\u200D\u2060\uFEFF\u00AD]/g, '');
}
