import assert from 'node:assert/strict';
import { test } from 'node:test';
import { kindByName } from '../registry.js';
import { validateDocument } from '../validate.js';

const doc = (spec: unknown, name = 'default'): unknown => ({
  apiVersion: 'projectcalico.org/v3', kind: 'IPAMConfiguration', metadata: { name }, spec,
});
const paths = (d: unknown): string[] => {
  const r = validateDocument(d);
  assert.equal(r.ok, false, 'expected the document to be rejected');
  return r.ok ? [] : r.issues.map((i) => i.path).sort();
};

test('an IPAMConfiguration is stored with its defaults filled in', () => {
  const r = validateDocument(doc({ strictAffinity: true, maxBlocksPerHost: 4 }));
  assert.ok(r.ok, JSON.stringify(r));
  assert.deepEqual(r.resource.spec, { strictAffinity: true, autoAllocateBlocks: true, maxBlocksPerHost: 4 });
  const empty = validateDocument(doc({}));
  assert.ok(empty.ok);
  assert.deepEqual(empty.resource.spec, { strictAffinity: false, autoAllocateBlocks: true, maxBlocksPerHost: 0 });
  const full = { strictAffinity: true, autoAllocateBlocks: false, maxBlocksPerHost: 0, ipCooldownSeconds: 1200, kubeVirtVMAddressPersistence: 'Disabled' };
  const all = validateDocument(doc(full));
  assert.ok(all.ok, JSON.stringify(all));
  assert.deepEqual(all.resource.spec, full);
});

test('every mistake of an IPAMConfiguration is reported with its path', () => {
  assert.deepEqual(paths(doc({
    strictAffinity: 'true', maxBlocksPerHost: -1, ipCooldownSeconds: 1201, kubeVirtVMAddressPersistence: 'On', minBlocks: 1,
  })), ['spec.ipCooldownSeconds', 'spec.kubeVirtVMAddressPersistence', 'spec.maxBlocksPerHost', 'spec.minBlocks', 'spec.strictAffinity']);
});

test('a host must be able to get addresses: strictAffinity and autoAllocateBlocks cannot both be off', () => {
  assert.deepEqual(paths(doc({ strictAffinity: false, autoAllocateBlocks: false })), ['spec.autoAllocateBlocks']);
});

test('a block limit needs strict affinity (Calico\'s own sample, strictAffinity false with maxBlocksPerHost 4, is refused)', () => {
  const r = validateDocument(doc({ strictAffinity: false, maxBlocksPerHost: 4 }));
  assert.ok(!r.ok);
  assert.deepEqual(r.issues.map((i) => i.path), ['spec.maxBlocksPerHost']);
  assert.match(r.issues[0]!.message, /^4 needs strictAffinity: true/);
});

test('the IPAMConfiguration is named `default`', () => {
  assert.deepEqual(paths(doc({}, 'ipam')), ['metadata.name']);
});

test('calicoctl names find IPAMConfiguration', () => {
  for (const n of ['ipamconfiguration', 'ipamconfigurations', 'ipamconfig', 'ipamconfigs']) assert.equal(kindByName(n)?.kind, 'IPAMConfiguration', n);
});
