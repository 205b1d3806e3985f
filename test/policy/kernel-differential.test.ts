// Differential test: the evaluator against the kernel. A host namespace routes to six pods and one
// external host (DESIGN.md "The packet's journey"); for each of many seeded random policy sets the
// compiled ruleset is loaded with `nft -f` and real TCP, UDP and ICMP probes run between every
// pair. Every probe's real outcome must equal the evaluator's verdict. Needs root.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { NftCli } from '../../src/dataplane/linux/index.js';
import { PolicyProgrammer } from '../../src/dataplane/index.js';
import { buildSnapshot, compile, countRules, resolvePeer, tracePacket, AddressIndex, ICMP, TCP, UDP, type PolicyResources } from '../../src/policy/index.js';
import type { Resource } from '../../src/model/index.js';
import { NetnsLab } from '../support/netns-lab.js';
import { group, ifaceOf, namespace, pod, valid } from '../support/policy-fixtures.js';
import { randomPolicies, type World } from './random-policies.js';

const isRoot = process.getuid?.() === 0;
const hasTools = ((): boolean => {
  try { execFileSync('nft', ['--version']); execFileSync('ping', ['-V']); return true; } catch { return false; }
})();
const SEEDS = Number(process.env['TORTIE_DIFF_SEEDS'] ?? 40);
const TIMEOUT_MS = 1000;

const PODS: ReadonlyArray<{ ns: string; pod: string; ip: string; labels: Record<string, string>; sa: string }> = [
  { ns: 'x', pod: 'a', ip: '10.0.0.1', labels: { pod: 'a', app: 'web' }, sa: 'sa1' },
  { ns: 'x', pod: 'b', ip: '10.0.0.2', labels: { pod: 'b' }, sa: 'sa2' },
  { ns: 'y', pod: 'a', ip: '10.0.1.1', labels: { pod: 'a', app: 'db' }, sa: 'sa1' },
  { ns: 'y', pod: 'b', ip: '10.0.1.2', labels: { pod: 'b', app: 'web' }, sa: 'sa1' },
  { ns: 'z', pod: 'a', ip: '10.0.2.1', labels: { pod: 'a' }, sa: 'sa2' },
  { ns: 'z', pod: 'b', ip: '10.0.2.2', labels: { pod: 'b', app: 'web' }, sa: 'sa2' },
];
const EXTERNAL = '10.9.0.1';
const PROBES = [
  { proto: 'tcp', protocol: TCP, port: 80 }, { proto: 'tcp', protocol: TCP, port: 81 },
  { proto: 'udp', protocol: UDP, port: 80 }, { proto: 'udp', protocol: UDP, port: 81 },
  { proto: 'icmp', protocol: ICMP, port: undefined },
] as const;

function baseResources(): Resource[] {
  const ports = [80, 81].flatMap((port) => ['tcp', 'udp'].map((p) => ({ name: `serve-${port}-${p}`, protocol: p.toUpperCase(), port })));
  return [
    ...['x', 'y', 'z'].map((ns) => namespace(ns, { ns })),
    ...PODS.map((p) => pod(p.ns, p.pod, p.ip, { labels: p.labels, ports, serviceAccount: p.sa })),
    valid({ apiVersion: 'projectcalico.org/v3', kind: 'GlobalNetworkSet', metadata: { name: 'outside', labels: { role: 'ext' } }, spec: { nets: ['10.9.0.0/16'] } }),
  ];
}

