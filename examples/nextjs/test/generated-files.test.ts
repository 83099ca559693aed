import { execFile } from 'node:child_process';
import { access, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const app = fileURLToPath(new URL('..', import.meta.url));
const root = fileURLToPath(new URL('../../..', import.meta.url));
const nextEnv = `${app}next-env.d.ts`;

/** Next's own writer of next-env.d.ts, the file `next dev` and `next build` create in the app folder. */
const { writeAppTypeDeclarations } = createRequire(import.meta.url)(
  'next/dist/lib/typescript/writeAppTypeDeclarations.js',
) as {
  writeAppTypeDeclarations(options: Record<string, unknown>): Promise<void>;
};

describe('files Next.js generates', () => {
  it('next-env.d.ts, once `next dev` wrote it, is neither linted nor committed', async () => {
    const existed = await access(nextEnv).then(
      () => true,
      () => false,
    );
    try {
      await writeAppTypeDeclarations({
        baseDir: app,
        distDir: '.next',
        imageImportsEnabled: true,
        hasPagesDir: false,
        hasAppDir: true,
        strictRouteTypes: false,
        typedRoutes: false,
      });
      // `npm run lint` at the root is `biome check .`; the example folder is what changed.
      const lint = await run(
        process.execPath,
        [`${root}node_modules/@biomejs/biome/bin/biome`, 'check', 'examples/nextjs'],
        {
          cwd: root,
        },
      ).then(
        () => 0,
        (error: { code?: number; stdout?: string }) => error.code ?? 1,
      );
      expect(lint).toBe(0);
      await expect(run('git', ['check-ignore', '-q', nextEnv], { cwd: root })).resolves.toBeDefined();
    } finally {
      if (!existed) await rm(nextEnv, { force: true });
    }
  });
});
