// Every TypeScript sample in docs/compliance.md is pasted here verbatim and exercised; the last
// test checks the guide against this file so the two cannot drift apart.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createAccessPolicy } from '../access/access-policy.ts';
import { budgetBuckets } from '../budget/budget-buckets.ts';
import { budgetExceededError } from '../budget/budget-errors.ts';
import { budgetRuleSchema } from '../budget/budget-store.ts';
import { createMemoryBudgetStore, isBudgetRefusal } from '../budget/memory-budget-store.ts';
import { createBlocklistGuardrail } from '../guardrails/builtin/blocklist-guardrail.ts';
import { createPiiGuardrail } from '../guardrails/builtin/pii-guardrail.ts';
import { createPromptLengthGuardrail } from '../guardrails/builtin/prompt-length-guardrail.ts';
import type { Guardrail } from '../guardrails/guardrail.ts';
import { contentBlockedError, runGuardrails } from '../guardrails/run-guardrails.ts';
import { createMemoryRateLimitStore } from '../rate-limit/memory-rate-limit-store.ts';
import { rateLimitEntries, rateLimitedError, rateLimitHeaders } from '../rate-limit/rate-limit-helpers.ts';
import { rateLimitRuleSchema } from '../rate-limit/rate-limit-store.ts';
import { createGuardrailInput, describeGuardrailConformance } from '../testing/guardrail-conformance.ts';
import { generateAuditSigningKey } from './audit-chain.ts';
import { auditRecordSchema } from './audit-record.ts';
import { promptForAudit } from './audit-safety.ts';
import { exportEvidence } from './cli/export-evidence.ts';
import { verifyAuditLog } from './cli/verify-audit-log.ts';
import { createFileAuditSink } from './file-audit-sink.ts';

const root = await mkdtemp(join(tmpdir(), 'pixelgate-guide-'));
const auditDir = join(root, 'audit');
const bundleDir = join(root, 'evidence');
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

// sample: guardrails
const guardrails = [
  createPromptLengthGuardrail({ maxLength: 4000 }),
  createPiiGuardrail({ categories: { email: 'redact', phone: 'flag', secret: 'block' } }),
  createBlocklistGuardrail({ categories: { weapons: { terms: ['weapon', 'pipe bomb'] } } }),
];
// end sample

// sample: custom guardrail
const noCompetitors: Guardrail = {
  id: 'no-competitors',
  stage: 'input',
  timeoutMs: 2000,
  failMode: 'open',
  async check(input) {
    return /\bacme\s*corp\b/i.test(input.prompt)
      ? { action: 'flag', labels: ['brand:competitor'], reason: 'Mentions a competitor.' }
      : { action: 'allow' };
  },
};
// end sample

