import assert from 'node:assert/strict';
import { test } from 'node:test';
import { kindByName } from '../registry.js';
import { validateDocument } from '../validate.js';
import { BUILTIN_TIERS } from './tier.js';

const doc = (name: string, spec?: unknown): unknown => ({ apiVersion: 'projectcalico.org/v3', kind: 'Tier', metadata: { name }, ...(spec === undefined ? {} : { spec }) });
const stored = (d: unknown): Record<string, unknown> => {
  const r = validateDocument(d);
  assert.ok(r.ok, JSON.stringify(r.ok ? null : r.issues));
  return r.resource.spec;
};
const problems = (d: unknown): Array<[string, string]> => {
  const r = validateDocument(d);
  assert.equal(r.ok, false, 'expected the document to be rejected');
  return r.ok ? [] : r.issues.map((i) => [i.path, i.message] as [string, string]).sort();
};

test('a tier is stored with defaultAction Deny unless given; no order means last', () => {
  assert.deepEqual(stored(doc('security', { order: 100 })), { order: 100, defaultAction: 'Deny' });
  assert.deepEqual(stored(doc('platform', { defaultAction: 'Pass' })), { defaultAction: 'Pass' });
  assert.deepEqual(stored(doc('last')), { defaultAction: 'Deny' });
});

test("the built-in tiers are accepted, and take Calico's order and default action", () => {
  assert.deepEqual(BUILTIN_TIERS.map((t) => [t.name, t.order, t.defaultAction]), [
    ['kube-admin', 1_000, 'Pass'], ['default', 1_000_000, 'Deny'], ['kube-baseline', 10_000_000, 'Pass'],
  ]);
  for (const t of BUILTIN_TIERS) {
    assert.deepEqual(stored(doc(t.name, { order: t.order, defaultAction: t.defaultAction })), { order: t.order, defaultAction: t.defaultAction });
    assert.deepEqual(stored(doc(t.name)), { order: t.order, defaultAction: t.defaultAction });
  }
});

test("a built-in tier's order and default action cannot change", () => {
  assert.deepEqual(problems(doc('default', { order: 10, defaultAction: 'Pass' })), [
    ['spec.defaultAction', 'Pass is not allowed: the built-in tier "default" has defaultAction Deny'],
    ['spec.order', '10 is not allowed: the built-in tier "default" has order 1000000'],
  ]);
  assert.deepEqual(problems(doc('kube-admin', { defaultAction: 'Deny' })).map(([p]) => p), ['spec.defaultAction']);
});

test('every mistake of a Tier is reported with its path', () => {
  assert.deepEqual(problems(doc('team.a', { order: 'first', defaultAction: 'Allow', extra: 1 })).map(([p]) => p), [
    'metadata.name', 'spec.defaultAction', 'spec.extra', 'spec.order',
  ]);
  assert.deepEqual(problems(doc('a'.repeat(64))), [['metadata.name', `"${'a'.repeat(64)}" is longer than 63 characters`]]);
});

test('the CLI knows Tier as tier and tiers', () => {
  for (const n of ['tier', 'tiers', 'Tier']) assert.equal(kindByName(n)?.kind, 'Tier');
});
