import assert from 'node:assert/strict';
import { test } from 'node:test';
import { kindByName } from '../registry.js';
import { validateDocument } from '../validate.js';
import { parsePeerIP } from './bgp-peer.js';

const doc = (spec: unknown, name = 'some.name'): unknown => ({
  apiVersion: 'projectcalico.org/v3', kind: 'BGPPeer', metadata: { name }, spec,
});
const paths = (d: unknown): string[] => {
  const r = validateDocument(d);
  assert.equal(r.ok, false, 'expected the document to be rejected');
  return r.ok ? [] : r.issues.map((i) => i.path).sort();
};
const roundTrips = (spec: object): void => {
  const r = validateDocument(doc(spec));
  assert.ok(r.ok, JSON.stringify(r));
  assert.deepEqual(r.resource.spec, spec);
};

test("Calico's sample peers round-trip unchanged (no defaults are stored)", () => {
  roundTrips({ node: 'rack1-host1', peerIP: '192.168.1.1', asNumber: 63400 });
  // Route reflectors: every node peers with the nodes labelled as reflectors.
  roundTrips({ nodeSelector: 'all()', peerSelector: "route-reflector == 'true'" });
  roundTrips({
    nodeSelector: "rack == 'rack-1'", peerIP: '[fd00::1]:1790', asNumber: 65001, localASNumber: 65002,
    nextHopMode: 'Self', password: { secretKeyRef: { name: 'bgp-secrets', key: 'rr-password' } },
    sourceAddress: 'None', maxRestartTime: '15s', keepaliveTime: '10s', numAllowedLocalASNumbers: 1,
    ttlSecurity: 1, reachableBy: 'fd00::fe', filters: ['export-only-pools'], reversePeering: 'Manual',
  });
  roundTrips({ localWorkloadSelector: "app == 'bgp-speaker'", asNumber: 65010 });
});

test('peer addresses: ip, <IPv4>:<port>, [<IPv6>]:<port>', () => {
  assert.deepEqual(parsePeerIP('10.0.0.1'), { ip: { version: 4, value: 0x0a000001n } });
  assert.equal(parsePeerIP('10.0.0.1:179')?.port, 179);
  assert.equal(parsePeerIP('[fd00::1]:1790')?.port, 1790);
  assert.equal(parsePeerIP('fd00::1')?.ip.version, 6);
  for (const bad of ['10.0.0.1:0', '10.0.0.1:65536', 'fd00::1:179x', '[10.0.0.1]', '[fd00::1]', 'host:179']) assert.equal(parsePeerIP(bad), null, bad);
});

test('every mistake of a BGPPeer is reported with its path', () => {
  assert.deepEqual(paths(doc({
    node: 'Rack1_Host1',
    peerIP: '192.168.1.1:99999',
    asNumber: 'x',
    sourceAddress: 'NodeIP',
    maxRestartTime: '2 minutes',
    ttlSecurity: 300,
    password: { secretKeyRef: { name: 'bgp-secrets' } },
    remoteAS: 65000,
  })), [
    'spec.asNumber', 'spec.maxRestartTime', 'spec.node', 'spec.password.secretKeyRef.key', 'spec.peerIP',
    'spec.remoteAS', 'spec.sourceAddress', 'spec.ttlSecurity',
  ]);
});

