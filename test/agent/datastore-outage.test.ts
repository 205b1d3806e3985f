// The datastore goes away for 30 s: pods keep talking (the kernel keeps what the agents
// programmed), and what is changed after it returns is applied. etcd runs inside the lab's router
// namespace, where the agents (and, through the real CLI, this test) reach it.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { workloadEndpointName } from '../../src/model/index.js';
import { ClusterLab, TORTIE } from '../support/cluster-lab.js';
import { EtcdServer } from '../support/etcd-server.js';
import { tempDir } from '../support/temp-dir.js';
import { holdsFor, within } from '../support/within.js';

const run = promisify(execFile);
const IPAM = fileURLToPath(new URL('../../../bin/tortie-ipam', import.meta.url));
const isRoot = process.getuid?.() === 0;

describe('agents ride out a datastore outage', { skip: isRoot ? false : 'needs root (network namespaces)', timeout: 300_000 }, () => {
  const dir = tempDir('agent-outage');
  const lab = new ClusterLab('ao', dir.path);
  let etcd: EtcdServer;
  let env: Record<string, string>;

  /** The real `tortie` CLI, run inside the router namespace where etcd listens. */
  const tortie = async (args: string[], input?: string): Promise<string> => {
    const p = run('ip', ['netns', 'exec', lab.router, process.execPath, TORTIE, ...args], { env: { PATH: process.env['PATH'] ?? '', ...env } });
    if (input !== undefined) p.child.stdin!.end(input);
    return (await p).stdout;
  };

  async function addPod(name: string, node: string): Promise<{ netns: string; ip: string }> {
    const conf = JSON.stringify({ cniVersion: '1.0.0', name: 'k8s-pod-network', type: 'tortie', ipam: { type: 'tortie-ipam', nodename: node, datastore_type: 'etcdv3', etcd_endpoints: etcd.endpoint } });
    const p = run('ip', ['netns', 'exec', lab.router, process.execPath, IPAM], {
      env: { PATH: process.env['PATH'] ?? '', CNI_COMMAND: 'ADD', CNI_CONTAINERID: name, CNI_NETNS: `/var/run/netns/${name}`, CNI_IFNAME: 'eth0', TORTIE_CONFIG: '/dev/null' },
    });
    p.child.stdin!.end(conf);
    const out = await p.catch((e: { stdout?: string; message: string }) => { throw new Error(`tortie-ipam ADD for ${name} failed: ${e.stdout || e.message}`); });
    const ip = (JSON.parse(out.stdout) as { ips: Array<{ address: string }> }).ips[0]!.address.split('/')[0]!;
    const pod = lab.addPod(name, node, ip);
    await tortie(['apply', '-f', '-'], stringify({
      apiVersion: 'projectcalico.org/v3', kind: 'WorkloadEndpoint',
      metadata: { name: workloadEndpointName({ node, orchestrator: 'k8s', pod: name, endpoint: 'eth0' }), namespace: 'default', labels: { pod: name } },
      spec: { node, orchestrator: 'k8s', pod: name, endpoint: 'eth0', interfaceName: pod.hostIface, ipNetworks: [`${ip}/32`], profiles: ['kns.default'] },
    }));
    return pod;
  }

  before(async () => {
    lab.createRouter();
    lab.addNode('n1', 'A', 1);
    lab.addNode('n2', 'A', 2);
    etcd = await EtcdServer.start({ netns: { name: lab.router, host: '10.99.1.254' } });
    env = { TORTIE_DATASTORE: 'etcd', TORTIE_ETCD_ENDPOINTS: etcd.endpoint, TORTIE_CONFIG: '/dev/null' };
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
