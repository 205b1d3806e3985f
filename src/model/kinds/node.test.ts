import assert from 'node:assert/strict';
import { test } from 'node:test';
import { kindByName } from '../registry.js';
import { validateDocument } from '../validate.js';

const doc = (spec: unknown, name = 'node-hostname'): unknown => ({
  apiVersion: 'projectcalico.org/v3', kind: 'Node', metadata: { name }, spec,
});
const paths = (d: unknown): string[] => {
  const r = validateDocument(d);
  assert.equal(r.ok, false, 'expected the document to be rejected');
  return r.ok ? [] : r.issues.map((i) => i.path).sort();
};

test('a Node as calico-node writes it round-trips unchanged', () => {
  const spec = {
    // Calico's reference example, plus what the agent fills in.
    bgp: {
      asNumber: 64512,
      ipv4Address: '10.244.0.1/24',
      ipv6Address: '2001:db8:85a3::8a2e:370:7334/120',
      ipv4IPIPTunnelAddr: '192.168.0.1',
      routeReflectorClusterID: '224.0.0.1',
    },
    ipv4VXLANTunnelAddr: '192.168.0.65',
    vxlanTunnelMACAddr: '66:3c:12:a0:01:02',
    ipv6VXLANTunnelAddr: 'fd00::1',
    vxlanTunnelMACAddrV6: '66:3c:12:a0:01:03',
    orchRefs: [{ nodeName: 'node-hostname', orchestrator: 'k8s' }],
    wireguard: { interfaceIPv4Address: '192.168.0.130' },
    addresses: [{ address: '10.244.0.1/24', type: 'CalicoNodeIP' }, { address: '10.244.0.1', type: 'InternalIP' }],
  };
  const r = validateDocument(doc(spec));
  assert.ok(r.ok, JSON.stringify(r));
  assert.deepEqual(r.resource.spec, spec);
  assert.equal(r.resource.kind, 'Node');
  assert.equal(r.kind.hasStatus, true);
});

test('an AS number in asdot notation is stored as a number', () => {
  const r = validateDocument(doc({ bgp: { asNumber: '1.10', ipv4Address: '10.0.0.5/24' } }));
  assert.ok(r.ok);
  assert.deepEqual(r.resource.spec, { bgp: { asNumber: 65546, ipv4Address: '10.0.0.5/24' } });
});

test('every mistake of a Node is reported with its path', () => {
  assert.deepEqual(paths(doc({
    bgp: { ipv4Address: '10.0.0.5', ipv6Address: '10.0.0.5/24', routeReflectorClusterID: 'rr-1', asNumber: -1 },
    vxlanTunnelMACAddr: 'not-a-mac',
    ipv4VXLANTunnelAddr: 'fd00::1',
    addresses: [{ address: '10.0.0.5/24', type: 'Internal' }],
    orchRefs: [{ nodeName: 'x' }],
    colour: 'blue',
  })), [
    'spec.addresses[0].type', 'spec.bgp.asNumber', 'spec.bgp.ipv4Address', 'spec.bgp.ipv6Address',
    'spec.bgp.routeReflectorClusterID', 'spec.colour', 'spec.ipv4VXLANTunnelAddr', 'spec.orchRefs[0].orchestrator',
    'spec.vxlanTunnelMACAddr',
  ]);
});

test('the node address must carry its mask, because CrossSubnet decides by it', () => {
  const r = validateDocument(doc({ bgp: { ipv4Address: '10.0.0.5' } }));
  assert.ok(!r.ok);
  assert.match(r.issues[0]!.message, /"10\.0\.0\.5" is not an IPv4 address with its prefix length/);
});

test('an empty bgp section is rejected', () => {
  assert.deepEqual(paths(doc({ bgp: {} })), ['spec.bgp']);
});

test('calicoctl names find Node', () => {
  for (const n of ['node', 'nodes', 'no', 'nos', 'Node']) assert.equal(kindByName(n)?.kind, 'Node', n);
});