describe('docs/compliance.md samples', () => {
  it('guardrails redact, flag and block as the guide says', async () => {
    const signal = new AbortController().signal;
    const run = (prompt: string) =>
      runGuardrails([...guardrails, noCompetitors], createGuardrailInput(prompt), { signal });
    const redacted = await run('a poster for bob+news@example.com');
    expect(redacted.prompt).toBe('a poster for [EMAIL]');
    expect(redacted.labels).toEqual(['pii:email']);
    const flagged = await run('an Acme Corp billboard');
    expect(flagged.labels).toEqual(['brand:competitor']);
    const blocked = await run('a w.e.a.p.o.n on a table');
    expect(contentBlockedError(blocked.blocked!).message).toBe(
      'The prompt was blocked by guardrail "blocklist" (blocklist:weapons). The prompt matches the blocklist (weapons).',
    );
  });

  it('audit: sink, verify and export', async () => {
    // sample: audit sink
    const key = generateAuditSigningKey(); // keep key.privateKeyPem in a secrets manager
    const auditSink = createFileAuditSink({
      dir: auditDir,
      signingKey: key.privateKeyPem,
      durability: { maxBatch: 256 },
      rotate: { maxBytes: 64 * 1024 * 1024, daily: true },
      checkpointEvery: { records: 1000, ms: 60_000 },
    });
    // end sample
    await auditSink.write(
      auditRecordSchema.parse({
        v: 1,
        requestId: 'req_1',
        timestamp: '2026-11-21T10:00:00.000Z',
        tenantId: 'acme',
        source: 'library',
        outcome: 'success',
        prompt: promptForAudit('a poster for bob@example.com'),
      }),
    );
    await auditSink.close();

    // sample: verify and export
    const result = await verifyAuditLog(auditDir, { publicKeys: [key.publicKeyPem] });
    if (!result.ok) console.error(result.firstBroken); // { file, line, seq, reason }
    await exportEvidence({
      dir: auditDir,
      from: '2026-11-01',
      to: '2026-12-01',
      out: bundleDir,
      publicKeys: [key.publicKeyPem],
    });
    // end sample
    expect(result).toMatchObject({ ok: true, records: 1, checkpoints: 2 }); // the opening one and the closing one
    const records = await readFile(join(bundleDir, 'records.jsonl'), 'utf8');
    expect(records).toContain('"text":"a poster for [EMAIL]"');
    expect(records).not.toContain('bob@example.com');
  });

  it('budgets', async () => {
    // sample: budgets
    const rules = [
      budgetRuleSchema.parse({ scope: 'tenant', period: 'month', limitUsd: 100 }),
      budgetRuleSchema.parse({ scope: 'tenant', id: 'acme', period: 'month', limitUsd: 1000 }),
      budgetRuleSchema.parse({ scope: 'user', period: 'day', limitUsd: 5 }),
    ];
    const store = createMemoryBudgetStore();
    const buckets = budgetBuckets(rules, { tenantId: 'acme', userId: 'bob' }, Date.now());
    const reservation = await store.reserve(buckets, 0.08, 'req_1');
    if (isBudgetRefusal(reservation)) throw budgetExceededError(reservation);
    await store.settle(reservation, 0.04); // the real cost, once known
    // end sample
    expect(buckets.map((bucket) => bucket.limitUsd)).toEqual([1000, 5]);
    expect(await store.used(buckets[0]!.key)).toBe(0.04);
  });

  it('rate limits', async () => {
    // sample: rate limits
    const rules = [
      rateLimitRuleSchema.parse({ scope: 'tenant', unit: 'requests', limit: 60, windowMs: 60_000 }),
      rateLimitRuleSchema.parse({ scope: 'key', unit: 'images', limit: 20, windowMs: 60_000 }),
    ];
    const limits = createMemoryRateLimitStore();
    const entries = rateLimitEntries(rules, { tenantId: 'acme', keyId: 'key_1' }, 4);
    const decisions = await limits.consume(entries, Date.now());
    if (decisions.some((decision) => !decision.allowed)) throw rateLimitedError(decisions);
    const headers = rateLimitHeaders(decisions); // x-ratelimit-limit-requests, ...-images
    // end sample
    expect(headers).toMatchObject({
      'x-ratelimit-remaining-requests': '59',
      'x-ratelimit-remaining-images': '16',
    });
  });

  it('access', () => {
    // sample: access
    const canUse = createAccessPolicy({
      plans: {
        free: { models: ['stability/sd3.5-*'] },
        pro: { providers: ['openai', 'stability'] },
      },
    });
    canUse({ tenantId: 't1', plan: 'free' }, { provider: 'stability', id: 'sd3.5-large' }); // true
    canUse({ tenantId: 't1', plan: 'free' }, { provider: 'openai', id: 'dall-e-3' }); // false
    // end sample
    expect(canUse({ tenantId: 't1', plan: 'free' }, { provider: 'stability', id: 'sd3.5-large' })).toBe(true);
    expect(canUse({ tenantId: 't1', plan: 'free' }, { provider: 'openai', id: 'dall-e-3' })).toBe(false);
  });

  it('every TypeScript sample in the guide is one of the samples in this file', async () => {
    const guide = await readFile(
      fileURLToPath(new URL('../../../../docs/compliance.md', import.meta.url)),
      'utf8',
    );
    const self = await readFile(fileURLToPath(import.meta.url), 'utf8');
    const squash = (text: string) => text.replace(/\s+/g, ' ').trim();
    const samples = [...self.matchAll(/\/\/ sample: [^\n]*\n([\s\S]*?)\/\/ end sample/g)].map((match) =>
      squash(match[1]!),
    );
    const blocks = [...guide.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) =>
      squash(match[1]!.replace(/^import [\s\S]*?from '[^']+';\n/gm, '')),
    );
    expect(blocks.length).toBeGreaterThanOrEqual(7);
    for (const block of blocks) expect(samples).toContain(block);
  });
});

// sample: conformance kit
describeGuardrailConformance({
  name: 'no-competitors',
  create: () => noCompetitors,
  samples: ['a red fox', 'an Acme Corp billboard'],
});
// end sample
