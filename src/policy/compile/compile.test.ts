// The compiler's shape: rule count O(P + E) (in fact independent of E for a fixed set of profile
// lists), shared named sets, and element-only diffs for label and endpoint changes.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCIDR } from '../../lib/ip.js';
import type { Resource } from '../../model/index.js';
import { PolicyProgrammer, renderRuleset } from '../../dataplane/index.js';
import { FakeNft } from '../../dataplane/nft/fake-nft.js';
import { buildSnapshot, compile, countElements, countRules, diffRulesets, disjointCIDRs, structureOf, type Ruleset } from '../index.js';
import { group, namespace, pod, valid, xyzWorld, yamlResources } from '../../../test/support/policy-fixtures.js';

function bigWorld(policies: number, endpoints: number, namespaces = 5): Resource[] {
  const out: Resource[] = [];
  for (let n = 0; n < namespaces; n++) out.push(namespace(`ns${n}`, { team: `t${n % 3}` }));
  for (let e = 0; e < endpoints; e++) {
    out.push(pod(`ns${e % namespaces}`, `p${e}`, `10.${1 + Math.floor(e / 65536)}.${Math.floor(e / 256) % 256}.${e % 256}`, { labels: { app: `app${e % 50}`, tier: e % 2 ? 'web' : 'db' } }));
  }
  for (let p = 0; p < policies; p++) {
    out.push(valid({
      apiVersion: 'projectcalico.org/v3', kind: p % 2 ? 'GlobalNetworkPolicy' : 'NetworkPolicy',
      metadata: p % 2 ? { name: `g${p}` } : { name: `n${p}`, namespace: `ns${p % namespaces}` },
      spec: {
        order: p, selector: `app == 'app${p % 50}'`,
        ingress: [{ action: 'Allow', protocol: 'TCP', source: { selector: `tier == 'web' && app != 'app${p}'` }, destination: { ports: [80 + (p % 5)] } }, { action: 'Deny', protocol: 'UDP' }],
        egress: [{ action: 'Allow', destination: { nets: [`172.16.${p % 256}.0/24`] } }],
      },
    }));
  }
  return out;
}

const rulesOf = (p: number, e: number): number => countRules(compile(buildSnapshot(group(bigWorld(p, e)))));

describe('rule count', () => {
  it('does not grow with endpoints, and grows linearly with policies', () => {
    const base = rulesOf(20, 100);
    assert.equal(rulesOf(20, 1000), base, '10× the endpoints, same rules: endpoints only add set and map elements');
    const perPolicy = (rulesOf(40, 100) - base) / 20;
    assert.equal(rulesOf(80, 100), base + 60 * perPolicy, 'each policy adds the same number of rules');
    assert.ok(perPolicy <= 8, `a 3-rule policy costs ${perPolicy} rules`);
  });

  it('is O(P + E): at most a few rules per policy rule and per profile list, plus a constant', () => {
    for (const [p, e] of [[10, 200], [50, 500], [100, 2000]] as const) {
      const rs = compile(buildSnapshot(group(bigWorld(p, e))));
      const policyRules = p * 3;
      const profileLists = 5;
      assert.ok(countRules(rs) <= 2 * policyRules + 2 * p + 2 * 10 * profileLists + 20, `${countRules(rs)} rules for ${p} policies, ${e} endpoints`);
      assert.ok(countElements(rs) >= 2 * e, 'each endpoint is an element of the two dispatch maps');
    }
  });
});

describe('named sets', () => {
  it('one set per distinct selector, shared by every rule that uses it', () => {
    const rs = compile(buildSnapshot(group([...xyzWorld(), ...yamlResources(`
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: { name: a }
spec: { selector: all(), ingress: [{ action: Allow, source: { selector: "pod == 'b'" } }] }
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: { name: b }
spec: { selector: "pod == 'c'", egress: [{ action: Deny, destination: { selector: "pod == 'b'" } }] }
`)])));
    const sel = rs.sets.filter((s) => s.comment === "selector pod == \"b\"" || s.comment === 'selector pod == "b"');
    assert.equal(sel.length, 2, 'one IPv4 and one IPv6 set');
    assert.deepEqual(sel.find((s) => s.family === 4)!.elements, ['10.0.0.2/32', '10.0.1.2/32', '10.0.2.2/32']);
  });

  it('address sets hold disjoint networks (nft interval sets refuse overlaps)', () => {
    const c = (s: string) => parseCIDR(s)!;
    assert.deepEqual(disjointCIDRs([c('10.0.0.5/32'), c('10.0.0.0/8'), c('10.1.0.0/16'), c('11.0.0.1/32'), c('10.0.0.0/8')]), ['10.0.0.0/8', '11.0.0.1/32']);
  });
});

