import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatCIDR, parseCIDR, parseIP } from '../../lib/ip.js';
import { blockContaining, blockCount, blockWalk, fnv32, nthBlock } from './pool-blocks.js';
import { affinityKey, blockKey, handleKey, parseAffinityKey, parseBlockKey } from './keys.js';

test('FNV-1 32 matches the reference vectors', () => {
  assert.equal(fnv32(''), 0x811c9dc5);
  assert.equal(fnv32('a'), 0x050c5d7e);
  assert.equal(fnv32('foobar'), 0x31f0b262);
});

test('a /16 pool has 1024 /26 blocks; a node walks all of them once from its own start', () => {
  const pool = parseCIDR('192.168.0.0/16')!;
  assert.equal(blockCount(pool, 26), 1024);
  assert.equal(formatCIDR(nthBlock(pool, 26, 1023)), '192.168.255.192/26');
  const walk = [...blockWalk(pool, 26, 'node1')].map(formatCIDR);
  assert.equal(new Set(walk).size, 1024);
  assert.notEqual(walk[0], [...blockWalk(pool, 26, 'node2')].map(formatCIDR)[0], 'different nodes start in different places');
  assert.equal(formatCIDR(blockContaining(parseIP('192.168.3.77')!.value, 4, 26)), '192.168.3.64/26');
});

test('keys follow Calico\'s layout and parse back', () => {
  const c = parseCIDR('10.65.0.0/26')!;
  assert.equal(blockKey(c), '/calico/ipam/v2/assignment/ipv4/block/10.65.0.0-26');
  assert.equal(affinityKey('node1', c), '/calico/ipam/v2/host/node1/ipv4/block/10.65.0.0-26');
  assert.equal(handleKey('k8s-pod-network.abc'), '/calico/ipam/v2/handle/k8s-pod-network.abc');
  assert.equal(formatCIDR(parseBlockKey(blockKey(c))!), '10.65.0.0/26');
  const a = parseAffinityKey(affinityKey('node-1.example', c))!;
  assert.equal(a.node, 'node-1.example');
  assert.equal(formatCIDR(a.cidr), '10.65.0.0/26');
  const v6 = parseCIDR('fd00::40/122')!;
  assert.equal(formatCIDR(parseBlockKey(blockKey(v6))!), 'fd00::40/122');
});
