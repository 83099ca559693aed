import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { imageRequestSchema } from './image-request.ts';
import { zodToValidationError } from './zod-error.ts';

/** Issue 20.17: zod's phrasing never reaches a client; each message says what was wrong and what is accepted. */
function messageFor(
  input: unknown,
  schema: z.ZodType = imageRequestSchema,
): { message: string; param?: string } {
  const parsed = schema.safeParse(input);
  if (parsed.success) throw new Error('expected a failure');
  const error = zodToValidationError(parsed.error);
  return { message: error.message, ...(error.param ? { param: error.param } : {}) };
}

const ZOD_PHRASES = /Too (big|small)|Invalid (input|option|string|number)|expected \w+ to|received|<=|>=/;

describe('zodToValidationError wording', () => {
  it('says a number is too large in plain words, with the accepted bound', () => {
    const { message, param } = messageFor({ prompt: 'a fox', n: 11 });
    expect(param).toBe('n');
    expect(message).toBe("'n' is too large: it must be at most 10.");
  });

  it('tells a wrongly typed value from a missing one', () => {
    expect(messageFor({ prompt: 5 }).message).toBe("'prompt' must be a string, not a number.");
    expect(messageFor({ prompt: null }).message).toBe("'prompt' must be a string, not null.");
    expect(messageFor({ prompt: ['a'] }).message).toBe("'prompt' must be a string, not a list (JSON array).");
    expect(messageFor({}).message).toBe("'prompt' is required; send a string.");
    expect(messageFor({ prompt: 'x', n: '2' }).message).toBe("'n' must be a number, not a string.");
    expect(messageFor({ prompt: 'x', n: 1.5 }).message).toBe(
      "'n' must be a whole number; fractions are not accepted.",
    );
  });

  it('words lengths, list sizes, formats, unions, literals and multiples', () => {
    const schema = z.strictObject({
      text: z.string().min(1).max(3).optional(),
      code: z.string().min(2).optional(),
      tags: z.array(z.string()).min(1).max(2).optional(),
      url: z.url().optional(),
      pattern: z.string().regex(/^a+$/).optional(),
      either: z.union([z.string(), z.number()]).optional(),
      kind: z.literal('x').optional(),
      size: z.enum(['small', 'large']).optional(),
      step: z.number().multipleOf(5).optional(),
      ratio: z.number().gt(0).optional(),
    });
    const cases: Array<[unknown, string]> = [
      [{ text: '' }, "'text' is empty; send at least 1 character."],
      [{ text: 'abcd' }, "'text' is too long: it must have at most 3 characters."],
      [{ code: 'a' }, "'code' is too short: it must have at least 2 characters."],
      [{ tags: [] }, "'tags' is an empty list; send at least 1 item."],
      [{ tags: ['a', 'b', 'c'] }, "'tags' has too many items: it must have at most 2."],
      [{ url: 'nope' }, "'url' must be a valid URL."],
      [{ pattern: 'b' }, "'pattern' is not in the accepted format: it must match /^a+$/."],
      [{ either: true }, "'either' must be a string or a number."],
      [{ kind: 'y' }, '\'kind\' must be "x".'],
      [{ size: 'medium' }, '\'size\' must be one of "small", "large".'],
      [{ step: 7 }, "'step' must be a multiple of 5."],
      [{ ratio: 0 }, "'ratio' is too small: it must be more than 0."],
      [{ other: 1 }, "Unknown field 'other'; remove it or check the spelling."],
    ];
    for (const [input, expected] of cases) {
      const { message } = messageFor(input, schema);
      expect(message, JSON.stringify(input)).toBe(expected);
      expect(message).not.toMatch(ZOD_PHRASES);
    }
  });

  it('keeps messages written in a schema, and lists every issue in details', () => {
    const schema = z.object({
      hash: z.string().regex(/^[0-9a-f]{64}$/, 'hash must be 64 hex digits'),
      n: z.number(),
    });
    const parsed = schema.safeParse({ hash: 'xyz', n: 'a' });
    const error = zodToValidationError(parsed.error!, 'keys.0');
    expect(error.message).toBe("'keys.0.hash': hash must be 64 hex digits.");
    expect(error.details?.issues).toEqual([
      { param: 'keys.0.hash', message: "'keys.0.hash': hash must be 64 hex digits." },
      { param: 'keys.0.n', message: "'keys.0.n' must be a number, not a string." },
    ]);
  });
});
