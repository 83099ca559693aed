import { describe, expect, it } from 'vitest';
import { createGuardrailInput, describeGuardrailConformance } from '../../testing/guardrail-conformance.ts';
import { detectPii, ibanValid, luhnValid, redactPii } from './pii-detectors.ts';
import { createPiiGuardrail } from './pii-guardrail.ts';

const categoriesIn = (text: string) => detectPii(text).map((match) => match.category);
const signal = new AbortController().signal;

const JWT =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c';
const PRIVATE_KEY =
  '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIHgJn2hmZ4Mk0n9cLq1WwV1Oy3+O6d1KzW2w0yq0uP3m\n-----END PRIVATE KEY-----';

describe('detectPii', () => {
  it.each([
    ['email', 'write to john.doe@example.com today'],
    ['email', 'write to john.doe+promo@mail.example.co.uk'],
    ['email', 'write to JANE_DOE@EXAMPLE.ORG'],
    ['email', 'reach me at jane (at) example (dot) com'],
    ['email', 'reach me at jane[at]example[dot]com'],
    ['phone', 'call +1 (555) 123-4567'],
    ['phone', 'call (555) 123-4567 now'],
    ['phone', 'call 555.123.4567'],
    ['phone', 'call 555-123-4567'],
    ['phone', 'ring +44 20 7946 0958'],
    ['phone', 'ring +49 30 1234567'],
    ['phone', 'ring +33 1 23 45 67 89'],
    ['phone', 'text +15551234567 now'],
    ['us_ssn', 'my ssn is 123-45-6789'],
    ['us_ssn', 'number 123 45 6789 here'],
    ['us_ssn', 'SSN: 123456789'],
    ['payment_card', 'card 4111 1111 1111 1111 exp 12/29'],
    ['payment_card', 'card 4111-1111-1111-1111'],
    ['payment_card', 'card 4111111111111111'],
    ['payment_card', 'amex 3782 822463 10005'],
    ['payment_card', 'mc 5555555555554444'],
    ['iban', 'pay DE89 3704 0044 0532 0130 00 please'],
    ['iban', 'pay DE89370400440532013000'],
    ['iban', 'pay GB82 WEST 1234 5698 7654 32.'],
    ['iban', 'pay gb82west12345698765432'],
    ['ip_address', 'server at 192.168.10.200'],
    ['ip_address', 'server at 2001:db8::8a2e:370:7334'],
    ['ip_address', 'server at fe80::1ff:fe23:4567:890a%eth0'],
    ['ip_address', 'mapped ::ffff:192.0.2.128 here'],
    ['secret', 'key AKIAIOSFODNN7EXAMPLE'],
    ['secret', 'key sk-proj-abcdefghijklmnopqrstuvwxyz0123456789ABCD'],
    ['secret', 'key sk-Xq3N8r2Lm9Kp4Ws7Tz1Vb6Yc5Hd0Fg8Jk3Mn6Pq9Rs2Tu5Vw8Xy1'],
    ['secret', 'key AIzaSyA1234567890abcdefghijklmnopqrstu'],
    ['secret', `token ${JWT}`],
    ['secret', `key ${PRIVATE_KEY}`],
    ['secret', 'token ghp_abcdefghijklmnopqrstuvwxyz0123456789AB'],
    ['secret', 'token Zx8Kq2Lm4Np6Rs8Tv0Wx2Yz4Ab6Cd8Ef0Gh2Ij'],
    ['secret', 'aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'],
  ])('finds %s in %j', (category, text) => {
    expect(categoriesIn(text)).toEqual([category]);
  });

  it.each([
    ['a non-Luhn 16-digit number', 'order 4111 1111 1111 1112'],
    ['a 16-digit number of no card network', 'order 1234567812345678'],
    ['an IBAN with a wrong checksum', 'ref DE89 3704 0044 0532 0130 01'],
    ['an invalid SSN area', 'ref 000-12-3456'],
    ['a bare 9-digit number without SSN context', 'tracking 123456789'],
    ['a date', 'on 2024-01-15 at noon'],
    ['a time', 'at 12:30:45 sharp'],
    ['a short number', 'a group of 12 people in 2024'],
    ['an IPv4-like version with a large part', 'version 1.2.3.456'],
    ['ordinary prose', 'a watercolor of a lighthouse, soft light, 35mm, f/1.8'],
    ['a long ordinary word', 'pneumonoultramicroscopicsilicovolcanoconiosis'],
    ['a size', 'a poster 1024x1024'],
    ['an at sign in prose', 'meet @ noon'],
    [
      'camera settings',
      'cinematic still, 1920x1080, 35mm, f/1.8, ISO 100, 1/250s, 8K UHD, RGB(255, 128, 0), #FF5733',
    ],
    [
      'versions and ratios',
      'the year 1984, version 2.0.1, aspect 16:9 and 3:2, 2001: A Space Odyssey poster',
    ],
    ['a clock and coordinates', 'a clock showing 10:30:45 on 12/25/2024, coordinates 40.7128, -74.0060'],
    ['a seed', 'a seed of 1234567890 with cfg 7.5 and 30 steps'],
    ['a UUID and a short commit', 'commit 3f2a9c1 and uuid 123e4567-e89b-12d3-a456-426614174000'],
    ['a SHA-256 digest', 'sha e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
    ['an ISBN', 'ISBN 978-3-16-148410-0 on a book cover'],
    ['a long decimal', 'pi is 3.14159265358979'],
  ])('finds nothing in %s', (_name, text) => {
    expect(categoriesIn(text)).toEqual([]);
  });

  it('finds several categories without overlap, in order', () => {
    const text = 'mail a@b.io, card 4111 1111 1111 1111, ip 10.0.0.1';
    expect(categoriesIn(text)).toEqual(['email', 'payment_card', 'ip_address']);
  });

  it('validates checksums', () => {
    expect(luhnValid('4111111111111111')).toBe(true);
    expect(luhnValid('4111111111111112')).toBe(false);
    expect(ibanValid('DE89370400440532013000')).toBe(true);
    expect(ibanValid('DE89370400440532013001')).toBe(false);
    expect(ibanValid('XX89370400440532013000')).toBe(false);
  });

  it('redacts after NFKC so fullwidth digits and zero-width splits do not hide a card', () => {
    expect(redactPii('card ４１１１ １１１１ １１１１ １１１１')).toBe('card [PAYMENT_CARD]');
    expect(redactPii('mail jo\u200Bhn@example.com')).toBe('mail [EMAIL]');
  });

  it('masks only the value of a labelled AWS secret key', () => {
    expect(redactPii('aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY')).toBe(
      'aws_secret_access_key = [SECRET]',
    );
  });

  it('finds each category in its shortest form (the prefilter never skips a possible finding)', () => {
    const cases: Array<[string, string]> = [
      ['mail a(at)b[dot]co now', 'email'],
      ['host ab::cd here', 'ip_address'],
      ['ip 1.2.3.4 x', 'ip_address'],
      ['tok eyJabcdefgh.eyJabcdefgh.abcdefgh', 'secret'],
      ['-----BEGIN PRIVATE KEY-----', 'secret'],
      ['xoxb-1234567890', 'secret'],
      ['call +12345678', 'phone'],
      ['ssn 123-45-6789', 'us_ssn'],
      ['card 4111111111111111', 'payment_card'],
    ];
    for (const [text, category] of cases) {
      expect(
        detectPii(text).map((match) => match.category),
        text,
      ).toEqual([category]);
    }
    expect(detectPii('a lighthouse at dusk')).toEqual([]);
  });

  it('copes with a very long prompt', () => {
    const text = `${'lorem ipsum dolor sit amet '.repeat(10_000)} john@example.com`;
    expect(categoriesIn(text)).toEqual(['email']);
  });
});

describe('createPiiGuardrail', () => {
  it('redacts by default and labels each category', async () => {
    const guardrail = createPiiGuardrail();
    const verdict = await guardrail.check(
      createGuardrailInput('portrait for john+art@example.com, card 5555 5555 5555 4444, host 10.1.2.3'),
      { signal },
    );
    expect(verdict).toMatchObject({
      action: 'redact',
      labels: ['pii:email', 'pii:ip_address', 'pii:payment_card'],
      redactedPrompt: 'portrait for [EMAIL], card [PAYMENT_CARD], host 10.1.2.3',
    });
    expect(verdict.reason).not.toContain('example.com');
  });

  it('blocks secrets by default without echoing them', async () => {
    const verdict = await createPiiGuardrail().check(createGuardrailInput('use key AKIAIOSFODNN7EXAMPLE'), {
      signal,
    });
    expect(verdict).toMatchObject({ action: 'block', labels: ['pii:secret'] });
    expect(JSON.stringify(verdict)).not.toContain('AKIA');
  });

  it('applies per-category actions, strongest wins', async () => {
    const guardrail = createPiiGuardrail({
      categories: { email: 'flag', phone: 'block', ip_address: 'off' },
    });
    expect(await guardrail.check(createGuardrailInput('a@b.io at 10.0.0.1'), { signal })).toMatchObject({
      action: 'flag',
      labels: ['pii:email'],
    });
    expect(
      await guardrail.check(createGuardrailInput('a@b.io or +1 555 123 4567'), { signal }),
    ).toMatchObject({
      action: 'block',
      labels: ['pii:email', 'pii:phone'],
    });
  });

  it('leaves flagged categories in place when redacting others', async () => {
    const guardrail = createPiiGuardrail({ categories: { email: 'flag' } });
    const verdict = await guardrail.check(createGuardrailInput('a@b.io and SSN 123-45-6789'), { signal });
    expect(verdict).toMatchObject({ action: 'redact', redactedPrompt: 'a@b.io and SSN [US_SSN]' });
  });

  it('redacts the negative prompt too', async () => {
    const verdict = await createPiiGuardrail().check(
      createGuardrailInput({ prompt: 'a cat', negativePrompt: 'no text like bob@example.com' }),
      { signal },
    );
    expect(verdict).toMatchObject({
      action: 'redact',
      redactedPrompt: 'a cat',
      redactedNegativePrompt: 'no text like [EMAIL]',
    });
  });

  it('allows clean prompts', async () => {
    expect(
      await createPiiGuardrail().check(createGuardrailInput('a red fox in the snow'), { signal }),
    ).toEqual({
      action: 'allow',
      labels: [],
    });
  });

  it('rejects unknown categories and actions', () => {
    expect(() => createPiiGuardrail({ categories: { passport: 'block' } as never })).toThrow(
      /Unknown PII category "passport"/,
    );
    expect(() => createPiiGuardrail({ categories: { email: 'mask' as never } })).toThrow(
      /accepted: redact, block, flag, off/,
    );
  });
});

describeGuardrailConformance({
  name: 'pii',
  create: () => createPiiGuardrail(),
  samples: [
    'a quiet harbour',
    'mail bob@example.com',
    'card 4111 1111 1111 1111',
    'key AKIAIOSFODNN7EXAMPLE',
  ],
  sensitive: ['bob@example.com', '4111', 'AKIAIOSFODNN7EXAMPLE'],
});
