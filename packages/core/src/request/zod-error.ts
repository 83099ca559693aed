import type { z } from 'zod';
import { GatewayError } from '../errors/gateway-error.ts';

/** Dotted field path of a zod issue (`provider_options.stability.cfg_scale`). */
export function issuePath(issue: z.core.$ZodIssue, prefix?: string): string {
  const path = issue.path.map(String).join('.');
  return [prefix, path].filter(Boolean).join('.');
}

function describeIssue(issue: z.core.$ZodIssue, param: string): string {
  // A message written in the schema already says what is wrong; zod's own defaults need context.
  const custom = !/^(Too (small|big)|Invalid|Expected)/.test(issue.message);
  if (custom && issue.code !== 'unrecognized_keys') return `'${param}': ${issue.message}.`;
  switch (issue.code) {
    case 'unrecognized_keys':
      return `Unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${[param, k].filter(Boolean).join('.')}'`).join(', ')}; remove ${issue.keys.length > 1 ? 'them' : 'it'} or check the spelling.`;
    case 'invalid_value':
      return `'${param}' must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}.`;
    case 'invalid_type':
      return `'${param}' must be ${issue.expected}${issue.input === undefined ? ' and is required' : ''}.`;
    case 'too_small':
      return `'${param}' is too small: ${issue.message}.`;
    case 'too_big':
      return `'${param}' is too big: ${issue.message}.`;
    default:
      return `'${param}' is invalid: ${issue.message}.`;
  }
}

/**
 * Turns a zod failure into one VALIDATION_ERROR that names the first offending field and what
 * would be accepted; every issue is listed in `details.issues` for clients that want them all.
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
