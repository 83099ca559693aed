import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/**
 * docs/provider-plugins.md shows this example's files verbatim (each block announced by a
 * `<!-- file: path -->` line), and this package's `npm test` runs the conformance kit on them, so
 * the guide's code is the code that passes the kit. This test fails when the two drift apart.
 */
const root = new URL('../../../', import.meta.url);
const guide = readFileSync(new URL('docs/provider-plugins.md', root), 'utf8');

const blocks = [...guide.matchAll(/<!-- file: (\S+) -->\s*```ts\n([\s\S]*?)```/g)].map((match) => ({
  path: match[1]!,
  code: match[2]!,
}));

describe('the provider plugin guide', () => {
  it('shows the factory, the error mapping, the schemas, the catalog and the conformance test', () => {
    expect(blocks.map((block) => block.path.replace('examples/custom-provider/src/', ''))).toEqual(
      expect.arrayContaining([
        'acme-provider.ts',
        'acme-error.ts',
        'acme-api.ts',
        'acme-options.ts',
        'acme-catalog.ts',
        'acme.conformance.test.ts',
      ]),
    );
  });

  for (const block of blocks) {
    it(`shows ${block.path} exactly as it is in the repository`, () => {
      expect(block.code).toBe(readFileSync(new URL(block.path, root), 'utf8'));
    });
  }
});
