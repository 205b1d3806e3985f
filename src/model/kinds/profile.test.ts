import assert from 'node:assert/strict';
import { test } from 'node:test';
import { kindByName } from '../registry.js';
import { validateDocument } from '../validate.js';

const doc = (spec: unknown, name = 'dev-apps'): unknown => ({ apiVersion: 'projectcalico.org/v3', kind: 'Profile', metadata: { name }, spec });
const paths = (d: unknown): string[] => {
  const r = validateDocument(d);
  assert.equal(r.ok, false, 'expected the document to be rejected');
  return r.ok ? [] : r.issues.map((i) => i.path).sort();
};

test("Calico's sample Profile round-trips unchanged", () => {
  const spec = {
    ingress: [{ action: 'Deny', source: { nets: ['10.0.20.0/24'] } }, { action: 'Allow', source: { selector: "stage == 'development'" } }],
    egress: [{ action: 'Allow' }],
    labelsToApply: { stage: 'development' },
  };
  const r = validateDocument(doc(spec));
  assert.ok(r.ok, JSON.stringify(r));
  assert.deepEqual(r.resource.spec, spec);
});

test('an empty Profile has no rules and no labels', () => {
  const r = validateDocument(doc(undefined, 'empty'));
  assert.ok(r.ok);
  assert.deepEqual(r.resource.spec, { ingress: [], egress: [], labelsToApply: {} });
});

test('every mistake of a Profile is reported with its path', () => {
  assert.deepEqual(paths(doc({
    ingress: [{ source: { nets: ['10.0.20.0/24'] } }],
    egress: [{ action: 'Allow', protocol: 'UDP', destination: { ports: ['dns', 'x:y'] } }],
    labelsToApply: { 'bad key': 'v', ok: 'bad value!' },
    labels: {},
  }, 'Dev_Apps')), [
    'metadata.name', 'spec.egress[0].destination.ports[1]', 'spec.ingress[0].action', 'spec.labels',
    'spec.labelsToApply.ok', 'spec.labelsToApply["bad key"]',
  ]);
});

test("the CLI knows Profile by calicoctl's names", () => {
  for (const n of ['profile', 'profiles', 'pro', 'pros']) assert.equal(kindByName(n)?.kind, 'Profile', n);
});
