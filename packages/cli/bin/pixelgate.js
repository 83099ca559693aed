#!/usr/bin/env node
// The installed `pixelgate` command. It is a committed file rather than a link to dist/bin.js
// because npm links a package's bins when it installs it: in the workspace, dist/ does not exist
// yet at that moment, and a missing target leaves no command at all. The published package
// always carries dist/ (built on prepack), so this only ever falls back inside the repository.
const entry = new URL('../dist/bin.js', import.meta.url);
try {
  await import(entry.href);
} catch (error) {
  if (error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes(entry.pathname)) {
    process.stderr.write(
      'pixelgate: the CLI is not built (no dist/bin.js): run `npm run build` in the repository, or `npm run demo` to run from source\n',
    );
    process.exit(1);
  }
  throw error;
}
