import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryStore } from '../../datastore/memory/index.js';
import { isTortieError, type ErrorCode } from '../../lib/errors.js';
import { Node, validateDocument, type Resource } from '../../model/index.js';
import { ResourceClient } from '../../resources/index.js';
import { affinityKey, asAffinity, asBlock, asHandle, blockProblems, type AllocationBlock } from '../block/index.js';
import { parseCIDR } from '../../lib/ip.js';
import { IpamService } from './ipam-service.js';
import { assignTunnelAddress, releaseTunnelAddress, tunnelHandle } from './tunnel-addresses.js';

function doc(kind: string, name: string, spec: Record<string, unknown>, labels?: Record<string, string>): Resource {
  const v = validateDocument({ apiVersion: 'tortie.io/v1', kind, metadata: { name, ...(labels ? { labels } : {}) }, spec });
  assert.ok(v.ok, JSON.stringify(!v.ok && v.issues));
  return v.resource;
}

interface World { store: MemoryStore; resources: ResourceClient; ipam: IpamService; clock: { t: number } }

async function world(pools: Array<[string, string, Record<string, unknown>?]>, nodes = ['node1', 'node2'], ipamConfig?: Record<string, unknown>): Promise<World> {
  const store = new MemoryStore();
  const resources = new ResourceClient(store);
  const clock = { t: Date.parse('2026-11-26T12:00:00Z') };
  await resources.apply([
    ...pools.map(([name, cidr, extra]) => doc('IPPool', name, { cidr, ...extra })),
    ...nodes.map((n) => doc('Node', n, {}, { zone: n === 'node1' ? 'a' : 'b' })),
    ...(ipamConfig ? [doc('IPAMConfiguration', 'default', ipamConfig)] : []),
  ]);
  let seed = 1;
  const ipam = new IpamService(store, resources, { now: () => new Date(clock.t), random: () => ((seed = (seed * 16807) % 2147483647) / 2147483647) });
  return { store, resources, ipam, clock };
}

async function rejectsWith(p: Promise<unknown>, code: ErrorCode, re?: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(isTortieError(e), String(e));
    assert.equal(e.code, code, e.message);
    if (re) assert.match(e.message, re);
    return true;
  });
}

async function blocks(w: World): Promise<AllocationBlock[]> {
  return (await w.store.list('/calico/ipam/v2/assignment/ipv4/block/')).items.map((kv) => asBlock(kv.value)!);
}

test('a first allocation claims a block for the node (affinity confirmed) and records the handle', async () => {
  const w = await world([['pool', '10.65.0.0/16']]);
  const [ip] = await w.ipam.autoAssign({ node: 'node1', handle: 'k8s-pod-network.c1', attributes: { node: 'node1', pod: 'p1', namespace: 'default' } });
  const [b] = await blocks(w);
  assert.equal(b!.affinity, 'host:node1');
  assert.ok(ip!.startsWith(b!.cidr.split('.').slice(0, 3).join('.')), `${ip} in ${b!.cidr}`);
  const aff = await w.store.get(`/calico/ipam/v2/host/node1/ipv4/block/${b!.cidr.replace('/', '-')}`);
  assert.deepEqual(asAffinity(aff.value), { state: 'confirmed', deleted: false });
  assert.deepEqual(asHandle((await w.store.get('/calico/ipam/v2/handle/k8s-pod-network.c1')).value), { block: { [b!.cidr]: 1 }, deleted: false });
  assert.deepEqual(b!.attributes, [{ handle_id: 'k8s-pod-network.c1', secondary: { node: 'node1', pod: 'p1', namespace: 'default' } }]);
  assert.deepEqual(await w.ipam.ipsOfHandle('k8s-pod-network.c1'), [ip]);
});

test('a full block leads to a second block; release by handle frees everything and deletes the handle', async () => {
  const w = await world([['pool', '10.65.0.0/16']]);
  const ips = await w.ipam.autoAssign({ node: 'node1', handle: 'h', count: 70 });
  assert.equal(new Set(ips).size, 70);
  assert.equal((await blocks(w)).length, 2);
  assert.deepEqual((await w.ipam.affineBlocks('node1')).length, 2);
  const released = await w.ipam.releaseByHandle('h');
  assert.deepEqual([...released].sort(), [...ips].sort());
  await assert.rejects(w.store.get('/calico/ipam/v2/handle/h'));
  for (const b of await blocks(w)) { assert.equal(b.unallocated.length, 64); assert.deepEqual(blockProblems(b), []); }
  assert.deepEqual(await w.ipam.releaseByHandle('h'), [], 'release is idempotent');
});

