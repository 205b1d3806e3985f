import assert from 'node:assert/strict';
import { test } from 'node:test';
import { release as releaseOrdinals, allocate } from '../block/index.js';
import { checkIpam } from './check.js';
import { healthy } from './_fixtures.js';
import { buildReport, parseReport, planRelease, type IpamReport } from './report-file.js';
import type { IpamSnapshot } from './snapshot.js';

const META = { tortieVersion: '0.1.0', generatedAt: '2026-11-26T03:00:00.000Z', datastore: 'sqlite file /tmp/x.db' };

/** healthy() with db-1's WorkloadEndpoint gone (10.65.0.2 leaked) and an empty handle left over. */
function leaky(): IpamSnapshot {
  const s = healthy();
  return {
    ...s,
    workloads: s.workloads.filter((w) => w.pod !== 'db-1'),
    handles: [...s.handles, { id: 'k8s-pod-network.old', block: { '10.65.0.0/26': 1 }, revision: 50 }],
  };
}

function reportOf(s: IpamSnapshot): IpamReport {
  const r = parseReport(JSON.parse(JSON.stringify(buildReport(checkIpam(s), META))));
  assert.ok(r.ok, !r.ok ? r.problems.join('\n') : '');
  return r.report;
}

test('a report lists every allocation (inUse false = leaked) and the empty handles, and reads back unchanged', () => {
  const rep = reportOf(leaky());
  assert.equal(rep.problems, 2);
  assert.deepEqual(rep.summary, { leaked: 1, 'empty-handle': 1 });
  assert.deepEqual(rep.allocations.find((a) => a.ip === '10.65.0.2'), {
    ip: '10.65.0.2', block: '10.65.0.0/26', handle: 'k8s-pod-network.db1', sequenceNumber: 3,
    pod: 'db-1', namespace: 'prod', node: 'node1', inUse: false, owners: [],
  });
  assert.deepEqual(rep.allocations.find((a) => a.ip === '10.65.0.1')!.owners, ['Node(node1) spec.bgp.ipv4IPIPTunnelAddr']);
  assert.deepEqual(rep.leakedHandles, [{ id: 'k8s-pod-network.old', revision: 50 }]);
});

test('a file that is not a report is refused with the fields that are wrong', () => {
  const good = buildReport(checkIpam(leaky()), META);
  const r = parseReport({ ...good, allocations: [{ ...good.allocations[0], ip: 1 }] });
  assert.ok(!r.ok);
  assert.deepEqual(r.problems, ['allocations.0.ip: Invalid input: expected string, received number']);
  assert.ok(!parseReport({ ...good, kind: 'List' }).ok);
  assert.ok(!parseReport([]).ok);
});

test('release plan: a still-leaked address is released with its sequence number; the empty handle at its revision', () => {
  const s = leaky();
  const plan = planRelease(reportOf(s), checkIpam(s), false);
  assert.deepEqual(plan.ips, [{ ip: '10.65.0.2', release: true, sequenceNumber: 3, was: 'pod prod/db-1, handle k8s-pod-network.db1' }]);
  assert.deepEqual(plan.handles, [{ id: 'k8s-pod-network.old', delete: true, revision: 50 }]);
});

test('release plan: an address that came back into use is skipped unless forced', () => {
  const s = leaky();
  const rep = reportOf(s);
  const now = checkIpam({ ...s, workloads: healthy().workloads });
  assert.deepEqual(planRelease(rep, now, false).ips.map((d) => [d.ip, d.release]), [['10.65.0.2', false]]);
  assert.match((planRelease(rep, now, false).ips[0] as { reason: string }).reason, /now in use by Workload\(prod\/node1-k8s-db--1-eth0\)/);
  assert.deepEqual(planRelease(rep, now, true).ips.map((d) => [d.ip, d.release]), [['10.65.0.2', true]]);
});

test('release plan: an address released and handed out again since the report is never released, not even forced', () => {
  const s = leaky();
  const rep = reportOf(s);
  let b = releaseOrdinals(s.blocks[0]!, [{ ordinal: 2 }]).block;
  const freed = releaseOrdinals(b, [{ ordinal: 2 }]).block;
  b = allocate({ ...freed, unallocated: [2, ...freed.unallocated.filter((o) => o !== 2)] }, { count: 1, handle: 'k8s-pod-network.new' }).block;
  for (const force of [false, true]) {
    const plan = planRelease(rep, checkIpam({ ...s, blocks: [b, s.blocks[1]!] }), force);
    assert.deepEqual(plan.ips.map((d) => [d.ip, d.release]), [['10.65.0.2', false]]);
    assert.match((plan.ips[0] as { reason: string }).reason, /re-allocated since the report \(now handle k8s-pod-network\.new\)/);
  }
  const gone = planRelease(rep, checkIpam({ ...s, blocks: [releaseOrdinals(s.blocks[0]!, [{ ordinal: 2 }]).block, s.blocks[1]!] }), false);
  assert.match((gone.ips[0] as { reason: string }).reason, /already released/);
});

test('release plan: handles are all or nothing: a leaked address whose handle has another in use is kept unless forced', () => {
  const s = leaky();
  // db-1 also holds 10.65.0.3 (dual-homed), and that one is still in its WorkloadEndpoint.
  const twice = { ...s, blocks: [allocate(s.blocks[0]!, { count: 1, handle: 'k8s-pod-network.db1', secondary: { node: 'node1', namespace: 'prod', pod: 'db-1' } }).block, s.blocks[1]!] };
  const now = checkIpam({ ...twice, workloads: [...s.workloads, { namespace: 'prod', name: 'node1-k8s-db--1-eth1', node: 'node1', pod: 'db-1', ips: ['10.65.0.3'] }] });
  const plan = planRelease(reportOf(s), now, false);
  assert.deepEqual(plan.ips.map((d) => [d.ip, d.release]), [['10.65.0.2', false]]);
  assert.match((plan.ips[0] as { reason: string }).reason, /handle k8s-pod-network\.db1 still has 10\.65\.0\.3 in use/);
  assert.deepEqual(planRelease(reportOf(s), now, true).ips.map((d) => [d.ip, d.release]), [['10.65.0.2', true]]);
});

test('release plan: a handle that changed since the report is kept', () => {
  const s = leaky();
  const rep = reportOf(s);
  const changed = { ...s, handles: s.handles.map((h) => (h.id === 'k8s-pod-network.old' ? { ...h, revision: 51 } : h)) };
  assert.deepEqual(planRelease(rep, checkIpam(changed), false).handles, [{ id: 'k8s-pod-network.old', delete: false, reason: 'changed since the report' }]);
});
