// tortie trace on a real lab: same node, across nodes without encapsulation, across nodes through
// VXLAN; a denying policy named with its rule and that rule's nftables counter (kept across a
// rebuild of the table); a blackholed address; and, inside one node as on a real host, a trace
// that stops where that node's view ends.

import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { TORTIE } from '../support/cluster-lab.js';
import { tempDir } from '../support/temp-dir.js';
import { tortie as cli, type CliResult } from '../support/tortie-cli.js';
import { within } from '../support/within.js';

const run = promisify(execFile);
const isRoot = process.getuid?.() === 0;
const dir = tempDir('trace');
after(() => dir.remove());
const LAB = 'ttr';
const env = { PATH: process.env['PATH'] ?? '', TORTIE_CONFIG: '/dev/null', TORTIE_LAB_DIR: join(dir.path, 'labs') };

const tortie = (...args: string[]): Promise<CliResult> => cli(args, env, undefined, 300_000);

interface Hop { at: string; kind: string; in?: string; decap?: string; route?: string; out?: string; nextHop?: string; notes: string[];
  encap?: { type: string; vni: number; outerSrc: string; outerDst: string; port: number };
  policy?: Array<{ direction: string; verdict: string; decidedBy: string; nft: { chain: string; rule?: string; packets?: number; missing?: string } }> }
interface Report { outcome: string; reason: string; hops: Hop[]; policy: { verdict: string } }

async function trace(...args: string[]): Promise<{ code: number; report: Report }> {
  const r = await tortie('trace', ...args, '--name', LAB, '-o', 'json');
  assert.ok(r.stdout.startsWith('{'), `trace ${args.join(' ')}: ${r.stderr}`);
  return { code: r.code, report: JSON.parse(r.stdout) as Report };
}

/** Node n's nftables table, as its kernel has it. */
const nftTable = (n: number): string => {
  try { return execFileSync('ip', ['netns', 'exec', `${LAB}-n${n}`, 'nft', 'list', 'table', 'inet', 'tortie'], { encoding: 'utf8' }); } catch { return ''; }
};

