// Two nodes on one subnet and one behind a router, real agents, VXLAN / CrossSubnet / no encapsulation.

import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { GlobalNetworkPolicy, IPPool } from '../../src/model/index.js';
import { AgentCluster, doc } from './cluster.js';
import { TORTIE } from '../support/cluster-lab.js';
import { within } from '../support/within.js';

const run = promisify(execFile);


interface Route { dst: string; type?: string; dev?: string; gateway?: string; flags?: string[] }

const isRoot = process.getuid?.() === 0;

describe('agents program pod connectivity across nodes', { skip: isRoot ? false : 'needs root (network namespaces)' }, () => {
  const c = new AgentCluster('av');
  before(async () => {
    await c.start([['n1', 'A', 1], ['n2', 'A', 2], ['n3', 'B', 3]], { vxlanMode: 'Always' });
    await c.waitReady(['n1', 'n2', 'n3']);
  });
  after(async () => { await c.destroy(); });

  it('VXLAN: pods ping each other on one node and across nodes, through the routes Calico would have', async () => {
    const p1 = await c.addPod('p1', 'n1');
    const p2 = await c.addPod('p2', 'n2');
    const p3 = await c.addPod('p3', 'n1');
    const p4 = await c.addPod('p4', 'n3');
    assert.ok(await c.lab.pingUntil(p1.netns, p3.ip, 15_000), `same node: ${c.lab.agentLog('n1').slice(-2000)}`);
    assert.ok(await c.lab.pingUntil(p1.netns, p2.ip, 15_000), 'across nodes over VXLAN');
    assert.ok(await c.lab.pingUntil(p2.netns, p4.ip, 15_000), 'across subnets over VXLAN');
    const routes = c.lab.ip('n1', '-j', 'route', 'show', 'proto', '80');
    const r = JSON.parse(routes) as Array<{ dst: string; type?: string; dev?: string; gateway?: string; flags?: string[] }>;
    assert.ok(r.some((x) => x.type === 'blackhole' && x.dst.endsWith('/26')), `a blackhole for n1's block: ${routes}`);
    assert.ok(r.some((x) => x.dst === p1.ip && x.dev === p1.hostIface), `the /32 to p1: ${routes}`);
    assert.ok(r.some((x) => x.dev === 'vxlan.tortie' && x.flags?.includes('onlink')), `VXLAN routes to other nodes: ${routes}`);
    assert.match(c.lab.ip('n1', '-d', 'link', 'show', 'vxlan.tortie'), /vxlan id 4096 .*dstport 4789/);
  });

  it('reports: node status through the CLI, endpoint statuses, /readyz and /metrics', async () => {
    const status = await run(process.execPath, [TORTIE, 'node', 'status', 'n1'], { env: { PATH: process.env['PATH'] ?? '', TORTIE_STORE_PATH: c.storePath, TORTIE_CONFIG: '/dev/null' } });
    assert.match(status.stdout, /^Tortie agent on n1 is ready\./);
    assert.match(status.stdout, /endpoints\s+2/);
    const eps = (await c.store.list('/calico/felix/v2/no-region/host/n1/workload/default/')).items.map((kv) => kv.key);
    assert.equal(eps.length, 2, `endpoint statuses of n1's two pods: ${eps.join(', ')}`);
    const fetchIn = async (path: string): Promise<string> => (await run('ip', ['netns', 'exec', 'tt-av-n1', process.execPath, '-e',
      `fetch('http://127.0.0.1:9099${path}').then(async (r) => { process.stdout.write(r.status + ' ' + await r.text()); })`])).stdout;
    assert.match(await fetchIn('/readyz'), /^200 ready/);
    assert.match(await fetchIn('/healthz'), /^200 ok/);
    const metrics = await fetchIn('/metrics');
    assert.match(metrics, /tortie_programming_latency_seconds_count \d+/);
    assert.match(metrics, /tortie_local_endpoints 2/);
    // node diags, run on the node: a tarball with its kernel state and the agent's report.
    const diags = await run('ip', ['netns', 'exec', 'tt-av-n1', process.execPath, TORTIE, 'node', 'diags', 'n1'], { env: { PATH: process.env['PATH'] ?? '', TORTIE_STORE_PATH: c.storePath, TORTIE_CONFIG: '/dev/null' } });
    const tarball = /written to (\S+\.tar\.gz)/.exec(diags.stdout)![1]!;
    try {
      const ruleset = (await run('tar', ['-xzOf', tarball, '--wildcards', '*/nft-ruleset.txt'])).stdout;
      assert.match(ruleset, /table inet tortie/);
      const agentStatus = JSON.parse((await run('tar', ['-xzOf', tarball, '--wildcards', '*/agent-status.json'])).stdout) as { state: string };
      assert.equal(agentStatus.state, 'ready');
    } finally {
      rmSync(dirname(tarball), { recursive: true, force: true });
    }
  });

  it('start-up: the nodename and MTU files for the CNI; an address already in use is refused; IPIP is reported unavailable', async () => {
    assert.equal(readFileSync(join(c.lab.stateDir, 'n1', 'nodename'), 'utf8'), 'n1\n');
    assert.equal(readFileSync(join(c.lab.stateDir, 'n1', 'mtu'), 'utf8').trim(), '1450', 'a 1500-byte uplink minus VXLAN\'s 50');
    const env = { PATH: process.env['PATH'] ?? '', TORTIE_STORE_PATH: c.storePath, TORTIE_CONFIG: '/dev/null' };
    const imposter = await run('ip', ['netns', 'exec', 'tt-av-n1', process.execPath, TORTIE, 'agent', '--node', 'imposter', '--ip', '10.99.1.1/24', '--state-dir', join(c.lab.stateDir, 'imposter')], { env }).then(
      () => ({ code: 0, stderr: '' }), (e: { code?: number; stderr?: string }) => ({ code: e.code ?? -1, stderr: e.stderr ?? '' }));
    assert.equal(imposter.code, 1, imposter.stderr);
    assert.match(imposter.stderr, /TORTIE_ERR_NODE_ADDRESS_IN_USE\]: Node n1 already uses 10\.99\.1\.1/);
    await c.resources.apply([doc('projectcalico.org/v3', 'IPPool', 'ipip', { cidr: '10.67.0.0/16', ipipMode: 'Always' })]);
    const reported = await within(10_000, async () => (await run(process.execPath, [TORTIE, 'node', 'status', 'n1'], { env })).stdout.includes('IPIP unavailable: kernel lacks ipip'));
    assert.notEqual(reported, null, 'tortie node status did not report the missing ipip module');
    await c.resources.delete([{ kind: IPPool, name: 'ipip' }]);
  });

  it('policy applied through the datastore is enforced quickly, and traffic flows again once it is removed', async (t) => {
    const p1 = c.lab.pods.get('p1')!, p2 = c.lab.pods.get('p2')!;
    assert.ok(c.lab.ping(p1.netns, p2.ip));
    await c.resources.apply([doc('projectcalico.org/v3', 'GlobalNetworkPolicy', 'deny-to-p2', { selector: "pod == 'p2'", ingress: [{ action: 'Deny' }] })]);
    const denied = await within(10_000, () => !c.lab.ping(p1.netns, p2.ip, 0.2));
    assert.notEqual(denied, null, 'the policy was never enforced');
    // A 200 ms probe can also go unanswered on a busy machine: one with time to spare must fail too.
    assert.equal(c.lab.ping(p1.netns, p2.ip, 2), false, 'traffic still passes: the lost probe was not the policy');
    t.diagnostic(`policy enforced ${denied} ms after the write (ping probes every ~200 ms)`);
    await c.resources.delete([{ kind: GlobalNetworkPolicy, name: 'deny-to-p2' }]);
    const allowed = await within(10_000, () => c.lab.ping(p1.netns, p2.ip, 0.2));
    assert.notEqual(allowed, null, 'traffic did not come back');
    t.diagnostic(`policy removed, traffic back after ${allowed} ms`);
  });

  it('CrossSubnet: the node in our subnet directly, the node behind the router over VXLAN', async () => {
    const pool = await c.resources.get(IPPool, 'pool');
    await c.resources.apply([{ ...pool, spec: { ...pool.spec, vxlanMode: 'CrossSubnet' } }]);
    const p1 = c.lab.pods.get('p1')!, p2 = c.lab.pods.get('p2')!, p4 = c.lab.pods.get('p4')!;
    const blockOf = (node: string): string => {
      const r = JSON.parse(c.lab.ip(node, '-j', 'route', 'show', 'proto', '80', 'type', 'blackhole')) as Route[];
      return r[0]!.dst;
    };
    const routes = (): Route[] => JSON.parse(c.lab.ip('n1', '-j', 'route', 'show', 'proto', '80')) as Route[];
    const direct = await within(10_000, () => routes().some((r) => r.dst === blockOf('n2') && r.dev === 'eth0' && r.gateway === '10.99.1.2'));
    assert.notEqual(direct, null, `n2's block should go directly via eth0: ${JSON.stringify(routes())}`);
    assert.ok(routes().some((r) => r.dst === blockOf('n3') && r.dev === 'vxlan.tortie'), 'n3 is in another subnet: VXLAN');
    assert.ok(await c.lab.pingUntil(p1.netns, p2.ip, 10_000), 'same subnet, unencapsulated');
    assert.ok(await c.lab.pingUntil(p1.netns, p4.ip, 10_000), 'other subnet, VXLAN');
  });

  it('no encapsulation: routes to the other nodes\' blocks via their addresses on the uplink', async () => {
    const pool = await c.resources.get(IPPool, 'pool');
    await c.resources.apply([{ ...pool, spec: { ...pool.spec, vxlanMode: 'Never' } }]);
    const p1 = c.lab.pods.get('p1')!, p2 = c.lab.pods.get('p2')!;
    const plain = await within(10_000, () => {
      const r = JSON.parse(c.lab.ip('n1', '-j', 'route', 'show', 'proto', '80')) as Route[];
      return r.filter((x) => x.dev === 'vxlan.tortie').length === 0 && r.some((x) => x.gateway === '10.99.1.2' && !x.flags?.includes('onlink'));
    });
    assert.notEqual(plain, null, 'routes did not switch to unencapsulated');
    assert.ok(await c.lab.pingUntil(p1.netns, p2.ip, 10_000));
    // The VXLAN device goes once no pool needs it.
    assert.notEqual(await within(10_000, () => !c.lab.ip('n1', 'link', 'show').includes('vxlan.tortie')), null, 'the VXLAN device was not removed');
  });

  it('agent restart: an established flow loses no packet; stale state is removed, drift repaired', async (t) => {
    const p1 = c.lab.pods.get('p1')!, p2 = c.lab.pods.get('p2')!;
    // One of n1's routes, deleted by hand after the restart: drift the agent must repair.
    const victim = (JSON.parse(c.lab.ip('n1', '-j', 'route', 'show', 'proto', '80')) as Route[]).find((r) => r.gateway === '10.99.1.2')!;
    // A ping every 10 ms across the kill and the restart of n1's agent, stopped by us once the agent
    // is back (not by a count, which a slow machine could use up before the restart).
    const flow = spawn('ip', ['netns', 'exec', p1.netns, 'ping', '-i', '0.01', '-W', '1', p2.ip], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    flow.stdout.on('data', (d: Buffer) => { out += d; });
    const ended = new Promise<void>((r) => flow.once('close', () => r()));
    const replies = (): number[] => [...out.matchAll(/bytes from .* icmp_seq=(\d+)/g)].map((m) => Number(m[1]));
    /** Waits until `n` more replies arrived: the flow is going on. */
    const carries = async (n: number, what: string): Promise<void> => {
      const from = replies().length;
      assert.notEqual(await within(20_000, () => replies().length >= from + n), null, `the flow stopped ${what}: ${out.split('\n').slice(-3).join(' ')}`);
    };
    try {
      await carries(50, 'before the kill');
      await c.lab.stopAgent('n1', 'SIGKILL');
      // While it is down: a stale route in its protocol (from "a previous run").
      c.lab.ip('n1', 'route', 'add', '10.65.250.0/26', 'via', '10.99.1.2', 'proto', '80');
      // No agent: the kernel alone carries the flow for a while.
      await carries(100, 'while the agent was down');
      c.startAgent('n1');
      await c.waitReady(['n1']);
      assert.notEqual(await within(10_000, () => !c.lab.ip('n1', 'route', 'show', 'proto', '80').includes('10.65.250.0/26')), null, 'the stale route stayed');
      // And on, past the agent's first apply and its clean-up.
      await carries(100, 'after the restart');
    } finally {
      flow.kill('SIGINT');
      await ended;
    }
    // Lost packets are the gaps in the answered sequence numbers (the last one, in flight when the
    // flow was stopped, does not count).
    const seqs = replies();
    const got = new Set(seqs);
    const last = Math.max(...seqs);
    const lost = Array.from({ length: last }, (_, i) => i + 1).filter((n) => !got.has(n));
    t.diagnostic(`flow across the restart: ${last} sent, ${got.size} answered`);
    assert.deepEqual(lost, [], `packets were lost: ${out.split('\n').slice(-4).join(' ')}`);
    c.lab.ip('n1', 'route', 'del', victim.dst);
    const back = await within(10_000, () => c.lab.ip('n1', 'route', 'show', 'proto', '80').includes(victim.dst));
    assert.notEqual(back, null, `the route deleted by hand (${victim.dst}) did not come back`);
    t.diagnostic(`route deleted by hand restored after ${back} ms (refresh interval 1 s)`);
  });

  it('fail closed: a cali* interface with no WorkloadEndpoint gets nothing through, even with a route', async () => {
    const p1 = c.lab.pods.get('p1')!;
    // A pod wired by hand, with a host route, but never registered: the agent must not forward it.
    const rogue = c.lab.addPod('rogue', 'n1', '10.65.254.7');
    c.lab.ip('n1', 'route', 'add', '10.65.254.7/32', 'dev', rogue.hostIface, 'scope', 'link');
    c.lab.ip('n1', 'link', 'set', rogue.hostIface, 'up');
    execFileSyncQuiet(['ip', 'netns', 'exec', 'tt-av-n1', 'sysctl', '-qw', `net.ipv4.conf.${rogue.hostIface}.proxy_arp=1`]);
    assert.equal(c.lab.ping(rogue.netns, p1.ip, 1), false, 'traffic from an unknown cali* interface was forwarded');
    assert.equal(c.lab.ping(p1.netns, rogue.ip, 1), false, 'traffic to an unknown cali* interface was forwarded');
  });
});

function execFileSyncQuiet(args: string[]): void {
  execFileSync(args[0]!, args.slice(1), { stdio: 'ignore' });
}
