import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validateDocument } from '../validate.js';

const namespace = (metadata: unknown, extra: Record<string, unknown> = {}): unknown => ({ apiVersion: 'v1', kind: 'Namespace', metadata, ...extra });
const problems = (d: unknown): Array<[string, string]> => {
  const r = validateDocument(d);
  assert.equal(r.ok, false, 'expected the document to be rejected');
  return r.ok ? [] : r.issues.map((i) => [i.path, i.message] as [string, string]).sort();
};

test('a Namespace becomes the allow-all profile kns.<name>, its labels prefixed pcns.', () => {
  const r = validateDocument(namespace(
    { name: 'production', labels: { team: 'payments', 'example.com/tier': 'gold' }, annotations: { note: 'x' }, uid: '0f3c', resourceVersion: '7' },
    { spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } },
  ));
  assert.ok(r.ok, JSON.stringify(r));
  assert.equal(r.converted, true);
  assert.deepEqual(r.resource, {
    apiVersion: 'projectcalico.org/v3', kind: 'Profile',
    // Calico puts the labels into labelsToApply only, not onto the profile itself.
    metadata: { name: 'kns.production' },
    spec: {
      ingress: [{ action: 'Allow' }],
      egress: [{ action: 'Allow' }],
      labelsToApply: {
        'pcns.team': 'payments',
        'pcns.example.com/tier': 'gold',
        // Set by the Kubernetes API server on every namespace.
        'pcns.kubernetes.io/metadata.name': 'production',
        'pcns.projectcalico.org/name': 'production',
      },
    },
  });
});

test('a Namespace without labels still gets its name labels', () => {
  const r = validateDocument(namespace({ name: 'dev' }));
  assert.ok(r.ok);
  assert.deepEqual(r.resource.spec['labelsToApply'], { 'pcns.kubernetes.io/metadata.name': 'dev', 'pcns.projectcalico.org/name': 'dev' });
});

test('every mistake of a Namespace is reported with its path in the Kubernetes object', () => {
  const long = 'a'.repeat(60);
  assert.deepEqual(problems(namespace({ name: 'team.a', labels: { 'bad key': 'x', [long]: 'v' }, owner: 'me' }, { spec: { paused: true }, extra: 1 })), [
    ['extra', 'unknown field'],
    [`metadata.labels.${long}`, `becomes "pcns.${long}" in the namespace's profile, which is too long for a label key`],
    ['metadata.labels["bad key"]', 'label key "bad key" is invalid: at most 63 characters of letters, digits, \'-\', \'_\' and \'.\', starting and ending with a letter or digit'],
    ['metadata.name', '"team.a" is not a valid namespace name: use lower-case letters, digits and \'-\' (no \'.\'), starting and ending with a letter or digit'],
    ['metadata.owner', 'unknown field'],
    ['spec.paused', 'unknown field'],
  ]);
  assert.deepEqual(problems(namespace(undefined)), [['metadata', 'is required']]);
});
