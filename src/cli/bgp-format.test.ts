import assert from 'node:assert/strict';
import { test } from 'node:test';
import { birdSince, renderPeerTables, renderRoutes } from './bgp-format.js';

test('node status: calicoctl\'s IPv4 peer table plus prefix counts; "No IPv6 peers found."', () => {
  const now = new Date('2026-01-02T10:00:00Z');
  const text = renderPeerTables([
    { address: '10.0.0.2', type: 'node-to-node mesh', state: 'up', since: '2026-01-02T09:13:21Z', info: 'Established', prefixes: { received: 3, accepted: 2, advertised: 1 } },
    { address: '10.0.0.254', port: 1790, type: 'global', state: 'start', since: '2025-12-30T01:00:00Z', info: 'Active Socket: Connection refused' },
  ], now);
  const lines = text.split('\n');
  assert.equal(lines[0], 'IPv4 BGP status');
  assert.match(lines[1]!, /^\+-+\+-+\+/);
  assert.match(lines[2]!, /^\| PEER ADDRESS +\| PEER TYPE +\| STATE \| SINCE +\| INFO +\| RECEIVED \| ACCEPTED \| ADVERTISED \|$/);
  assert.equal(lines[3], lines[1]);
  assert.match(lines[4]!, /^\| 10\.0\.0\.2 +\| node-to-node mesh \| up +\| 09:13:21 +\| Established +\| 3 +\| 2 +\| 1 +\|$/);
  assert.match(lines[5]!, /^\| 10\.0\.0\.254:1790 \| global +\| start \| 2025-12-30 \| Active Socket: Connection refused \| 0/);
  assert.match(text, /IPv6 BGP status\nNo IPv6 peers found\./);
  assert.equal(birdSince('garbage', now), '?');
});

test('bgp routes: each best path with the rule that made it win and its reflection attributes', () => {
  const text = renderRoutes([
    { prefix: '10.65.1.0/26', nextHops: ['10.0.0.2'], from: '10.0.0.100', fromName: 'Global_10_0_0_100', decidedBy: 'cluster-list-length', ecmp: 1, asPath: '', localPref: 100, originatorId: '10.0.0.2', clusterList: ['224.0.0.1'] },
    { prefix: '10.65.0.0/26', nextHops: [], from: 'local', decidedBy: 'only-path', ecmp: 1, asPath: '' },
  ]);
  assert.match(text, /^PREFIX +NEXT HOP +FROM +AS PATH +LOCAL PREF +WON BY +DETAIL/);
  assert.match(text, /10\.65\.1\.0\/26 +10\.0\.0\.2 +Global_10_0_0_100 \(10\.0\.0\.100\) +- +100 +cluster-list-length +originator 10\.0\.0\.2; cluster-list 224\.0\.0\.1/);
  assert.match(text, /10\.65\.0\.0\/26 +- +local +- +- +only-path/);
});
