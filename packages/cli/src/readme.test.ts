import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parseCliConfig } from './config.ts';

describe('README', () => {
  it('shows a config file the CLI accepts', async () => {
    const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');
    const block = /```json\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBeDefined();
    const config = parseCliConfig(JSON.parse(block!), 'README.md');
    expect(config.providers?.openai?.baseURL).toBe('https://api.openai.com/v1');
    expect(config.auth?.keys).toHaveLength(1);
    expect(config.budgets.rules[0]).toMatchObject({ scope: 'tenant', period: 'month', limitUsd: 50 });
  });
});