describe('compiled nftables ruleset vs the evaluator, in network namespaces', { skip: !isRoot ? 'needs root' : !hasTools ? 'needs nft and ping' : false }, () => {
  const lab = new NetnsLab('tt-dif');
  const peers: Array<{ name: string; netns: string; ip: string }> = [];

  before(async () => {
    lab.createHost();
    for (const p of PODS) {
      const h = lab.addHost(`${p.ns}-${p.pod}`, p.ip, ifaceOf(p.ns, p.pod));
      peers.push({ name: `${p.ns}/${p.pod}`, netns: h.netns, ip: p.ip });
    }
    const ext = lab.addHost('ext', EXTERNAL, 'tt-ext0');
    peers.push({ name: EXTERNAL, netns: ext.netns, ip: EXTERNAL });
    await Promise.all(peers.map((p) => lab.startAgent(p.netns, [80, 81])));
  });
  after(() => lab.remove());

  it('with no policy every probe goes through (profiles kns.* allow all)', async () => {
    const mismatches = await runSeed(null);
    assert.deepEqual(mismatches, []);
  });

  it('a pod behind a cali* interface with no endpoint is cut off (fail closed)', async () => {
    const res = group(baseResources().filter((r) => !(r.kind === 'WorkloadEndpoint' && r.metadata.namespace === 'z' && r.spec['pod'] === 'b')));
    await new PolicyProgrammer(new NftCli({ netns: lab.hostNs })).sync(compile(buildSnapshot(res)));
    assert.equal(await lab.probe(peers[0]!.netns, { proto: 'tcp', ip: '10.0.2.2', port: 80, timeoutMs: TIMEOUT_MS }), false, 'x/a → z/b must be dropped');
    assert.equal(await lab.probe(peers[5]!.netns, { proto: 'icmp', ip: '10.0.0.1', timeoutMs: TIMEOUT_MS }), false, 'z/b → x/a must be dropped');
    assert.equal(await lab.probe(peers[0]!.netns, { proto: 'tcp', ip: '10.0.1.1', port: 80, timeoutMs: TIMEOUT_MS }), true, 'x/a → y/a is unaffected');
  });

  it(`over ${SEEDS} seeded random policy sets, every real probe matches the evaluator's verdict`, async () => {
    const all: string[] = [];
    let denied = 0, allowed = 0;
    for (let seed = 1; seed <= SEEDS; seed++) {
      const m = await runSeed(seed, (v) => { if (v) allowed++; else denied++; });
      all.push(...m);
    }
    assert.deepEqual(all, []);
    // Guard against a test that cannot fail: the random sets must produce both outcomes often.
    assert.ok(denied > 50 && allowed > 50, `too one-sided to mean anything: ${allowed} allowed, ${denied} denied`);
  });

  async function runSeed(seed: number | null, tally?: (allowed: boolean) => void): Promise<string[]> {
    const world: World = { namespaces: ['x', 'y', 'z'], podIPs: new Map(PODS.map((p) => [`${p.ns}/${p.pod}`, p.ip])), externalIP: EXTERNAL };
    const policies = seed === null ? [] : randomPolicies(seed, world);
    const res: PolicyResources = group([...baseResources(), ...policies]);
    const snap = buildSnapshot(res);
    const rs = compile(snap);
    const programmer = new PolicyProgrammer(new NftCli({ netns: lab.hostNs }));
    await programmer.sync(rs);
    lab.exec(lab.hostNs, ['conntrack', '-F']);
    const idx = new AddressIndex(snap);
    const jobs: Array<Promise<string | null>> = [];
    for (const a of peers) {
      for (const b of peers) {
        if (a === b) continue;
        const from = resolvePeer(snap, a.name.includes('/') ? { pod: a.name } : { ip: a.ip });
        const to = resolvePeer(snap, b.name.includes('/') ? { pod: b.name } : { ip: b.ip });
        if ('problem' in from || 'problem' in to) throw new Error('unresolved peer');
        for (const p of PROBES) {
          const expected = tracePacket(snap, from, to, p.port === undefined ? { protocol: p.protocol } : { protocol: p.protocol, port: p.port }, idx).verdict === 'allow';
          jobs.push(lab.probe(a.netns, { proto: p.proto, ip: b.ip, ...(p.port !== undefined ? { port: p.port } : {}), timeoutMs: TIMEOUT_MS }).then((real) => {
            tally?.(real);
            return real === expected ? null
              : `seed ${seed}: ${a.name} → ${b.name} ${p.proto}${p.port ? `/${p.port}` : ''}: kernel ${real ? 'allowed' : 'denied'}, evaluator ${expected ? 'allow' : 'deny'} (${countRules(rs)} rules)`;
          }));
        }
      }
    }
    const out = (await Promise.all(jobs)).filter((x): x is string => x !== null);
    if (out.length > 0 && seed !== null) out.push(`policies of seed ${seed}: ${JSON.stringify(policies.map((r) => ({ kind: r.kind, name: r.metadata.name, ns: r.metadata.namespace, spec: r.spec })))}`);
    return out;
  }
});
