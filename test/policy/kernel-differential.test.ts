// Differential test: the evaluator against the kernel. A host namespace routes to six pods and one
// external host (DESIGN.md "The packet's journey"); for each of many seeded random policy sets the
// compiled ruleset is loaded with `nft -f` and real TCP, UDP and ICMP probes run between every
// pair. Every probe's real outcome must equal the evaluator's verdict. Needs root.
//
// The rulesets are compiled with the Reject deny action (FelixConfiguration
// nftablesFilterDenyAction), so a denial is something the kernel says — an ICMP "administratively
// prohibited" — and never inferred from silence: on a loaded machine a probe may go unanswered in
// time, and such a probe is repeated with longer timeouts instead of being counted as denied.
// Silence that persists is reported as such, apart from mismatches.

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
/** The first attempt's timeout; a silent probe is repeated with 2× and 4× this. */
const TIMEOUT_MS = 2000;

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
    // The kernel sends at most one ICMP error per second to a host (burst 6) by default; a pod
    // probing thirty denied ports at once would meet silence past the sixth. Rate limiting is not
    // what this test is about: off, in this namespace only.
    lab.exec(lab.hostNs, ['sysctl', '-q', '-w', 'net.ipv4.icmp_ratelimit=0', 'net.ipv4.icmp_msgs_per_sec=100000', 'net.ipv4.icmp_msgs_burst=100000']);
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

  it('a pod behind a cali* interface with no endpoint is cut off (fail closed: dropped, even with the Reject deny action)', async () => {
    const res = group(baseResources().filter((r) => !(r.kind === 'WorkloadEndpoint' && r.metadata.namespace === 'z' && r.spec['pod'] === 'b')));
    await new PolicyProgrammer(new NftCli({ netns: lab.hostNs })).sync(compile(buildSnapshot(res), { denyAction: 'reject' }));
    lab.exec(lab.hostNs, ['conntrack', '-F']);
    // Silence is the expected outcome of a drop; the probe that must get through is repeated.
    assert.deepEqual(await lab.probe(peers[0]!.netns, { proto: 'tcp', ip: '10.0.2.2', port: 80, timeoutMs: TIMEOUT_MS }), { outcome: 'silent' }, 'x/a → z/b must be dropped');
    assert.deepEqual(await lab.probe(peers[5]!.netns, { proto: 'icmp', ip: '10.0.0.1', timeoutMs: TIMEOUT_MS }), { outcome: 'silent' }, 'z/b → x/a must be dropped');
    assert.equal((await lab.probeSure(peers[0]!.netns, { proto: 'tcp', ip: '10.0.1.1', port: 80, timeoutMs: TIMEOUT_MS })).outcome, 'answered', 'x/a → y/a is unaffected');
  });

  it(`over ${SEEDS} seeded random policy sets, every real probe matches the evaluator's verdict`, async (t) => {
    const all: string[] = [];
    const tally = { answered: 0, refused: 0, repeated: 0 };
    for (let seed = 1; seed <= SEEDS; seed++) all.push(...await runSeed(seed, tally));
    t.diagnostic(`${tally.answered} answered, ${tally.refused} refused; ${tally.repeated} probe(s) needed more than one attempt`);
    assert.deepEqual(all, []);
    // Guard against a test that cannot fail: the random sets must produce both outcomes often.
    assert.ok(tally.refused > 50 && tally.answered > 50, `too one-sided to mean anything: ${tally.answered} answered, ${tally.refused} refused`);
  });

  /**
   * Loads the seed's ruleset and probes every pair; returns one line per probe whose outcome is
   * not the evaluator's: a refusal where it allows, an answer where it denies, silence that
   * outlasted every attempt, or an error.
   */
  async function runSeed(seed: number | null, tally?: { answered: number; refused: number; repeated: number }): Promise<string[]> {
    const world: World = { namespaces: ['x', 'y', 'z'], podIPs: new Map(PODS.map((p) => [`${p.ns}/${p.pod}`, p.ip])), externalIP: EXTERNAL };
    const policies = seed === null ? [] : randomPolicies(seed, world);
    const res: PolicyResources = group([...baseResources(), ...policies]);
    const snap = buildSnapshot(res);
    const rs = compile(snap, { denyAction: 'reject' });
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
          jobs.push(lab.probeSure(a.netns, { proto: p.proto, ip: b.ip, ...(p.port !== undefined ? { port: p.port } : {}), timeoutMs: TIMEOUT_MS }).then((r) => {
            if (tally) {
              if (r.outcome === 'answered') tally.answered++;
              if (r.outcome === 'refused') tally.refused++;
              if (r.attempts > 1) tally.repeated++;
            }
            const real = r.outcome === 'answered' ? 'allow' : r.outcome === 'refused' ? 'deny' : null;
            if (real === (expected ? 'allow' : 'deny')) return null;
            const what = `seed ${seed}: ${a.name} → ${b.name} ${p.proto}${p.port ? `/${p.port}` : ''}`;
            const kernel = r.outcome === 'answered' ? 'kernel allowed (answered)' : r.outcome === 'refused' ? `kernel denied (${r.detail})`
              : r.outcome === 'silent' ? `no answer in ${r.attempts} attempts (${TIMEOUT_MS * (2 ** r.attempts - 1)} ms in all), neither allowed nor refused`
              : `probe error ${r.detail}`;
            return `${what}: ${kernel}, evaluator ${expected ? 'allow' : 'deny'} (${countRules(rs)} rules)`;
          }));
        }
      }
    }
    const out = (await Promise.all(jobs)).filter((x): x is string => x !== null);
    if (out.length > 0 && seed !== null) out.push(`policies of seed ${seed}: ${JSON.stringify(policies.map((r) => ({ kind: r.kind, name: r.metadata.name, ns: r.metadata.namespace, spec: r.spec })))}`);
    return out;
  }
});
