// Agents with BGP on a bad network: 15 % of the underlay's frames lost (nft's random drop on the
// router's bridge — this kernel has no netem), and every byte to and from etcd held 600–800 ms
// each way (a slow-link proxy on the agents' datastore socket). Nothing flaps: the routes stay
// exactly as they were, the BGP sessions stay up; a policy written meanwhile is still enforced;
// and `tortie node status` shows the degradation — the slow datastore calls, the node degraded.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { ClusterLab } from '../support/cluster-lab.js';
import { addIpamPod, tortieCli, type DatastoreAccess } from '../support/cluster-pods.js';
import { EtcdCluster } from '../support/etcd-cluster.js';
import { SlowLink } from '../support/slow-link.js';
import { tempDir } from '../support/temp-dir.js';
import { holdsFor, within } from '../support/within.js';

const isRoot = process.getuid?.() === 0;
const LOSS_PERCENT = 15;

describe('agents on a lossy underlay and a slow datastore link', { skip: isRoot ? false : 'needs root (network namespaces)', timeout: 400_000 }, () => {
  const dir = tempDir('agent-degraded');
  const lab = new ClusterLab('dg', dir.path);
  let etcd: EtcdCluster;
  let link: SlowLink | null = null;
  let ds: DatastoreAccess;
  const tortie = (args: string[], input?: string): Promise<string> => tortieCli(ds, args, input);

  before(async () => {
    lab.createRouter();
    lab.addNode('n1', 'A', 1);
    lab.addNode('n2', 'A', 2);
    etcd = await EtcdCluster.start({ size: 1, unix: true });
    const direct = etcd.endpoint(0);
    // The test's own CLI calls go straight to etcd; the agents' go through the slow link.
    ds = { env: { TORTIE_DATASTORE: 'etcd', TORTIE_ETCD_ENDPOINTS: direct }, ipam: { datastore_type: 'etcdv3', etcd_endpoints: direct } };
    await tortie(['apply', '-f', '-'], [
      stringify({ apiVersion: 'projectcalico.org/v3', kind: 'IPPool', metadata: { name: 'pool' }, spec: { cidr: '10.68.0.0/16', ipipMode: 'Never', vxlanMode: 'Never' } }),
      stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } }),
      // Denials answer with an ICMP error, so a denied probe is told apart from a lost one.
      stringify({ apiVersion: 'projectcalico.org/v3', kind: 'FelixConfiguration', metadata: { name: 'default' }, spec: { nftablesFilterDenyAction: 'Reject' } }),
    ].join('---\n'));
    link = await SlowLink.start(join(dir.path, 'slow.sock'), direct.replace(/^unix:\/\//, ''), { delayMs: 600, jitterMs: 200, seed: 7 });
    const env = { TORTIE_DATASTORE: 'etcd', TORTIE_ETCD_ENDPOINTS: `unix://${link.path}` };
    for (const n of ['n1', 'n2']) lab.startAgent(n, env, ['--bgp', '--refresh-interval', '5', '--reporting-interval', '1']);
    const registered = await within(60_000, async () => /n1[\s\S]*n2/.test(await tortie(['get', 'nodes']).catch(() => '')), 500);
    assert.notEqual(registered, null, `the agents did not register their nodes; n1's log:\n${lab.agentLog('n1').slice(-2000)}`);
  });
  after(async () => {
    await lab.destroy();
    await link?.stop();
    await etcd?.stop();
    dir.remove();
  });

  it('routes and sessions hold, a policy still lands, node status shows the slow datastore', async (t) => {
    const p1 = await addIpamPod(lab, ds, 'p1', 'n1');
    const p2 = await addIpamPod(lab, ds, 'p2', 'n2');
    assert.ok(await lab.pingUntil(p1.netns, p2.ip, 60_000), `p1 → p2 never worked; n1's log:\n${lab.agentLog('n1').slice(-2000)}`);
    const routes = (n: string): string => lab.ip(n, 'route', 'show', 'proto', '80');
    // n1 has n2's block over BGP, and the other way round, before the fault.
    const block = (ip: string): string => { const o = ip.split('.').map(Number); return `${o[0]}.${o[1]}.${o[2]}.${o[3]! & 0xc0}/26`; };
    assert.notEqual(await within(30_000, () => routes('n1').includes(block(p2.ip)) && routes('n2').includes(block(p1.ip)), 250), null,
      `BGP routes missing:\nn1: ${routes('n1')}\nn2: ${routes('n2')}`);
    const before = { n1: routes('n1'), n2: routes('n2') };

    // The lossy underlay: every frame between the nodes crosses the router's bridge.
    execFileSync('ip', ['netns', 'exec', lab.router, 'nft', '-f', '-'], {
      input: `table bridge tt-loss {\n chain forward {\n  type filter hook forward priority 0;\n  numgen random mod 100 < ${LOSS_PERCENT} drop\n }\n}\n`,
    });
    const n2ip = lab.nodes.get('n2')!.ip;
    const pings = execFileSync('ip', ['netns', 'exec', lab.nodes.get('n1')!.netns, 'ping', '-c', '100', '-i', '0.02', '-W', '1', '-q', n2ip], { encoding: 'utf8' }).toString();
    const loss = Number(/(\d+(?:\.\d+)?)% packet loss/.exec(pings)?.[1] ?? 0);
    t.diagnostic(`underlay n1 → n2: ${loss}% of 100 pings lost`);
    assert.ok(loss > 0, `the underlay loses nothing: ${pings}`);

    // 30 s on the bad network: not one route changes on either node.
    const held = await holdsFor(30_000, () => routes('n1') === before.n1 && routes('n2') === before.n2, 250);
    assert.ok(held, `routes changed:\nn1 before:\n${before.n1}\nn1 now:\n${routes('n1')}\nn2 before:\n${before.n2}\nn2 now:\n${routes('n2')}`);

    // A policy written now reaches n2's agent through the slow link and is enforced (refused, not lost).
    await tortie(['apply', '-f', '-'], stringify({
      apiVersion: 'projectcalico.org/v3', kind: 'GlobalNetworkPolicy', metadata: { name: 'deny-p2' },
      spec: { selector: "pod == 'p2'", ingress: [{ action: 'Deny', protocol: 'ICMP' }] },
    }));
    const refused = (): boolean => {
      try { execFileSync('ip', ['netns', 'exec', p1.netns, 'ping', '-c', '3', '-i', '0.2', '-W', '1', p2.ip], { encoding: 'utf8' }); return false; } catch (e) {
        return /Packet filtered/.test(String((e as { stdout?: string }).stdout));
      }
    };
    const enforced = await within(60_000, refused, 500);
    assert.notEqual(enforced, null, `the policy was never enforced; n2's log:\n${lab.agentLog('n2').slice(-2000)}`);
    t.diagnostic(`policy enforced ${enforced} ms after the write`);

    // node status: the slow datastore is shown, and the node is degraded for it.
    let status = '';
    const shown = await within(60_000, async () => {
      status = await tortie(['node', 'status', 'n1']).catch((e: { stdout?: string }) => e.stdout ?? '');
      return /is degraded/.test(status) && /the datastore is slow/.test(status) && /datastore calls\s+\d+ in the last minute: median \d{4,} ms/.test(status);
    }, 1000);
    assert.notEqual(shown, null, `node status does not show the slow datastore:\n${status}`);
    t.diagnostic(status.split('\n').filter((l) => /degraded|datastore calls|slow/.test(l)).join(' | '));
    // The BGP session stayed up all along.
    assert.match(status, /Established/, status);
    assert.equal(routes('n1'), before.n1);
    assert.equal(routes('n2'), before.n2);
  });
});
