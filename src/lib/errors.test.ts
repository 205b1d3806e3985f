import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ERRORS, TortieError, isRetryable, type ErrorCode } from './errors.js';

const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');

test('docs/errors.md lists exactly the registry, with the same exit status and retry mark', () => {
  const rows = [...doc.matchAll(/^\| `(TORTIE_ERR_[A-Z_]+)` \| (\d) \| (yes|no) \|/gm)]
    .map((m) => [m[1], Number(m[2]), m[3] === 'yes'] as const);
  const reg = Object.entries(ERRORS).map(([code, e]) => [code, e.exit, e.retryable] as const);
  assert.deepEqual([...rows].sort(), [...reg].sort());
});

test('codes follow TORTIE_ERR_<AREA>_<WHAT>', () => {
  for (const code of Object.keys(ERRORS)) assert.match(code, /^TORTIE_ERR_[A-Z]+(_[A-Z]+)+$/);
});

test('the retry mark comes from the registry', () => {
  for (const code of Object.keys(ERRORS) as ErrorCode[]) {
    assert.equal(isRetryable(new TortieError(code, 'x')), ERRORS[code].retryable);
  }
  assert.equal(isRetryable(new Error('plain')), false);
});