async function apply(yaml: string): Promise<void> {
  const f = join(dir.path, `m${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(f, yaml);
  const labEnv = Object.fromEntries((await tortie('lab', 'env', '--name', LAB)).stdout.trim().split('\n')
    .map((l) => /^export (\w+)='(.*)'$/.exec(l)!).map((m) => [m[1]!, m[2]!]));
  await run(process.execPath, [TORTIE, 'apply', '-f', f], { env: { ...env, ...labEnv } });
}

describe('tortie trace', { skip: isRoot ? false : 'needs root (network namespaces)', timeout: 600_000 }, () => {
  const pods: Record<string, { ip: string; iface: string }> = {};
  before(async () => {
    await tortie('lab', 'down', '--name', LAB);
    const up = await tortie('lab', 'up', '--name', LAB, '--nodes', '2');
    assert.equal(up.code, 0, up.stderr);
    for (const [p, node] of [['x/a', 'node1'], ['x/c', 'node1'], ['y/b', 'node2']] as const) {
      const r = await tortie('lab', 'pod', 'add', p, '--node', node, '--name', LAB);
      assert.equal(r.code, 0, r.stderr);
      const m = /: (\S+) \(interface (\S+)\)/.exec(r.stdout)!;
      pods[p] = { ip: m[1]!, iface: m[2]! };
    }
  });
  after(async () => { await tortie('lab', 'down', '--name', LAB); });

  it('same node: the pod\'s default route, proxy ARP, the /32 to the other pod\'s veth', async () => {
    const { code, report } = await trace('x/a', 'x/c');
    assert.equal(code, 0);
    assert.equal(report.outcome, 'delivered');
    assert.deepEqual(report.hops.map((h) => h.at), ['x/a', 'node1', 'x/c']);
    const [pod, node] = report.hops;
    assert.equal(pod!.route, 'default via 169.254.1.1 dev eth0');
    assert.match(pod!.notes.join('\n'), new RegExp(`169\\.254\\.1\\.1 is answered by proxy ARP on node1's ${pods['x/a']!.iface} \\(proxy_arp=1, MAC ee:ee:ee:ee:ee:ee\\)`));
    assert.equal(node!.in, pods['x/a']!.iface);
    assert.equal(node!.route, `${pods['x/c']!.ip} dev ${pods['x/c']!.iface} proto 80 scope link`);
    assert.deepEqual(node!.policy!.map((p) => [p.direction, p.verdict, p.decidedBy]),
      [['egress', 'allow', 'profile kns.x, rule 0: Allow'], ['ingress', 'allow', 'profile kns.x, rule 0: Allow']]);
  });

  it('across nodes without encapsulation: the remote block via the other node, its route to the veth', async () => {
    const { report } = await trace('x/a', 'y/b', '--protocol', 'tcp', '--port', '80');
    assert.equal(report.outcome, 'delivered', report.reason);
    assert.deepEqual(report.hops.map((h) => h.at), ['x/a', 'node1', 'node2', 'y/b']);
    const [, n1, n2] = report.hops;
    assert.match(n1!.route!, /^192\.168\.\d+\.\d+\/26 via 10\.0\.0\.12 dev eth0 proto 80$/);
    assert.equal(n1!.nextHop, '10.0.0.12');
    assert.equal(n1!.encap, undefined);
    assert.equal(n2!.in, 'eth0');
    assert.equal(n2!.route, `${pods['y/b']!.ip} dev ${pods['y/b']!.iface} proto 80 scope link`);
    const text = (await tortie('trace', 'x/a', 'y/b', '--name', LAB)).stdout;
    assert.match(text, /^x\/a \(.*\) → y\/b \(.*\), ICMP: DELIVERED$/m);
    assert.match(text, /route +192\.168\.\d+\.\d+\/26 via 10\.0\.0\.12 dev eth0 proto 80/);
  });

  it('an address of a node\'s block that no pod has ends in that node\'s blackhole', async () => {
    const free = pods['y/b']!.ip.replace(/\.(\d+)$/, (_m, d: string) => `.${Number(d) + 7}`);
    const { code, report } = await trace('x/a', free);
    assert.equal(code, 1);
    assert.equal(report.outcome, 'dropped');
    assert.match(report.reason, /^node2 drops it: blackhole route 192\.168\.\d+\.\d+\/26 \(node2's own block, and no pod there has /);
  });

  it('a denying policy: the probe is blocked, the trace names the rule and its counter, which survives a rebuild', async () => {
    assert.equal((await tortie('lab', 'serve', 'y/b', '--port', '80/tcp', '--name', LAB)).code, 0);
    await apply(`apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: { name: deny-web, namespace: y }
spec:
  selector: all()
  types: [Ingress]
  ingress:
  - { action: Deny, protocol: TCP, destination: { ports: [80] } }
  - { action: Allow }
`);
    const ingressOn2 = (r: Report): NonNullable<Hop['policy']>[number] | undefined => r.hops.find((h) => h.at === 'node2')?.policy?.find((p) => p.direction === 'ingress');
    // Programmed: the trace finds the deciding rule in node2's table (not "missing"). Only then is a
    // blocked probe the policy's doing, not a slow machine's (the probe gives up after 1 s).
    let nft = undefined as { rule?: string } | undefined;
    const programmed = await within(30_000, async () => {
      nft = ingressOn2((await trace('x/a', 'y/b', '--protocol', 'tcp', '--port', '80')).report)?.nft;
      return nft?.rule === 'rule 0: Deny';
    }, 250);
    assert.notEqual(programmed, null, `node2's table never got the deny rule: ${JSON.stringify(nft)}`);
    assert.equal((await tortie('lab', 'probe', 'x/a', 'y/b', '--port', '80', '--name', LAB)).code, 1, 'the probe is blocked once the policy is programmed');
    const { code, report } = await trace('x/a', 'y/b', '--protocol', 'tcp', '--port', '80');
    assert.equal(code, 1);
    assert.equal(report.outcome, 'dropped');
    assert.equal(report.policy.verdict, 'deny');
    assert.match(report.reason, /^dropped on node2 by y\/b's ingress policy: NetworkPolicy y\/deny-web \(tier default\), rule 0: Deny$/);
    const ingress = ingressOn2(report)!;
    assert.equal(ingress.nft.rule, 'rule 0: Deny');
    const counted = ingress.nft.packets!;
    assert.ok(counted >= 1, `the deny rule counted the probe: ${JSON.stringify(ingress.nft)}`);
    // Another policy changes the table's structure: the agent replaces it, and the count stays.
    await apply(`apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: { name: pass-egress }
spec: { selector: all(), order: 2000, types: [Egress], egress: [ { action: Pass } ] }
`);
    // Wait for node2's agent to have rebuilt its table: the new policy is in it.
    const rebuilt = await within(30_000, () => nftTable(2).includes('pass-egress'), 250);
    assert.notEqual(rebuilt, null, `node2's table never got pass-egress:\n${nftTable(2).slice(0, 3000)}`);
    const again = (await trace('x/a', 'y/b', '--protocol', 'tcp', '--port', '80')).report;
    const after = ingressOn2(again)!;
    assert.ok(after.nft.packets! >= counted, `count kept across the rebuild: ${counted} → ${after.nft.packets}`);
    // UDP is not denied: the same trace with udp is delivered.
    assert.equal((await trace('x/a', 'y/b', '--protocol', 'udp', '--port', '80')).report.outcome, 'delivered');
  });

  it('on one node (no lab view): the trace stops where that node\'s kernel ends, and says where to continue', async () => {
    const labEnv = Object.fromEntries((await tortie('lab', 'env', '--name', LAB)).stdout.trim().split('\n')
      .map((l) => /^export (\w+)='(.*)'$/.exec(l)!).map((m) => [m[1]!, m[2]!]));
    const r = await run('ip', ['netns', 'exec', `${LAB}-n1`, process.execPath, TORTIE, 'trace', 'x/a', 'y/b', '--node', 'node1', '-o', 'json'], { env: { ...env, ...labEnv } })
      .then((x) => x, (e: { stdout: string; code: number }) => e);
    const report = JSON.parse(r.stdout) as Report;
    assert.equal(report.outcome, 'left');
    assert.deepEqual(report.hops.map((h) => h.at), ['x/a', 'node1']);
    assert.equal(report.reason, 'continues on node2 (10.0.0.12), which this trace cannot read: run tortie trace there');
  });

  it('bad input: an unknown pod is named, with the pods of its namespace', async () => {
    const r = await tortie('trace', 'x/nope', 'y/b', '--name', LAB);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /No WorkloadEndpoint has namespace\/pod x\/nope; workloads in x: x\/a, x\/c/);
    const p = await tortie('trace', 'x/a', 'y/b', '--protocol', 'tcp', '--name', LAB);
    assert.equal(p.code, 1);
    assert.match(p.stderr, /--port is required for tcp/);
  });

  it('across nodes through VXLAN: neighbour, FDB, outer addresses, decapsulation on the far node', async () => {
    await apply(`apiVersion: projectcalico.org/v3
kind: IPPool
metadata: { name: default-ipv4-ippool }
spec: { cidr: 192.168.0.0/16, vxlanMode: Always, natOutgoing: false }
`);
    let report = null as Report | null;
    const encapsulated = await within(30_000, async () => {
      report = (await trace('x/a', 'y/b')).report;
      return report.hops[1]?.out === 'eth0' && report.hops[1]?.encap?.type === 'vxlan';
    }, 250);
    assert.notEqual(encapsulated, null, `node1 never sent it through VXLAN: ${JSON.stringify(report!.hops[1])}`);
    assert.equal(report!.outcome, 'delivered', report!.reason);
    const [, n1, n2] = report!.hops;
    assert.match(n1!.route!, /^192\.168\.\d+\.\d+\/26 via 192\.168\.\d+\.\d+ dev vxlan\.tortie proto 80 onlink$/);
    assert.deepEqual({ ...n1!.encap!, mac: undefined, innerNextHop: undefined, device: undefined },
      { type: 'vxlan', vni: 4096, port: 4789, outerSrc: '10.0.0.11', outerDst: '10.0.0.12', mac: undefined, innerNextHop: undefined, device: undefined });
    assert.equal(n2!.in, 'eth0');
    assert.equal(n2!.decap, 'vxlan.tortie');
    assert.equal(n2!.route, `${pods['y/b']!.ip} dev ${pods['y/b']!.iface} proto 80 scope link`);
    assert.equal((await tortie('lab', 'ping', 'x/a', 'y/b', '--name', LAB)).code, 0);
  });
});