describe('incremental changes', () => {
  const policy = yamlResources(`
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: { name: web }
spec: { selector: "role == 'web'", ingress: [{ action: Allow, source: { selector: "role == 'client'" } }] }
`);
  const snapWith = (extra: Resource[]) => compile(buildSnapshot(group([...xyzWorld(), ...policy, ...extra])));

  it('a label change touches set elements only', () => {
    const before = snapWith([pod('x', 'd', '10.0.0.4', { labels: { role: 'client' } })]);
    const after = snapWith([pod('x', 'd', '10.0.0.4', { labels: { role: 'web' } })]);
    const d = diffRulesets(before, after);
    assert.equal(d.kind, 'elements');
    if (d.kind !== 'elements') return;
    assert.deepEqual(d.maps, []);
    const changed = Object.fromEntries(d.sets.map((s) => [s.set, { add: s.add, remove: s.remove }]));
    assert.ok(Object.values(changed).some((c) => c.remove.includes('10.0.0.4/32')), 'left the client set');
    assert.ok(Object.values(changed).some((c) => c.add.some((x) => x.startsWith('cali'))), 'joined the web endpoints set');
  });

  it('a new endpoint in an existing namespace touches elements only; a new policy rebuilds', () => {
    const before = snapWith([]);
    const added = snapWith([pod('y', 'd', '10.0.1.4', { labels: { role: 'web' } })]);
    const d = diffRulesets(before, added);
    assert.equal(d.kind, 'elements');
    if (d.kind === 'elements') assert.deepEqual(d.maps.map((m) => m.add.length), [1, 1]);
    const more = compile(buildSnapshot(group([...xyzWorld(), ...policy, ...yamlResources('apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: { name: other }\nspec: { selector: all() }')])));
    assert.equal(diffRulesets(before, more).kind, 'structure');
  });

  it('a changed rule of an existing policy rebuilds, as comparing structureOf texts decides', () => {
    const base = snapWith([]);
    const changed = compile(buildSnapshot(group([...xyzWorld(), ...yamlResources(`
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: { name: web }
spec: { selector: "role == 'web'", ingress: [{ action: Allow, protocol: TCP, source: { selector: "role == 'client'" } }] }
`)])));
    const pairs: Array<[Ruleset, Ruleset]> = [[base, changed], [changed, base], [base, snapWith([])], [base, snapWith([pod('x', 'd', '10.0.0.4', { labels: { role: 'web' } })])]];
    for (const [a, b] of pairs) assert.equal(diffRulesets(a, b).kind === 'structure', structureOf(a) !== structureOf(b));
    assert.equal(diffRulesets(base, changed).kind, 'structure');
  });

  it('the programmer sends the whole table first, then element patches, and repairs with a full sync after a failure', async () => {
    const nft = new FakeNft();
    const prog = new PolicyProgrammer(nft);
    const a = snapWith([pod('x', 'd', '10.0.0.4', { labels: { role: 'client' } })]);
    const b = snapWith([pod('x', 'd', '10.0.0.4', { labels: { role: 'web' } })]);
    assert.equal((await prog.sync(a)).kind, 'full');
    assert.equal(nft.applied[0], renderRuleset(a));
    assert.equal((await prog.sync(a)).kind, 'none');
    assert.equal((await prog.sync(b)).kind, 'elements');
    assert.match(nft.applied[1]!, /^delete element inet tortie s4_\w+ \{ 10\.0\.0\.4\/32 \}$/m);
    nft.failOnce();
    assert.equal((await prog.sync(a)).kind, 'full', 'a failed patch is followed by a full replace');
    assert.equal(nft.applied.at(-1), renderRuleset(a));
  });
});

describe('deny action (FilterDenyAction)', () => {
  const world = (): Resource[] => [...bigWorld(4, 6), valid({
    apiVersion: 'projectcalico.org/v3', kind: 'Profile', metadata: { name: 'kns.ns0' }, spec: { ingress: [{ action: 'Deny' }], egress: [{ action: 'Allow' }] },
  })];
  const verdicts = (r: Ruleset): string[] => r.chains.flatMap((c) => c.rules.flatMap((rule) => (rule.verdict && (rule.verdict.kind === 'drop' || rule.verdict.kind === 'reject') ? [`${rule.verdict.kind} ${rule.comment ?? ''}`] : [])));

  it('reject replaces every policy and profile denial; fail-closed and ct-invalid drops (forward and input) stay drops', () => {
    const dropped = verdicts(compile(buildSnapshot(group(world()))));
    const rejected = verdicts(compile(buildSnapshot(group(world())), { denyAction: 'reject' }));
    assert.equal(rejected.length, dropped.length, 'the same rules, only their verdicts differ');
    const stillDrop = rejected.filter((v) => v.startsWith('drop'));
    assert.deepEqual(stillDrop.sort(), ['drop ', 'drop ', 'drop unknown cali* interface: fail closed', 'drop unknown cali* interface: fail closed'].sort());
    for (const what of ['rule 1: Deny', 'end of tier default', 'no policy or profile allowed the packet', 'rule 0: Deny']) {
      assert.ok(rejected.some((v) => v.startsWith('reject') && v.includes(what)), `a rejecting "${what}" rule in ${JSON.stringify(rejected)}`);
    }
    assert.ok(!dropped.some((v) => v.startsWith('reject')), 'drop is the default');
  });

  it('renders as an ICMP administratively-prohibited reject', () => {
    const text = renderRuleset(compile(buildSnapshot(group(world())), { denyAction: 'reject' }));
    assert.match(text, /counter reject with icmpx type admin-prohibited comment "rule 1: Deny"/);
  });
});
