#!/usr/bin/env node
// Runs every test file with node's own test runner. Node 20's `--test` takes neither globs nor
// .ts discovery, so this lists the compiled test files explicitly: every `*.test.ts` under src/
// (unit tests, beside the code) and test/ (integration tests), as built into dist/.
// Usage: node scripts/run-tests.mjs [path-substring …]   (filters the list, e.g. `datastore`)

import { spawnSync } from 'node:child_process';
import { readdirSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;

function find(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return find(p);
    return e.name.endsWith('.test.ts') ? [p] : [];
  });
}

const filters = process.argv.slice(2);
const sources = [...find(join(root, 'src')), ...find(join(root, 'test'))]
  .map((p) => relative(root, p))
  .filter((p) => filters.length === 0 || filters.some((f) => p.includes(f)))
  .sort();
const compiled = sources.map((p) => join('dist', p.replace(/\.ts$/, '.js')));
const missing = compiled.filter((p) => !existsSync(join(root, p)));
if (missing.length > 0) {
  console.error(`Not built: ${missing.join(', ')} — run \`npm run build\` first.`);
  process.exit(1);
}
console.log(`Running ${compiled.length} test files:\n  ${sources.join('\n  ')}`);
const r = spawnSync(process.execPath, ['--enable-source-maps', '--test', '--test-concurrency=2', ...compiled], {
  cwd: root, stdio: 'inherit',
});
process.exit(r.status ?? 1);
