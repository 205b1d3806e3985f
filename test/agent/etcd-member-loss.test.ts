// Agents on a three-member etcd cluster lose the member they use — the leader — to SIGKILL:
// their watches move to another member, the dataplane stays as it was (no route, no rule
// flushed or flapped), a policy written while the member is down is enforced, and `tortie node
// status` names the member in use and the one that failed. The members listen on unix sockets,
// which the agents reach from inside their network namespaces.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { ClusterLab } from '../support/cluster-lab.js';
import { addIpamPod, tortieCli, type DatastoreAccess } from '../support/cluster-pods.js';
import { EtcdCluster } from '../support/etcd-cluster.js';
import { tempDir } from '../support/temp-dir.js';
import { holdsFor, within } from '../support/within.js';

const isRoot = process.getuid?.() === 0;

describe('agents on a 3-member etcd cluster lose the member they use', { skip: isRoot ? false : 'needs root (network namespaces)', timeout: 300_000 }, () => {
  const dir = tempDir('agent-member');
  const lab = new ClusterLab('em', dir.path);
  let c: EtcdCluster;
  let ds: DatastoreAccess;
  let leader = -1;
  const tortie = (args: string[], input?: string): Promise<string> => tortieCli(ds, args, input);

  before(async () => {
    lab.createRouter();
    lab.addNode('n1', 'A', 1);
    lab.addNode('n2', 'A', 2);
    c = await EtcdCluster.start({ unix: true });
    leader = await c.leader();
    // The leader first: it is the member every client uses, and the one that dies.
    const endpoints = [c.endpoint(leader), ...c.endpoints.filter((_, i) => i !== leader)].join(',');
    ds = { env: { TORTIE_DATASTORE: 'etcd', TORTIE_ETCD_ENDPOINTS: endpoints }, ipam: { datastore_type: 'etcdv3', etcd_endpoints: endpoints } };
    await tortie(['apply', '-f', '-'], [
      stringify({ apiVersion: 'projectcalico.org/v3', kind: 'IPPool', metadata: { name: 'pool' }, spec: { cidr: '10.67.0.0/16' } }),
      stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } }),
    ].join('---\n'));
    for (const n of ['n1', 'n2']) lab.startAgent(n, { ...ds.env }, ['--refresh-interval', '2', '--reporting-interval', '1']);
    const registered = await within(30_000, async () => /n1[\s\S]*n2/.test(await tortie(['get', 'nodes']).catch(() => '')), 200);
    assert.notEqual(registered, null, `the agents did not register their nodes; n1's log:\n${lab.agentLog('n1').slice(-2000)}`);
  });
  after(async () => {
    await lab.destroy();
    await c?.stop();
    dir.remove();
  });

  it('watches move, the dataplane stays, a policy written meanwhile is enforced, node status names the members', async (t) => {
    const p1 = await addIpamPod(lab, ds, 'p1', 'n1');
    const p2 = await addIpamPod(lab, ds, 'p2', 'n2');
    assert.ok(await lab.pingUntil(p1.netns, p2.ip, 30_000), `p1 → p2 never worked; n1's log:\n${lab.agentLog('n1').slice(-2000)}`);
    const routes = (n: string): string => lab.ip(n, 'route', 'show', 'proto', '80');
    const before = { n1: routes('n1'), n2: routes('n2') };

    await c.kill(leader);
    const dead = c.endpoint(leader);
    // The loss itself: traffic goes on, and nothing the agents programmed changes.
    const steady = await holdsFor(5000, () => lab.ping(p1.netns, p2.ip, 1) && routes('n1') === before.n1 && routes('n2') === before.n2, 250);
    assert.ok(steady, `traffic or routes changed after the member died:\nn1 before:\n${before.n1}\nn1 now:\n${routes('n1')}\n${lab.agentLog('n1').slice(-2000)}`);

    // A policy written while the member is still down (the CLI moves off it too) reaches n2's
    // agent over its moved watch.
    await tortie(['apply', '-f', '-'], stringify({
      apiVersion: 'projectcalico.org/v3', kind: 'GlobalNetworkPolicy', metadata: { name: 'deny-p2' },
      spec: { selector: "pod == 'p2'", ingress: [{ action: 'Deny' }] },
    }));
    const enforced = await within(30_000, () => !lab.ping(p1.netns, p2.ip, 0.3), 200);
    assert.notEqual(enforced, null, `the policy written during the loss was never applied; n2's log:\n${lab.agentLog('n2').slice(-3000)}`);
    assert.equal(lab.ping(p1.netns, p2.ip, 2), false, 'traffic still passes: the lost probe was not the policy');
    t.diagnostic(`policy written during the loss enforced in ${enforced} ms`);

    // node status: the member in use is a live one; the dead one is named with what it said.
    let status = '';
    const named = await within(20_000, async () => {
      status = await tortie(['node', 'status', 'n2']).catch((e: { stdout?: string }) => e.stdout ?? '');
      return status.includes(`${dead} failed`) && !status.includes(`${dead} (in use)`) && /etcd member\s+unix:\S+ \(in use\)/.test(status);
    }, 500);
    assert.notEqual(named, null, `node status does not name the members:\n${status}`);
    t.diagnostic(status.split('\n').filter((l) => /etcd member|failed/.test(l)).join(' | '));

    await tortie(['delete', 'globalnetworkpolicy', 'deny-p2']);
    assert.ok(await lab.pingUntil(p1.netns, p2.ip, 30_000), 'the deleted policy kept denying');
    assert.equal(routes('n1'), before.n1, 'n1\'s routes are as before');
    assert.equal(routes('n2'), before.n2, 'n2\'s routes are as before');
    await c.restart(leader);
  });
});
