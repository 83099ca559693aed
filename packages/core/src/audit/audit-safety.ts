import { hash } from 'node:crypto';
import { GatewayError } from '../errors/gateway-error.ts';
import { redactPii, SECRET_PATTERNS } from '../guardrails/builtin/pii-detectors.ts';
import type { AuditRecord } from './audit-record.ts';

/** Longest base64-like run an audit record may hold (a SHA-256 in hex is 64 characters). */
export const AUDIT_MAX_BASE64_RUN = 100;

/** 1 for the characters a base64-like run is made of (`A-Z a-z 0-9 + / _ -`), by char code. */
const BASE64_CHAR = new Uint8Array(128);
for (const ch of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/_-') {
  BASE64_CHAR[ch.charCodeAt(0)] = 1;
}

/**
 * True when `text` has a run of more than `maxRun` base64-like characters. One linear pass: the
 * equivalent regex (`[A-Za-z0-9+/_-]{101,}`) restarts at every position inside a shorter run, so
 * each SHA-256 in a record cost it thousands of steps.
 */
function hasBase64RunOver(text: string, maxRun: number): boolean {
  let run = 0;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code < 128 && BASE64_CHAR[code] === 1) {
      if (++run > maxRun) return true;
    } else {
      run = 0;
    }
  }
  return false;
}

/** Cuts base64-like runs longer than {@link AUDIT_MAX_BASE64_RUN}, saying how long they were. */
export function stripAuditBase64(text: string): string {
  if (!hasBase64RunOver(text, AUDIT_MAX_BASE64_RUN)) return text;
  return text.replace(/[A-Za-z0-9+/_-]{101,}={0,2}/g, (run) => `[base64 omitted: ${run.length} chars]`);
}

/** Options of {@link assertAuditSafe}. */
export interface AuditSafetyOptions {
  /** Longest run of base64 characters allowed in any string (default 100; a SHA-256 hex is 64). */
  maxBase64Run?: number;
  /** Exact secrets (API keys in use) that must not appear anywhere. */
  secrets?: ReadonlyArray<string>;
}

function* strings(value: unknown, path: string): Generator<[string, string]> {
  if (typeof value === 'string') {
    yield [path, value];
  } else if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) yield* strings(value[index], `${path}[${index}]`);
  } else if (value !== null && typeof value === 'object') {
    if (ArrayBuffer.isView(value)) {
      yield [path, '\u0000binary'];
      return;
    }
    for (const [key, child] of Object.entries(value)) {
      yield [`${path}.${key}#key`, key];
      yield* strings(child, path ? `${path}.${key}` : key);
    }
  }
}

/** Every string of a value (keys included), without building the paths: the fast check's input. */
function collectTexts(value: unknown, out: string[]): void {
  if (typeof value === 'string') {
    out.push(value);
  } else if (Array.isArray(value)) {
    for (const item of value) collectTexts(item, out);
  } else if (value !== null && typeof value === 'object') {
    if (ArrayBuffer.isView(value)) {
      out.push('\u0000binary');
      return;
    }
    for (const key in value) {
      if (!Object.hasOwn(value, key)) continue;
      out.push(key);
      collectTexts((value as Record<string, unknown>)[key], out);
    }
  }
}

/**
 * Throws when an audit record carries what must never be kept: raw bytes, a `data:` URL, a base64
 * run longer than `maxBase64Run` (an image or file smuggled in), a known secret format (cloud and
 * API keys, private keys, JWTs) or one of the given exact secrets. The message names the field,
 * never the value. The file sink runs it on every record before writing; tests run it on the
 * records their scenarios produce.
 *
 * @throws GatewayError INTERNAL_ERROR naming the offending field.
 */