test('nodes get different blocks; with the pool full, a node borrows unless strictAffinity', async () => {
  const w = await world([['small', '10.9.0.0/26']]); // exactly one /26 block
  const a = await w.ipam.autoAssign({ node: 'node1', handle: 'a', count: 10 });
  const b = await w.ipam.autoAssign({ node: 'node2', handle: 'b', count: 5 });
  assert.equal(new Set([...a, ...b]).size, 15);
  const [blk] = await blocks(w);
  assert.equal(blk!.affinity, 'host:node1', 'node2 borrowed from node1\'s block');
  assert.deepEqual((await w.ipam.affineBlocks('node2')), []);

  const strict = await world([['small', '10.9.0.0/26']], ['node1', 'node2'], { strictAffinity: true });
  await strict.ipam.autoAssign({ node: 'node1', handle: 'a' });
  await rejectsWith(strict.ipam.autoAssign({ node: 'node2', handle: 'b' }), 'TORTIE_ERR_IPAM_POOL_EXHAUSTED', /strictAffinity/);
});

test('the pool exhausted, the block limit, a disabled pool and an unknown node each have their own error', async () => {
  const w = await world([['small', '10.9.0.0/26']]);
  await w.ipam.autoAssign({ node: 'node1', handle: 'all', count: 64 });
  await rejectsWith(w.ipam.autoAssign({ node: 'node2', handle: 'x' }), 'TORTIE_ERR_IPAM_POOL_EXHAUSTED', /No free address for node node2 in small \(10\.9\.0\.0\/26\)/);

  const limited = await world([['pool', '10.65.0.0/16']], ['node1'], { strictAffinity: true, maxBlocksPerHost: 1 });
  await limited.ipam.autoAssign({ node: 'node1', handle: 'a', count: 64 });
  await rejectsWith(limited.ipam.autoAssign({ node: 'node1', handle: 'b' }), 'TORTIE_ERR_IPAM_BLOCK_LIMIT', /already owns 1 blocks \(maxBlocksPerHost 1\)/);

  const disabled = await world([['off', '10.65.0.0/16', { disabled: true }]]);
  await rejectsWith(disabled.ipam.autoAssign({ node: 'node1', handle: 'a' }), 'TORTIE_ERR_IPAM_NO_POOL', /off is disabled/);
  await rejectsWith(w.ipam.autoAssign({ node: 'node1', handle: 'a', pools: ['nope'] }), 'TORTIE_ERR_IPAM_NO_POOL', /IP pool nope does not exist/);
  await rejectsWith(w.ipam.autoAssign({ node: 'ghost', handle: 'a' }), 'TORTIE_ERR_IPAM_UNKNOWN_NODE', /Node ghost does not exist/);

  const selective = await world([['zone-a', '10.65.0.0/16', { nodeSelector: "zone == 'a'" }]]);
  await selective.ipam.autoAssign({ node: 'node1', handle: 'ok' });
  await rejectsWith(selective.ipam.autoAssign({ node: 'node2', handle: 'no' }), 'TORTIE_ERR_IPAM_NO_POOL', /does not select node node2/);
});

test('a failed multi-address request gives back what it took', async () => {
  const w = await world([['small', '10.9.0.0/26']], ['node1'], { strictAffinity: true });
  await rejectsWith(w.ipam.autoAssign({ node: 'node1', handle: 'greedy', count: 65 }), 'TORTIE_ERR_IPAM_POOL_EXHAUSTED', /got 64 of 65/);
  const [b] = await blocks(w);
  assert.equal(b!.unallocated.length, 64);
  await assert.rejects(w.store.get('/calico/ipam/v2/handle/greedy'));
});

test('an empty block of another node is reclaimed only after the minimum age', async () => {
  const w = await world([['small', '10.9.0.0/26']], ['node1', 'node2'], { strictAffinity: true });
  await w.ipam.autoAssign({ node: 'node1', handle: 'a' });
  await w.ipam.releaseByHandle('a');
  await rejectsWith(w.ipam.autoAssign({ node: 'node2', handle: 'b' }), 'TORTIE_ERR_IPAM_POOL_EXHAUSTED');
  w.clock.t += 61_000;
  const [ip] = await w.ipam.autoAssign({ node: 'node2', handle: 'b' });
  assert.ok(ip!.startsWith('10.9.0.'));
  assert.equal((await blocks(w))[0]!.affinity, 'host:node2');
  assert.deepEqual(await w.ipam.affineBlocks('node1'), []);
  assert.equal((await w.ipam.affineBlocks('node2')).length, 1);
});

