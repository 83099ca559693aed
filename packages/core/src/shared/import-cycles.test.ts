// Core's layers must not import each other in a circle (pipeline → gateway → pipeline, say): the
// check lives in scripts/check-import-cycles.mjs (a DFS over the import graph of core/src, type
// imports included, between files and between folders) so it also runs by hand.
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script without type declarations.
import { findImportCycles } from '../../../../scripts/check-import-cycles.mjs';

describe('import graph of packages/core/src', () => {
  it('has no cycle between files or between folders', () => {
    const { files, folders } = findImportCycles('packages/core/src') as {
      files: string[][];
      folders: string[][];
    };
    expect(files).toEqual([]);
    expect(folders).toEqual([]);
  });
});