export function assertAuditSafe(
  record: AuditRecord | Record<string, unknown>,
  options: AuditSafetyOptions = {},
): void {
  const maxRun = options.maxBase64Run ?? AUDIT_MAX_BASE64_RUN;
  const fail = (path: string, what: string): never => {
    throw new GatewayError(
      'INTERNAL_ERROR',
      `Audit record field "${path.replace(/#key$/, '')}" ${what}; it must not be kept in the audit log.`,
    );
  };
  // One pass over all the text first: records are almost always clean, and the secret patterns
  // are cheaper on one string than on fifty small ones. Field paths are only built for a record
  // that fails this check.
  const texts: string[] = [];
  collectTexts(record, texts);
  const joined = texts.join('\n');
  const suspicious =
    joined.includes('\u0000binary') ||
    /data:[\w.+-]+\/[\w.+-]+;base64,/i.test(joined) ||
    hasBase64RunOver(joined, maxRun) ||
    SECRET_PATTERNS.some(({ pattern }) => {
      pattern.lastIndex = 0;
      const hit = pattern.test(joined);
      pattern.lastIndex = 0;
      return hit;
    }) ||
    (options.secrets ?? []).some((secret) => secret.length >= 6 && joined.includes(secret));
  if (!suspicious) return;
  for (const [path, text] of strings(record, '')) {
    if (text === '\u0000binary') fail(path, 'holds binary data');
    if (/data:[\w.+-]+\/[\w.+-]+;base64,/i.test(text)) fail(path, 'holds a data URL');
    if (hasBase64RunOver(text, maxRun))
      fail(path, `holds a base64-like run longer than ${maxRun} characters`);
    for (const { name, pattern } of SECRET_PATTERNS) {
      pattern.lastIndex = 0;
      if (pattern.test(text)) {
        pattern.lastIndex = 0;
        fail(path, `looks like a secret (${name})`);
      }
    }
    for (const secret of options.secrets ?? []) {
      if (secret.length >= 6 && text.includes(secret)) fail(path, 'contains a configured secret');
    }
  }
  // A match that spans two strings once joined is not a finding in any one field.
}

/**
 * A copy of a record with everything {@link assertAuditSafe} refuses replaced: long base64 runs
 * cut (`[base64 omitted: N chars]`), `data:` URLs and known secret formats masked, configured
 * secrets masked, binary values dropped. `scrubbed` lists the fields changed (never their values),
 * so a sink can keep the record (one record per request, always) and mark it.
 */
export function scrubAuditRecord<T>(
  record: T,
  options: AuditSafetyOptions = {},
): { record: T; scrubbed: string[] } {
  const maxRun = options.maxBase64Run ?? AUDIT_MAX_BASE64_RUN;
  const longRun = new RegExp(`[A-Za-z0-9+/_-]{${maxRun + 1},}={0,2}`, 'g');
  const scrubbed: string[] = [];
  const cleanText = (text: string, path: string): string => {
    let result = text.replace(/data:[\w.+-]+\/[\w.+-]+;base64,[A-Za-z0-9+/=_-]*/gi, '[data URL omitted]');
    result = result.replace(longRun, (run) => `[base64 omitted: ${run.length} chars]`);
    for (const { pattern } of SECRET_PATTERNS) {
      pattern.lastIndex = 0;
      result = result.replace(pattern, '[SECRET]');
    }
    for (const secret of options.secrets ?? []) {
      if (secret.length >= 6) result = result.split(secret).join('[SECRET]');
    }
    if (result !== text) scrubbed.push(path);
    return result;
  };
  const walk = (value: unknown, path: string): unknown => {
    if (typeof value === 'string') return cleanText(value, path);
    if (ArrayBuffer.isView(value)) {
      scrubbed.push(path);
      return '[binary omitted]';
    }
    if (Array.isArray(value)) return value.map((item, index) => walk(item, `${path}[${index}]`));
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(
        Object.entries(value).map(([key, child]) => [key, walk(child, path ? `${path}.${key}` : key)]),
      );
    }
    return value;
  };
  return { record: walk(record, '') as T, scrubbed };
}

/** Characters (code points, as `[...text].length` counts them) without building the array. */
function codePointLength(text: string): number {
  let length = text.length;
  for (let index = 0; index < text.length - 1; index++) {
    const code = text.charCodeAt(index);
    if (code >= 0xd800 && code <= 0xdbff) {
      const next = text.charCodeAt(index + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        length--;
        index++;
      }
    }
  }
  return length;
}

/** How much of the prompt an audit record keeps. */
export type PromptRetention = 'hash' | 'redacted' | 'full';

/**
 * The audit record's `prompt` field under a retention policy: always the SHA-256 and length of
 * the prompt as received (so a prompt can be matched later without being stored); with
 * `redacted` (the default) the text with every detected PII category and secret masked; with
 * `full` the text as received except secrets (keys, tokens), which are masked. Long base64 runs
 * are cut in both text modes, since no record may carry image data whatever the policy.
 */
export function promptForAudit(
  prompt: string,
  retention: PromptRetention = 'redacted',
  redact: (text: string) => string = redactPii,
): NonNullable<AuditRecord['prompt']> {
  const sha256 = hash('sha256', prompt, 'hex');
  const base = { sha256, length: codePointLength(prompt), retention };
  if (retention === 'hash') return base;
  // Even `full` never keeps credentials: a pasted key must not reach the log.
  const text = retention === 'full' ? redactPii(prompt, ['secret']) : redact(prompt);
  return { ...base, text: stripAuditBase64(text) };
}