test('release by address honours the sequence number, and releasing twice is harmless', async () => {
  const w = await world([['pool', '10.65.0.0/16']]);
  const [ip] = await w.ipam.autoAssign({ node: 'node1', handle: 'h1' });
  const seq = (await blocks(w))[0]!.sequenceNumberForAllocation;
  const ordSeq = Object.values(seq)[0]!;
  assert.deepEqual(await w.ipam.releaseIPs([{ ip: ip!, sequenceNumber: ordSeq + 7 }]), [{ ip, released: false, reason: 'reassigned since (sequence number differs)' }]);
  assert.deepEqual(await w.ipam.releaseIPs([{ ip: ip!, sequenceNumber: ordSeq }]), [{ ip, released: true }]);
  assert.deepEqual(await w.ipam.releaseIPs([{ ip: ip! }]), [{ ip, released: false, reason: 'not assigned' }]);
  await assert.rejects(w.store.get('/calico/ipam/v2/handle/h1'), 'the handle went with its last address');
});

test('tunnel addresses: one per node and kind, recorded in the Node resource, released on demand', async () => {
  const w = await world([['vx', '10.70.0.0/16', { vxlanMode: 'Always' }], ['plain', '10.71.0.0/16']]);
  const ip = await assignTunnelAddress(w.ipam, 'node1', 'vxlan');
  assert.ok(ip.startsWith('10.70.'), ip);
  assert.equal(await assignTunnelAddress(w.ipam, 'node1', 'vxlan'), ip, 'idempotent');
  assert.equal((await w.resources.get(Node, 'node1')).spec['ipv4VXLANTunnelAddr'], ip);
  assert.deepEqual(await w.ipam.ipsOfHandle(tunnelHandle('node1', 'vxlan')), [ip]);
  await rejectsWith(assignTunnelAddress(w.ipam, 'node1', 'ipip'), 'TORTIE_ERR_IPAM_NO_POOL', /ipipMode/);
  assert.deepEqual(await releaseTunnelAddress(w.ipam, 'node1', 'vxlan'), [ip]);
  assert.equal((await w.resources.get(Node, 'node1')).spec['ipv4VXLANTunnelAddr'], undefined);
});

test('many concurrent allocations for several nodes never hand out an address twice', async () => {
  const nodes = ['n1', 'n2', 'n3', 'n4'];
  const w = await world([['pool', '10.80.0.0/22']], nodes); // 16 blocks of 64
  const results = await Promise.all(nodes.flatMap((node) => Array.from({ length: 40 }, (_, i) =>
    w.ipam.autoAssign({ node, handle: `${node}.${i}`, attributes: { node } }))));
  const all = results.flat();
  assert.equal(all.length, 160);
  assert.equal(new Set(all).size, 160);
  for (const b of await blocks(w)) assert.deepEqual(blockProblems(b), []);
});

test('a block released empty is not recreated without its affinity by the next allocation (the "last block with room" hint)', async () => {
  const { ipam, store } = await world([['p', '10.70.0.0/16']]);
  const [ip] = await ipam.autoAssign({ node: 'node1', handle: 'h1' });
  const owned = await ipam.affineBlocks('node1');
  assert.equal(owned.length, 1, `one block: ${ip}`);
  await ipam.releaseByHandle('h1');
  assert.equal(await ipam.releaseEmptyBlock('node1', owned[0]!), true);
  assert.ok((await ipam.autoAssign({ node: 'node1', handle: 'h2' }))[0]);
  // Every block that exists has its confirmed affinity record: ipam check reports block-without-affinity otherwise.
  for (const { block: b } of await ipam.allBlocks()) {
    const node = b.affinity!.replace(/^host:/, '');
    const aff = await store.get(affinityKey(node, parseCIDR(b.cidr)!)).catch(() => null);
    assert.equal(asAffinity(aff?.value)?.state, 'confirmed', `block ${b.cidr} has a confirmed affinity`);
  }
});
