// The datastore goes away for 30 s: pods keep talking (the kernel keeps what the agents
// programmed), and what is changed after it returns is applied. etcd runs inside the lab's router
// namespace, where the agents (and, through the real CLI, this test) reach it.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { ClusterLab, type LabPod } from '../support/cluster-lab.js';
import { addIpamPod, tortieCli, type DatastoreAccess } from '../support/cluster-pods.js';
import { EtcdServer } from '../support/etcd-server.js';
import { tempDir } from '../support/temp-dir.js';
import { holdsFor, within } from '../support/within.js';

const isRoot = process.getuid?.() === 0;

describe('agents ride out a datastore outage', { skip: isRoot ? false : 'needs root (network namespaces)', timeout: 300_000 }, () => {
  const dir = tempDir('agent-outage');
  const lab = new ClusterLab('ao', dir.path);
  let etcd: EtcdServer;
  let env: Record<string, string>;

  /** The real CLI and tortie-ipam, run inside the router namespace where etcd listens. */
  let ds: DatastoreAccess;
  const tortie = (args: string[], input?: string): Promise<string> => tortieCli(ds, args, input);
  const addPod = (name: string, node: string): Promise<LabPod> => addIpamPod(lab, ds, name, node);

  before(async () => {
    lab.createRouter();
    lab.addNode('n1', 'A', 1);
    lab.addNode('n2', 'A', 2);
    etcd = await EtcdServer.start({ netns: { name: lab.router, host: '10.99.1.254' } });
    env = { TORTIE_DATASTORE: 'etcd', TORTIE_ETCD_ENDPOINTS: etcd.endpoint, TORTIE_CONFIG: '/dev/null' };
    ds = { env, ipam: { datastore_type: 'etcdv3', etcd_endpoints: etcd.endpoint }, netns: lab.router };
    await tortie(['apply', '-f', '-'], [
      stringify({ apiVersion: 'projectcalico.org/v3', kind: 'IPPool', metadata: { name: 'pool' }, spec: { cidr: '10.66.0.0/16' } }),
      stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } }),
    ].join('---\n'));
    for (const n of ['n1', 'n2']) lab.startAgent(n, env, ['--refresh-interval', '2', '--reporting-interval', '1']);
    // tortie-ipam serves only nodes that exist: wait until both agents have registered theirs.
    const registered = await within(20_000, async () => /n1[\s\S]*n2/.test(await tortie(['get', 'nodes']).catch(() => '')), 200);
    assert.notEqual(registered, null, `the agents did not register their nodes; n1's log:\n${lab.agentLog('n1').slice(-2000)}`);
  });
  after(async () => {
    await lab.destroy();
    await etcd?.stop();
    dir.remove();
  });

  it('keeps forwarding for 30 s without etcd, then applies what changed after it came back', async (t) => {
    const p1 = await addPod('p1', 'n1');
    const p2 = await addPod('p2', 'n2');
    assert.ok(await lab.pingUntil(p1.netns, p2.ip, 30_000), `p1 → p2 never worked; n1's log:\n${lab.agentLog('n1').slice(-2000)}`);

    await etcd.halt();
    // The outage itself: 30 s without etcd, a ping every 500 ms, every one answered.
    let sent = 0;
    const forwarded = await holdsFor(30_000, () => { sent++; return lab.ping(p1.netns, p2.ip, 1); }, 500);
    t.diagnostic(`during the outage: ${forwarded ? sent : sent - 1}/${sent} pings answered`);
    assert.ok(forwarded, `traffic stopped while the datastore was down (ping ${sent} unanswered); n1's log:\n${lab.agentLog('n1').slice(-2000)}`);

    await etcd.restart();
    await tortie(['apply', '-f', '-'], stringify({
      apiVersion: 'projectcalico.org/v3', kind: 'GlobalNetworkPolicy', metadata: { name: 'deny-p2' },
      spec: { selector: "pod == 'p2'", ingress: [{ action: 'Deny' }] },
    }));
    const enforced = await within(30_000, () => !lab.ping(p1.netns, p2.ip, 0.3), 200);
    assert.notEqual(enforced, null, `the policy written after the outage was never applied; n2's log:\n${lab.agentLog('n2').slice(-2000)}`);
    // A 300 ms probe can also go unanswered on a busy machine: one with time to spare must fail too.
    assert.equal(lab.ping(p1.netns, p2.ip, 2), false, 'traffic still passes: the lost probe was not the policy');
    t.diagnostic(`policy written after the outage enforced in ${enforced} ms`);
  });
});
