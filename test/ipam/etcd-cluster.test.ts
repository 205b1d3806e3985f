// IPAM on a three-member etcd cluster whose leader — the member every client uses first — is
// killed with SIGKILL while 4 nodes make 60 CNI ADDs each through the real tortie-ipam plugin,
// 60 at a time, as a user of a clustered datastore would have them: not one ADD may fail (two
// members are a quorum), no address may be handed out twice, none may leak, and `tortie ipam
// check` must work — and be clean after the DELs — while the dead member is still down.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { EtcdStore } from '../../src/datastore/etcd/index.js';
import type { Store } from '../../src/datastore/ports.js';
import { validateDocument, type Resource } from '../../src/model/index.js';
import { ResourceClient } from '../../src/resources/index.js';
import { EtcdCluster } from '../support/etcd-cluster.js';
import { audit, ipamState } from '../support/ipam-audit.js';
import { tortie } from '../support/tortie-cli.js';
import { within } from '../support/within.js';

const PLUGIN = fileURLToPath(new URL('../../../bin/tortie-ipam', import.meta.url));
const NODES = ['node1', 'node2', 'node3', 'node4'];
const PER_NODE = 60;
const IN_FLIGHT_PER_NODE = 15;
const NETWORK = 'k8s-pod-network';

interface Call { containerId: string; node: string; code: number; out: { ips?: Array<{ address: string }>; code?: number; msg?: string } | null }

function plugin(command: 'ADD' | 'DEL', node: string, containerId: string, endpoints: readonly string[]): Promise<Call> {
  const conf = JSON.stringify({
    cniVersion: '1.0.0', name: NETWORK, type: 'ptp',
    ipam: { type: 'tortie-ipam', nodename: node, datastore_type: 'etcdv3', etcd_endpoints: endpoints.join(',') },
  });
  return new Promise((resolve) => {
    const child = execFile(PLUGIN, [], {
      env: { PATH: process.env['PATH'] ?? '', TORTIE_CONFIG: '/dev/null', CNI_COMMAND: command, CNI_CONTAINERID: containerId, CNI_NETNS: `/var/run/netns/tt-${containerId}`, CNI_IFNAME: 'eth0' },
      timeout: 120_000,
    }, (err, stdout) => {
      let out: Call['out'] = null;
      try { out = stdout.trim() ? JSON.parse(stdout) as Call['out'] : null; } catch { out = { msg: `unparsable: ${stdout}` }; }
      resolve({ containerId, node, code: err ? (typeof err.code === 'number' ? err.code : 99) : 0, out });
    });
    child.stdin!.end(conf);
  });
}

/** Every container of every node through the plugin, `IN_FLIGHT_PER_NODE` at a time per node. */
async function allContainers(command: 'ADD' | 'DEL', endpoints: readonly string[], onDone: () => void = () => {}): Promise<Call[]> {
  const perNode = await Promise.all(NODES.map(async (node) => {
    const ids = Array.from({ length: PER_NODE }, (_, i) => `${node}-c${i}`);
    const out: Call[] = [];
    await Promise.all(Array.from({ length: IN_FLIGHT_PER_NODE }, async () => {
      for (let id = ids.shift(); id !== undefined; id = ids.shift()) { out.push(await plugin(command, node, id, endpoints)); onDone(); }
    }));
    return out;
  }));
  return perNode.flat();
}

function doc(kind: string, name: string, spec: Record<string, unknown>): Resource {
  const v = validateDocument({ apiVersion: 'projectcalico.org/v3', kind, metadata: { name }, spec });
  assert.ok(v.ok, JSON.stringify(!v.ok && v.issues));
  return v.resource;
}

describe(`IPAM through tortie-ipam on a 3-member etcd cluster, ${NODES.length} nodes × ${PER_NODE}, the leader killed mid-run`, { timeout: 600_000 }, () => {
  let c: EtcdCluster;
  let store: Store;
  before(async () => {
    c = await EtcdCluster.start();
    store = await EtcdStore.open({ endpoints: c.endpoints });
    await new ResourceClient(store).apply([doc('IPPool', 'pool', { cidr: '10.97.0.0/20' }), ...NODES.map((n) => doc('Node', n, {}))]);
  });
  after(async () => {
    await store?.close();
    await c?.stop();
  });

  it('no ADD fails, no address is handed out twice, none leaks; DEL clears all; ipam check is clean with the member still down', async (t) => {
    const leader = await c.leader();
    const endpoints = [c.endpoint(leader), ...c.endpoints.filter((_, i) => i !== leader)];
    let finished = 0;
    const adds = allContainers('ADD', endpoints, () => { finished++; });
    // Mid-run: the nodes have allocated a fair share, and many ADDs are in flight.
    assert.notEqual(await within(120_000, () => finished >= 40, 50), null, `the nodes did not get going: ${finished} ADDs done`);
    await c.kill(leader);
    const killedAfter = finished;
    const calls = await adds;
    t.diagnostic(`leader (${c.endpoint(leader)}) killed after ${killedAfter} of ${calls.length} ADDs had finished`);
    assert.ok(killedAfter < calls.length - 60, 'the kill came too late to meet ADDs in flight');

    const failed = calls.filter((x) => x.code !== 0);
    assert.deepEqual(failed.map((f) => `${f.containerId}: ${JSON.stringify(f.out)}`), [], 'no ADD failed: two of three members were up');
    const ips = calls.map((x) => x.out!.ips![0]!.address.replace(/\/32$/, ''));
    assert.equal(new Set(ips).size, ips.length, 'no address was handed out twice');

    // Every address held is held by the handle of the ADD that got it — nothing more (no leak).
    const held = audit(await ipamState(store));
    assert.equal(held.size, calls.length, `${held.size} addresses held for ${calls.length} ADDs`);
    for (const x of calls) {
      const ip = x.out!.ips![0]!.address.replace(/\/32$/, '');
      assert.equal(held.get(ip)?.handle, `${NETWORK}.${x.containerId}`, `${ip} is held by ${x.containerId}`);
    }
    const dels = await allContainers('DEL', endpoints);
    assert.deepEqual(dels.filter((x) => x.code !== 0).map((x) => `${x.containerId}: ${JSON.stringify(x.out)}`), []);
    const after = await ipamState(store);
    assert.equal(audit(after).size, 0, 'every address is back');
    assert.equal(after.handles.size, 0, 'no handle is left');
    // The CLI works on the two members left (it failed on the first endpoint before).
    const check = await tortie(['ipam', 'check'], { TORTIE_DATASTORE: 'etcd', TORTIE_ETCD_ENDPOINTS: endpoints.join(',') });
    assert.match(check.stdout, /Check complete; found 0 problems/, `ipam check with ${c.endpoint(leader)} down:\n${check.stdout}${check.stderr}`);

    await c.restart(leader);
  });
});