test('each cross-field rule of Calico\'s CRD has its failing case', () => {
  const cases: Array<[object, string[]]> = [
    [{ node: 'n1', nodeSelector: 'all()', peerIP: '10.0.0.1', asNumber: 65000 }, ['spec.nodeSelector']],
    [{ peerIP: '10.0.0.1', peerSelector: 'all()' }, ['spec.peerSelector']],
    [{ peerSelector: 'all()', asNumber: 65000 }, ['spec.asNumber']],
    [{ localWorkloadSelector: 'all()', peerIP: '10.0.0.1', asNumber: 65000 }, ['spec.peerIP']],
    [{ localWorkloadSelector: 'all()', peerSelector: 'all()' }, ['spec.asNumber', 'spec.peerSelector']],
    [{ peerSelector: 'all()', reachableBy: '10.0.0.254' }, ['spec.reachableBy']],
    [{ peerIP: '10.0.0.1', asNumber: 65000, reachableBy: 'fd00::1' }, ['spec.reachableBy']],
    [{ peerIP: '10.0.0.1', asNumber: 65000, keepOriginalNextHop: true, nextHopMode: 'Keep' }, ['spec.keepOriginalNextHop']],
  ];
  for (const [spec, want] of cases) assert.deepEqual(paths(doc(spec)), want, JSON.stringify(spec));
  // Deprecated alone is fine, and so is keepOriginalNextHop: false beside nextHopMode.
  assert.ok(validateDocument(doc({ peerIP: '10.0.0.1', asNumber: 65000, keepOriginalNextHop: true })).ok);
  assert.ok(validateDocument(doc({ peerIP: '10.0.0.1', asNumber: 65000, keepOriginalNextHop: false, nextHopMode: 'Self' })).ok);
});

test('maxPrefixes (Tortie): a positive whole number; its action and hold-down need it', () => {
  roundTrips({ peerIP: '10.0.0.1', asNumber: 65000, maxPrefixes: 100 });
  roundTrips({ peerIP: '10.0.0.1', asNumber: 65000, maxPrefixes: 100, maxPrefixesAction: 'Restart', maxPrefixesRestartTime: '2m' });
  roundTrips({ peerIP: '10.0.0.1', asNumber: 65000, maxPrefixes: 4294967295, maxPrefixesAction: 'Disable' });
  const base = { peerIP: '10.0.0.1', asNumber: 65000 };
  const cases: Array<[object, string[]]> = [
    [{ ...base, maxPrefixes: 0 }, ['spec.maxPrefixes']],
    [{ ...base, maxPrefixes: -5 }, ['spec.maxPrefixes']],
    [{ ...base, maxPrefixes: 1.5 }, ['spec.maxPrefixes']],
    [{ ...base, maxPrefixes: 4294967296 }, ['spec.maxPrefixes']],
    [{ ...base, maxPrefixes: '100' }, ['spec.maxPrefixes']],
    [{ ...base, maxPrefixes: 10, maxPrefixesAction: 'Warn' }, ['spec.maxPrefixesAction']],
    [{ ...base, maxPrefixes: 10, maxPrefixesRestartTime: 'soon' }, ['spec.maxPrefixesRestartTime']],
    [{ ...base, maxPrefixesAction: 'Disable' }, ['spec.maxPrefixesAction']],
    [{ ...base, maxPrefixesRestartTime: '30s' }, ['spec.maxPrefixesRestartTime']],
    [{ ...base, maxPrefixes: 10, maxPrefixesAction: 'Disable', maxPrefixesRestartTime: '30s' }, ['spec.maxPrefixesRestartTime']],
    [{ ...base, maxPrefixes: 10, maxPrefixesRestartTime: '500ms' }, ['spec.maxPrefixesRestartTime']],
  ];
  for (const [spec, want] of cases) assert.deepEqual(paths(doc(spec)), want, JSON.stringify(spec));
  const r = validateDocument(doc({ ...base, maxPrefixes: 0 }));
  assert.ok(!r.ok && /0 is not a whole number from 1 to 4294967295/.test(r.issues[0]!.message), JSON.stringify(r));
});

test('a peer needs a target, and a peer address needs its AS number', () => {
  assert.deepEqual(paths(doc({ node: 'n1' })), ['spec.peerIP']);
  assert.deepEqual(paths(doc({ peerIP: '10.0.0.1' })), ['spec.asNumber']);
});

test('calicoctl names find BGPPeer', () => {
  for (const n of ['bgppeer', 'bgppeers', 'bgpp', 'bgpps', 'bp', 'bps']) assert.equal(kindByName(n)?.kind, 'BGPPeer', n);
});
