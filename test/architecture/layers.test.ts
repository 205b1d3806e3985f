import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { checkFileCycles, checkLayers, importsOf } from './layer-rules.js';

const root = new URL('../../../', import.meta.url).pathname; // dist/test/architecture → repo

function sources(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts')) out.set(relative(root, p), readFileSync(p, 'utf8'));
    }
  };
  walk(join(root, dir));
  return out;
}

test('every import in src/ points down the layers, with no cycles and pure cores kept pure', () => {
  const files = sources('src');
  assert.ok(files.size > 5, `found only ${files.size} source files under ${root}src`);
  assert.deepEqual(checkLayers(files), []);
});

test('the checker catches each kind of violation', () => {
  const v = checkLayers(new Map([
    ['src/lib/a.ts', `import { x } from '../model/index.js';\nimport { readFileSync } from 'node:fs';\nexport const t = Date.now();`],
    ['src/model/index.ts', `export const x = 1;`],
    ['src/model/m.ts', `import { y } from '../datastore/sqlite/_private.js';`],
    ['src/datastore/sqlite/_private.ts', `export const y = 1;`],
    ['src/datastore/sqlite/index.ts', `export {};`],
    ['src/cli/c.ts', `import { z } from '../lab/index.js';\nimport { w } from '../datastore/sqlite/store.js';`],
    ['src/lab/index.ts', `export const z = 1;`],
    ['src/datastore/sqlite/store.ts', `export const w = 1;`],
    ['src/mystery/q.ts', `export {};`],
    ['src/selector/s.ts', `import { p } from '../policy/p.js';`],
    ['src/policy/p.ts', `import { s } from '../selector/s.js'; // fine alone, but a cycle with selector`],
    ['src/bgp/codec/c.ts', `import { r } from '../rib/index.js';`],
    ['src/bgp/rib/index.ts', `export const r = 1;`],
  ]));
  const has = (file: string, re: RegExp): boolean => v.some((x) => x.file === file && re.test(x.message));
  assert.ok(has('src/lib/a.ts', /higher layer/), 'upward import');
  assert.ok(has('src/lib/a.ts', /imports node:fs/), 'impure module in a pure layer');
  assert.ok(has('src/lib/a.ts', /clock/), 'clock read in a pure layer');
  assert.ok(has('src/model/m.ts', /private/), 'private file');
  assert.ok(has('src/cli/c.ts', /app imports another app/), 'app to app');
  assert.ok(has('src/cli/c.ts', /through its index.ts/), 'bypassing a room index');
  assert.ok(has('src/mystery/q.ts', /not in the layer table/), 'unknown room');
  assert.ok(v.some((x) => /cycle/.test(x.message)), 'room cycle');
  assert.ok(has('src/bgp/codec/c.ts', /is a leaf/), 'a leaf importing its own layer');
});

test('no two files of the CLI import each other, not even for a type', () => {
  assert.deepEqual(checkFileCycles(sources('src'), 'src/cli'), []);
});

test('the file-cycle checker finds a type-only circle, and only inside its folder', () => {
  const v = checkFileCycles(new Map([
    ['src/cli/commands/group.ts', `import { registerShow } from './show.js';\nexport type Group = { name: string };`],
    ['src/cli/commands/show.ts', `import type { Group } from './group.js';\nexport function registerShow(g: Group): void {}`],
    ['src/cli/commands/ok.ts', `import type { Group } from './group.js';`],
    ['src/lab/a.ts', `import { b } from './b.js';`],
    ['src/lab/b.ts', `import { a } from './a.js';`],
  ]), 'src/cli');
  assert.equal(v.length, 1, JSON.stringify(v));
  assert.match(v[0]!.message, /import cycle between files: src\/cli\/commands\/group\.ts → src\/cli\/commands\/show\.ts → src\/cli\/commands\/group\.ts/);
});

test('imports are found in every syntax and not in comments', () => {
  assert.deepEqual(importsOf(`import a from './a.js';\nimport type { B } from "./b.js";\nexport * from './c.js';\n` +
    `const d = await import('./d.js');\nimport './e.js';\n// import x from './commented.js'\n/* import y from './block.js' */`),
  ['./a.js', './b.js', './c.js', './d.js', './e.js']);
});
