import type { z } from 'zod';
import { GatewayError } from '../errors/gateway-error.ts';

/** Dotted field path of a zod issue (`provider_options.stability.cfg_scale`). */
export function issuePath(issue: z.core.$ZodIssue, prefix?: string): string {
  const path = issue.path.map(String).join('.');
  return [prefix, path].filter(Boolean).join('.');
}

/** What a value of each zod type is, in words a client reads. */
const TYPE_WORDS: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  object: 'a JSON object',
  record: 'a JSON object',
  array: 'a list (JSON array)',
  tuple: 'a list (JSON array)',
  null: 'null',
  undefined: 'nothing',
  bigint: 'a whole number',
  date: 'a date',
  nan: 'NaN',
  function: 'a function',
  symbol: 'a symbol',
};

const words = (type: string): string => TYPE_WORDS[type] ?? type;

/** zod's own default messages start like this; anything else was written in a schema and is kept. */
const ZOD_DEFAULT = /^(Too (small|big)|Invalid|Expected|Unrecognized)/;

/** The type zod saw, from the issue's input when reported, else from its default message. */
function receivedType(issue: z.core.$ZodIssueInvalidType): string | undefined {
  if ('input' in issue) {
    const input = issue.input;
    return input === null ? 'null' : Array.isArray(input) ? 'array' : typeof input;
  }
  return /received (\w+)\s*$/.exec(issue.message)?.[1];
}

function describeType(issue: z.core.$ZodIssueInvalidType, param: string): string {
  const received = receivedType(issue);
  if (received === 'undefined') return `'${param}' is required; send ${words(issue.expected)}.`;
  if (issue.expected === 'int' && received === 'number') {
    return `'${param}' must be a whole number; fractions are not accepted.`;
  }
  const got = received === undefined ? '' : `, not ${received === 'null' ? 'null' : words(received)}`;
  return `'${param}' must be ${words(issue.expected)}${got}.`;
}

/** "at most 10", "less than 10", "at least 1", "more than 0". */
function bound(limit: unknown, inclusive: boolean | undefined, upper: boolean): string {
  const value = String(limit);
  if (inclusive === false) return `${upper ? 'less' : 'more'} than ${value}`;
  return `${upper ? 'at most' : 'at least'} ${value}`;
}

function describeSize(issue: z.core.$ZodIssueTooBig | z.core.$ZodIssueTooSmall, param: string): string {
  const upper = issue.code === 'too_big';
  const limit = upper ? issue.maximum : (issue as z.core.$ZodIssueTooSmall).minimum;
  const within = bound(limit, issue.inclusive, upper);
  switch (issue.origin) {
    case 'string':
      if (!upper && Number(limit) === 1) return `'${param}' is empty; send at least 1 character.`;
      return `'${param}' is too ${upper ? 'long' : 'short'}: it must have ${within} characters.`;
    case 'array':
    case 'set':
      if (!upper && Number(limit) === 1) return `'${param}' is an empty list; send at least 1 item.`;
      return `'${param}' has too ${upper ? 'many' : 'few'} items: it must have ${within}.`;
    default:
      return `'${param}' is too ${upper ? 'large' : 'small'}: it must be ${within}.`;
  }
}

/** The types a union accepts, when every branch failed on the type alone. */
function describeUnion(issue: z.core.$ZodIssueInvalidUnion, param: string): string {
  const expected = issue.errors.map((branch) =>
    branch.length === 1 && branch[0]!.code === 'invalid_type' && branch[0]!.path.length === 0
      ? words(branch[0]!.expected)
      : undefined,
  );
  if (expected.length > 0 && expected.every((word) => word !== undefined)) {
    return `'${param}' must be ${[...new Set(expected)].join(' or ')}.`;
  }
  return `'${param}' does not match any of the accepted forms; see the documentation of this field.`;
}

function describeFormat(issue: z.core.$ZodIssueInvalidStringFormat, param: string): string {
  if (issue.format === 'regex' && 'pattern' in issue && issue.pattern) {
    return `'${param}' is not in the accepted format: it must match ${issue.pattern}.`;
  }
  return `'${param}' must be a valid ${issue.format === 'url' ? 'URL' : issue.format}.`;
}

function describeIssue(issue: z.core.$ZodIssue, param: string): string {
  // A message written in the schema already says what is wrong and what is accepted.
  if (!ZOD_DEFAULT.test(issue.message) && issue.code !== 'unrecognized_keys')
    return `'${param}': ${issue.message}.`;
  switch (issue.code) {
    case 'unrecognized_keys':
      return `Unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${[param, k].filter(Boolean).join('.')}'`).join(', ')}; remove ${issue.keys.length > 1 ? 'them' : 'it'} or check the spelling.`;
    case 'invalid_value':
      return issue.values.length === 1
        ? `'${param}' must be ${JSON.stringify(issue.values[0])}.`
        : `'${param}' must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}.`;
    case 'invalid_type':
      return describeType(issue, param);
    case 'too_small':
    case 'too_big':
      return describeSize(issue, param);
    case 'invalid_union':
      return describeUnion(issue, param);
    case 'invalid_format':
      return describeFormat(issue, param);
    case 'not_multiple_of':
      return `'${param}' must be a multiple of ${String(issue.divisor)}.`;
    case 'invalid_key':
      return `'${param}' has a key that is not accepted.`;
    case 'invalid_element':
      return `'${param}' has a value that is not accepted.`;
    default:
      return `'${param}' is not accepted.`;
  }
}

/**
 * Turns a zod failure into one VALIDATION_ERROR that names the first offending field and, in
 * plain words, what was wrong and what would be accepted (zod's own phrasing never reaches a
 * client); every issue is listed in `details.issues` for clients that want them all.
 */
export function zodToValidationError(error: z.ZodError, prefix?: string): GatewayError {
  const issues = error.issues.map((issue) => {
    const param =
      issue.code === 'unrecognized_keys'
        ? issuePath(issue, prefix) || (issue.keys[0] ?? '')
        : issuePath(issue, prefix);
    return { param, message: describeIssue(issue, issuePath(issue, prefix)) };
  });
  const first = issues[0] ?? { param: prefix ?? '', message: 'The request is invalid.' };
  const param =
    error.issues[0]?.code === 'unrecognized_keys'
      ? [issuePath(error.issues[0], prefix), error.issues[0].keys[0]].filter(Boolean).join('.')
      : first.param;
  return new GatewayError('VALIDATION_ERROR', first.message, {
    param,
    details: { issues },
  });
}
