import { describe, expect, it } from 'vitest';
import { createAccessPolicy, globToRegExp, modelAccessDeniedError } from './access-policy.ts';

const dalle = { provider: 'openai', id: 'dall-e-3', aliases: ['dalle3'] };
const gptImage = { provider: 'openai', id: 'gpt-image-1.5' };
const ultra = { provider: 'stability', id: 'stable-image-ultra' };
const sd35 = { provider: 'stability', id: 'sd3.5-large' };

describe('createAccessPolicy', () => {
  const policy = createAccessPolicy({
    plans: {
      free: { models: ['stability/sd3.5-*'] },
      pro: { providers: ['openai', 'stability'] },
      openai: { models: ['openai/*'] },
      aliases: { models: ['dalle3'] },
    },
  });

  it('applies plan tiers with glob patterns', () => {
    expect(policy({ tenantId: 't', plan: 'free' }, sd35)).toBe(true);
    expect(policy({ tenantId: 't', plan: 'free' }, ultra)).toBe(false);
    expect(policy({ tenantId: 't', plan: 'openai' }, gptImage)).toBe(true);
    expect(policy({ tenantId: 't', plan: 'openai' }, ultra)).toBe(false);
    expect(policy({ tenantId: 't', plan: 'pro' }, ultra)).toBe(true);
    expect(policy({ tenantId: 't', plan: 'aliases' }, dalle)).toBe(true);
    expect(policy({ tenantId: 't', plan: 'aliases' }, gptImage)).toBe(false);
  });

  it('refuses everything for an unknown plan (fail closed)', () => {
    expect(policy({ tenantId: 't', plan: 'enterprize' }, sd35)).toBe(false);
  });

  it('combines the plan with the tenant lists', () => {
    expect(policy({ tenantId: 't', plan: 'pro', allowedModels: ['*ultra'] }, ultra)).toBe(true);
    expect(policy({ tenantId: 't', plan: 'pro', allowedModels: ['*ultra'] }, sd35)).toBe(false);
    expect(policy({ tenantId: 't', allowedProviders: ['openai'] }, ultra)).toBe(false);
    expect(
      policy({ tenantId: 't', allowedProviders: ['openai'], allowedModels: ['openai/dall-e-*'] }, dalle),
    ).toBe(true);
    expect(
      policy({ tenantId: 't', allowedProviders: ['openai'], allowedModels: ['openai/dall-e-*'] }, gptImage),
    ).toBe(false);
  });

  it('allows everything without plans or lists, and applies a default plan', () => {
    expect(createAccessPolicy()({ tenantId: 't' }, ultra)).toBe(true);
    const withDefault = createAccessPolicy({
      plans: { basic: { models: ['openai/*'] } },
      defaultPlan: 'basic',
    });
    expect(withDefault({ tenantId: 't' }, ultra)).toBe(false);
    expect(withDefault({ tenantId: 't' }, dalle)).toBe(true);
  });

  it('treats pattern characters other than * literally', () => {
    expect(globToRegExp('sd3.5-*').test('sd3x5-large')).toBe(false);
    expect(globToRegExp('sd3.5-*').test('sd3.5-large')).toBe(true);
  });

  it('rejects malformed options', () => {
    expect(() => createAccessPolicy({ plans: {}, defaultPlan: 'missing' })).toThrow(/defaultPlan "missing"/);
    expect(() => createAccessPolicy({ plans: { x: { models: 'openai/*' as never } } })).toThrow(
      /Invalid access policy/,
    );
  });
});

describe('modelAccessDeniedError', () => {
  it('names only the requested model', () => {
    const error = modelAccessDeniedError('openai/dall-e-3');
    expect(error).toMatchObject({ code: 'MODEL_ACCESS_DENIED', status: 403, param: 'model' });
    expect(error.message).toBe(
      "You do not have access to model 'openai/dall-e-3'. List the models available to you with GET /v1/models.",
    );
    expect(error.details).toBeUndefined();
  });
});
