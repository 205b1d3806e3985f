// computeDesired with routes learned over BGP as an input (tortie agent --bgp): which pools BGP
// owns, how each learned route is programmed, and the datastore standing in while the speaker
// has not converged yet (our own graceful restart).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCIDR } from '../lib/ip.js';
import { affinityKey, blockKey, newBlock } from '../ipam/block/index.js';
import { kindByKind, resourceKey, validateDocument } from '../model/index.js';
import { ClusterState, type KeyUpdate } from './cluster-state.js';
import { computeDesired, type BgpRoutesInput, type CalcContext } from './desired.js';

function res(kind: string, name: string, spec: Record<string, unknown>): KeyUpdate {
  const v = validateDocument({ apiVersion: 'projectcalico.org/v3', kind, metadata: { name }, spec });
  assert.ok(v.ok, JSON.stringify(!v.ok && v.issues));
  return { key: resourceKey(kindByKind(kind)!, name), value: v.resource };
}
const node = (name: string, cidr: string): KeyUpdate => res('Node', name, { bgp: { ipv4Address: cidr } });
function block(cidr: string, owner: string): KeyUpdate[] {
  const c = parseCIDR(cidr)!;
  return [{ key: blockKey(c), value: newBlock(c, `host:${owner}`) }, { key: affinityKey(owner, c), value: { state: 'confirmed', deleted: false } }];
}

const CTX: CalcContext = { nodeName: 'n1', uplink: 'eth0', hostMtu: 1500, ipipSupported: true, programNoEncapRoutes: false };
const bgp = (routes: Array<[string, string]>, patch: Partial<BgpRoutesInput> = {}): BgpRoutesInput =>
  ({ converged: true, programClusterRoutes: 'EnabledNoEncapOnly', routes: routes.map(([prefix, nextHop]) => ({ prefix, nextHop })), ...patch });

function desired(pool: Record<string, unknown>, input: BgpRoutesInput, extra: KeyUpdate[] = []) {
  const s = new ClusterState();
  s.apply([
    res('IPPool', 'p', { cidr: '10.65.0.0/16', ...pool }),
    node('n1', '10.0.0.1/24'), node('n2', '10.0.0.2/24'), node('n3', '10.0.1.3/24'),
    ...block('10.65.0.0/26', 'n1'), ...block('10.65.1.0/26', 'n2'), ...block('10.65.2.0/26', 'n3'), ...extra,
  ]);
  return computeDesired(s, CTX, input);
}

test('no encapsulation: other nodes\' blocks come from BGP (via the next hop on the uplink), not from the datastore', () => {
  const d = desired({}, bgp([['10.65.1.0/26', '10.0.0.2'], ['10.65.0.0/26', '10.0.0.2'], ['10.65.1.7/32', '10.0.0.2']]));
  assert.deepEqual(d.routes, [
    { dst: '10.65.0.0/26', type: 'blackhole' }, // our own block: a learned copy never replaces it
    { dst: '10.65.1.0/26', type: 'unicast', via: '10.0.0.2', dev: 'eth0' },
    { dst: '10.65.1.7/32', type: 'unicast', via: '10.0.0.2', dev: 'eth0' },
  ]);
  assert.deepEqual(d.problems, []);
});

test('a withdrawn block disappears; a next hop off our subnet is reported, not programmed', () => {
  const d = desired({}, bgp([['10.65.2.0/26', '10.0.1.3']]));
  assert.deepEqual(d.routes.map((r) => r.dst), ['10.65.0.0/26']);
  assert.match(d.problems.join('\n'), /10\.65\.2\.0\/26 has next hop 10\.0\.1\.3, which is not on this node's subnet 10\.0\.0\.0\/24/);
});

test('while the speaker converges (our own restart) the datastore stands in, so the kernel keeps its routes', () => {
  const d = desired({}, bgp([], { converged: false }));
  assert.deepEqual(d.routes.find((r) => r.dst === '10.65.1.0/26'), { dst: '10.65.1.0/26', type: 'unicast', via: '10.0.0.2', dev: 'eth0' });
});

test('IPIP: left to the datastore by default (EnabledNoEncapOnly); from BGP with Enabled — tunl0 onlink, CrossSubnet by the next hop', () => {
  const learned: Array<[string, string]> = [['10.65.1.0/26', '10.0.0.2'], ['10.65.2.0/26', '10.0.1.3']];
  const def = desired({ ipipMode: 'Always' }, bgp(learned));
  assert.deepEqual(def.routes.find((r) => r.dst === '10.65.2.0/26'), { dst: '10.65.2.0/26', type: 'unicast', via: '10.0.1.3', dev: 'tunl0', onlink: true });
  const cross = desired({ ipipMode: 'CrossSubnet' }, bgp(learned, { programClusterRoutes: 'Enabled' }));
  assert.deepEqual(cross.routes.filter((r) => r.type === 'unicast'), [
    { dst: '10.65.1.0/26', type: 'unicast', via: '10.0.0.2', dev: 'eth0' },
    { dst: '10.65.2.0/26', type: 'unicast', via: '10.0.1.3', dev: 'tunl0', onlink: true },
  ]);
  // Without ipip in the kernel nothing goes through tunl0.
  const s = new ClusterState();
  s.apply([res('IPPool', 'p', { cidr: '10.65.0.0/16', ipipMode: 'Always' }), node('n1', '10.0.0.1/24')]);
  assert.deepEqual(computeDesired(s, { ...CTX, ipipSupported: false }, bgp(learned, { programClusterRoutes: 'Enabled' })).routes, []);
});

test('VXLAN pools are never programmed from BGP', () => {
  const d = desired({ vxlanMode: 'Always' }, bgp([['10.65.1.0/26', '10.0.0.2']], { programClusterRoutes: 'Enabled' }));
  assert.ok(!d.routes.some((r) => r.dst === '10.65.1.0/26' && r.dev === 'eth0'), JSON.stringify(d.routes));
});

test('routes outside every pool: programmed when the next hop is ours to reach, never one covering our own address', () => {
  const d = desired({}, bgp([['192.168.50.0/24', '10.0.0.254'], ['0.0.0.0/0', '10.0.0.254'], ['10.0.0.0/16', '10.0.0.254']]));
  assert.deepEqual(d.routes.filter((r) => r.type === 'unicast'), [{ dst: '192.168.50.0/24', type: 'unicast', via: '10.0.0.254', dev: 'eth0' }]);
  const off = desired({}, bgp([['192.168.50.0/24', '10.0.0.254']], { programClusterRoutes: 'Disabled' }));
  assert.deepEqual(off.routes.filter((r) => r.type === 'unicast'), []);
});
