// Three real agents with `--bgp` in a node-to-node mesh, an unencapsulated pool: the routes to
// other nodes' blocks come from BGP (the datastore path is off), pods ping across nodes; an agent
// stopped gracefully has its blocks kept for the mesh restart time (5 s here) and then withdrawn;
// started again, they are back. `tortie node status` and `tortie bgp routes` show it all.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { SqliteStore } from '../../src/datastore/sqlite/index.js';
import { ResourceClient } from '../../src/resources/index.js';
import { TORTIE } from '../support/cluster-lab.js';
import { AgentCluster, doc } from './cluster.js';
import { holdsFor, within as waitFor } from '../support/within.js';

const run = promisify(execFile);
const isRoot = process.getuid?.() === 0;

interface KRoute { dst: string; gateway?: string; dev?: string; protocol?: string }

describe('agents in a BGP node-to-node mesh', { skip: isRoot ? false : 'needs root (network namespaces)' }, () => {
  const c = new AgentCluster('bm');
  const nodes = ['n1', 'n2', 'n3'];
  const routesOf = (node: string): KRoute[] => JSON.parse(c.lab.ip(node, '-j', 'route', 'show', 'proto', '80')) as KRoute[];
  const cli = (...args: string[]) => run(process.execPath, [TORTIE, ...args], { env: { PATH: process.env['PATH'] ?? '', TORTIE_STORE_PATH: c.storePath, TORTIE_CONFIG: '/dev/null' } });
  const within = async (ms: number, f: () => boolean | Promise<boolean>): Promise<boolean> => (await waitFor(ms, f, 100)) !== null;
  let blockOf: Record<string, string> = {};

  before(async () => {
    // The mesh's restart time is set before the agents start, so no session restarts for it.
    const pre = new SqliteStore({ path: c.storePath });
    await new ResourceClient(pre).apply([doc('projectcalico.org/v3', 'BGPConfiguration', 'default', { nodeMeshMaxRestartTime: '5s' })]);
    await pre.close();
    await c.start([['n1', 'A', 1], ['n2', 'A', 2], ['n3', 'A', 3]], { vxlanMode: 'Never', ipipMode: 'Never' }, () => ['--bgp', '--cni-socket', 'none']);
    await c.waitReady(nodes);
  });
  after(async () => { await c.destroy(); });

  it('each node learns the others\' blocks over BGP and pods ping across nodes', async () => {
    const pods = [await c.addPod('p1', 'n1'), await c.addPod('p2', 'n2'), await c.addPod('p3', 'n3')];
    // Each pod's block: its address with the last 6 bits cleared (blocks are /26).
    blockOf = Object.fromEntries(pods.map((p) => { const o = p.ip.split('.').map(Number); return [p.node, `${o[0]}.${o[1]}.${o[2]}.${o[3]! & 0xc0}/26`]; }));
    const ok = await within(30_000, () => nodes.every((n) => nodes.filter((m) => m !== n).every((m) =>
      routesOf(n).some((r) => r.dst === blockOf[m] && r.gateway === c.lab.nodes.get(m)!.ip))));
    assert.ok(ok, `routes to the other nodes' blocks:\n${nodes.map((n) => `${n}: ${JSON.stringify(routesOf(n))}`).join('\n')}\n${c.lab.agentLog('n1').slice(-3000)}`);
    assert.ok(await c.lab.pingUntil(pods[0]!.netns, pods[1]!.ip, 15_000), 'p1 → p2');
    assert.ok(await c.lab.pingUntil(pods[1]!.netns, pods[2]!.ip, 15_000), 'p2 → p3');
    assert.ok(await c.lab.pingUntil(pods[2]!.netns, pods[0]!.ip, 15_000), 'p3 → p1');
  });

  it('node status shows the mesh peers like calicoctl; bgp routes shows why each best path won; metrics per peer', async () => {
    assert.notEqual(await within(10_000, async () => /Established[\s\S]*Established/.test((await cli('node', 'status', 'n1').catch((e: { stdout: string }) => e)).stdout)), null);
    const { stdout } = await cli('node', 'status', 'n1');
    assert.match(stdout, /IPv4 BGP status\n\+-+/);
    assert.match(stdout, /\| 10\.99\.1\.2 +\| node-to-node mesh \| up +\| \d\d:\d\d:\d\d \| Established +\| 1 +\| 1 +\| 1 +\|/);
    assert.match(stdout, /\| 10\.99\.1\.3 +\| node-to-node mesh \| up /);
    assert.match(stdout, /No IPv6 peers found\./);
    const json = JSON.parse((await cli('node', 'status', 'n1', '-o', 'json')).stdout) as { agent: { bgp: { peers: Array<{ name: string; prefixes: object }> } } };
    assert.deepEqual(json.agent.bgp.peers.map((p) => p.name), ['Mesh_10_99_1_2', 'Mesh_10_99_1_3']);
    assert.notEqual(await within(10_000, async () => (await cli('bgp', 'routes', 'n1').catch(() => ({ stdout: '' }))).stdout.includes('Mesh_10_99_1_3')), null);
    const routes = (await cli('bgp', 'routes', 'n1')).stdout;
    assert.match(routes, new RegExp(`${blockOf['n2']!.replace(/\./g, '\\.')} +10\\.99\\.1\\.2 +Mesh_10_99_1_2 \\(10\\.99\\.1\\.2\\) +- +100 +only-path`));
    assert.match(routes, /local +- +- +only-path/);
    const onlyN3 = (await cli('bgp', 'routes', 'n1', '--peer', 'Mesh_10_99_1_3')).stdout.trim().split('\n');
    assert.equal(onlyN3.length, 2, `header + n3's block: ${onlyN3.join('\n')}`);
    const metrics = (await run('ip', ['netns', 'exec', 'tt-bm-n1', process.execPath, '-e',
      "fetch('http://127.0.0.1:9099/metrics').then(async (r) => process.stdout.write(await r.text()))"])).stdout;
    assert.match(metrics, /tortie_bgp_peer_up\{peer="Mesh_10_99_1_2",address="10\.99\.1\.2",type="node-to-node mesh",state="Established"\} 1/);
    assert.match(metrics, /tortie_bgp_peer_prefixes\{peer="Mesh_10_99_1_3",kind="accepted"\} 1/);
    assert.match(metrics, /tortie_bgp_peer_updates_total\{peer="Mesh_10_99_1_2",direction="received"\} \d+/);
  });

  it('an agent stopped: its block stays while it may restart, is withdrawn when the restart time runs out, and comes back with it', async (t) => {
    const n3block = (r: KRoute): boolean => r.dst === blockOf['n3'];
    // n1's restart timer starts when the session goes down, which is after we ask n3 to stop: until
    // 5 s after that (less a tolerance for timer granularity) n1 must keep n3's block, all along.
    const stopping = performance.now();
    await c.lab.stopAgent('n3');
    assert.ok(routesOf('n3').some((r) => r.dst === blockOf['n1']), 'the stopped node\'s kernel keeps its routes');
    const kept = await holdsFor(stopping + 4500 - performance.now(), () => routesOf('n1').some(n3block), 100);
    assert.ok(kept, `withdrawn before the 5 s restart time ran out (${Math.round(performance.now() - stopping)} ms after the stop): ${JSON.stringify(routesOf('n1'))}`);
    assert.notEqual(await within(15_000, () => !routesOf('n1').some(n3block)), null, `withdrawn after the restart time: ${JSON.stringify(routesOf('n1'))}`);
    t.diagnostic(`n3's block withdrawn on n1 ${Math.round(performance.now() - stopping)} ms after the stop began`);
    assert.notEqual(await within(10_000, () => !routesOf('n2').some(n3block)), null, `on n2 too: ${JSON.stringify(routesOf('n2'))}`);
    c.startAgent('n3');
    assert.notEqual(await within(30_000, () => routesOf('n1').some(n3block)), null, `back: ${JSON.stringify(routesOf('n1'))}\n${c.lab.agentLog('n3').slice(-2000)}`);
    const p1 = c.lab.pods.get('p1')!, p3 = c.lab.pods.get('p3')!;
    assert.ok(await c.lab.pingUntil(p1.netns, p3.ip, 15_000), 'p1 → p3 again');
  });
});
