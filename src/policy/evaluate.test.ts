// Calico's policy semantics on the evaluator, one operator or rule field per test, in the x/y/z ×
// a/b/c world (pod IPs 10.0.<0|1|2>.<1|2|3>; every pod serves serve-<80|81>-<tcp|udp|sctp>).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { explainTrace } from './index.js';
import { pod, valid, xyzWorld, yamlResources } from '../../test/support/policy-fixtures.js';
import { allows, denied, pairs, snapshotOf, trace } from '../../test/support/policy-check.js';

const world = (yaml: string, extra: unknown[] = []) => snapshotOf([...xyzWorld(), ...extra.map(valid), ...yamlResources(yaml)]);
const gnp = (name: string, spec: string): string => `apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: { name: ${name} }\nspec:\n${spec.replace(/^/gm, '  ')}\n---\n`;
const cnp = (name: string, ns: string, spec: string): string => `apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata: { name: ${name}, namespace: ${ns} }\nspec:\n${spec.replace(/^/gm, '  ')}\n---\n`;
const tier = (name: string, order: number, action: string): string => `apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: { name: ${name} }\nspec: { order: ${order}, defaultAction: ${action} }\n---\n`;
/** Ingress to x/a only: the rule under test, then nothing (so the end-of-tier deny decides the rest). */
const toXa = (rule: string): string => gnp('t', `selector: "projectcalico.org/namespace == 'x' && pod == 'a'"\ntypes: [Ingress]\ningress:\n${rule.replace(/^/gm, '  ')}`);

describe('actions, tiers and order', () => {
  it('Allow decides; the explanation names tier, policy and rule', () => {
    const s = world(toXa('- action: Deny\n  protocol: UDP\n- action: Allow'));
    const t = trace(s, 'y/b', 'x/a', 'tcp', 80);
    assert.equal(t.verdict, 'allow');
    assert.ok('decision' in t.ingress);
    assert.deepEqual(t.ingress.decision, { by: 'policy-rule', tier: 'default', policy: 'GlobalNetworkPolicy t', rule: 1, action: 'Allow' });
    assert.match(explainTrace(t), /^ALLOW: y\/b \(10\.0\.1\.2\) → x\/a \(10\.0\.0\.1\), TCP port 80\n/);
    assert.match(explainTrace(t), /ingress of x\/a: ALLOW by GlobalNetworkPolicy t \(tier default\), rule 1: Allow/);
  });

  it('Deny decides even when a later rule would allow', () => {
    const s = world(toXa('- action: Deny\n  protocol: TCP\n- action: Allow'));
    assert.equal(allows(s, 'y/b', 'x/a', 'tcp', 80), false);
    assert.equal(allows(s, 'y/b', 'x/a', 'udp', 80), true);
  });

  it('a policy selecting the endpoint turns on default deny for that direction only', () => {
    const s = world(gnp('nothing', "selector: pod == 'a'\ntypes: [Ingress]"));
    const t = trace(s, 'x/b', 'x/a', 'tcp', 80);
    assert.equal(t.verdict, 'deny');
    assert.ok('decision' in t.ingress);
    assert.deepEqual(t.ingress.decision, { by: 'end-of-tier', tier: 'default' });
    assert.equal(allows(s, 'x/a', 'x/b', 'tcp', 80), true, 'egress of x/a is still decided by its profile');
  });

  it('Log matches and goes on', () => {
    const s = world(toXa('- action: Log\n- action: Allow\n  protocol: TCP'));
    const t = trace(s, 'y/b', 'x/a', 'tcp', 80);
    assert.equal(t.verdict, 'allow');
    assert.ok('tiers' in t.ingress);
    assert.deepEqual(t.ingress.tiers[0]!.policies[0]!.logged, [0]);
    assert.equal(allows(s, 'y/b', 'x/a', 'udp', 80), false);
  });

  it('Pass skips the rest of the tier; the next tier decides', () => {
    const s = world(tier('security', 100, 'Deny') + gnp('security.pass', "tier: security\norder: 1\nselector: all()\ningress:\n- action: Pass\n  source: { selector: pod == 'b' }")
      + gnp('security.deny', "tier: security\norder: 500\nselector: all()\ningress: [{ action: Deny }]")
      + gnp('allow-b', "order: 1\nselector: all()\ningress: [{ action: Allow, source: { selector: pod == 'b' } }]"));
    assert.equal(allows(s, 'y/b', 'x/a', 'tcp', 80), true, 'passed to the default tier, which allows b');
    assert.equal(allows(s, 'y/c', 'x/a', 'tcp', 80), false, 'denied in tier security');
  });

  it('Pass from the last tier reaches the profiles', () => {
    const s = world(gnp('pass-all', 'selector: all()\ningress: [{ action: Pass }]'));
    const t = trace(s, 'y/b', 'x/a', 'tcp', 80);
    assert.equal(t.verdict, 'allow');
    assert.ok('decision' in t.ingress);
    assert.deepEqual(t.ingress.decision, { by: 'profile-rule', profile: 'kns.x', rule: 0, action: 'Allow' });
  });

  it('a tier with defaultAction Pass hands undecided packets on; Deny drops them at its end', () => {
    const pass = world(tier('t1', 10, 'Pass') + gnp('t1.x', "tier: t1\nselector: all()\ningress: [{ action: Deny, protocol: UDP }]"));
    assert.equal(allows(pass, 'y/b', 'x/a', 'tcp', 80), true);
    assert.equal(allows(pass, 'y/b', 'x/a', 'udp', 80), false);
    const deny = world(tier('t1', 10, 'Deny') + gnp('t1.x', "tier: t1\nselector: all()\ningress: [{ action: Deny, protocol: UDP }]"));
    assert.equal(allows(deny, 'y/b', 'x/a', 'tcp', 80), false);
  });

  it('tiers apply in order; a tier with no policy for the endpoint is skipped', () => {
    const s = world(tier('early', 10, 'Deny') + tier('late', 2_000_000, 'Deny')
      + gnp('early.only-y', "tier: early\nselector: pod == 'c'\ningress: [{ action: Deny }]")
      + gnp('late.allow', 'tier: late\nselector: all()\ningress: [{ action: Allow }]')
      + gnp('mid', "selector: all()\ningress: [{ action: Deny, source: { selector: pod == 'b' } }, { action: Pass }]"));
    assert.equal(allows(s, 'x/b', 'y/a', 'tcp', 80), false, 'default tier (order 1e6) denies b before late');
    assert.equal(allows(s, 'x/a', 'y/a', 'tcp', 80), true, 'passed to late, which allows');
    assert.equal(allows(s, 'x/a', 'y/c', 'tcp', 80), false, 'early denies c first');
  });

  it('policy order: lower first, absent last, ties by name', () => {
    const s = world(gnp('b-allow', "order: 10\nselector: all()\ningress: [{ action: Allow }]") + gnp('a-deny', "order: 10\nselector: all()\ningress: [{ action: Deny }]")
      + gnp('zz', 'selector: all()\ningress: [{ action: Allow }]'));
    assert.equal(allows(s, 'x/a', 'y/a', 'tcp', 80), false, 'a-deny sorts before b-allow at the same order');
    const t = world(gnp('first', "selector: all()\ningress: [{ action: Deny }]") + gnp('second', "order: 99999\nselector: all()\ningress: [{ action: Allow }]"));
    assert.equal(allows(t, 'x/a', 'y/a', 'tcp', 80), true, 'no order means last');
  });

  it('types: an Egress-only policy leaves ingress alone; types default from the rules', () => {
    const s = world(gnp('e', "selector: pod == 'a'\negress: [{ action: Deny }]"));
    assert.equal(allows(s, 'x/a', 'y/b', 'tcp', 80), false);
    assert.equal(allows(s, 'y/b', 'x/a', 'tcp', 80), true);
  });
});

describe('rule fields', () => {
  it('protocol and notProtocol', () => {
    const s = world(toXa('- action: Allow\n  protocol: UDP'));
    assert.equal(allows(s, 'y/b', 'x/a', 'udp', 80), true);
    assert.equal(allows(s, 'y/b', 'x/a', 'sctp', 80), false);
    const t = world(toXa('- action: Allow\n  notProtocol: TCP'));
    assert.equal(allows(t, 'y/b', 'x/a', 'sctp', 80), true);
    assert.equal(allows(t, 'y/b', 'x/a', 'tcp', 80), false);
  });

  it('icmp type/code and notICMP', () => {
    const s = world(toXa('- action: Allow\n  protocol: ICMP\n  icmp: { type: 8, code: 0 }'));
    assert.equal(trace(s, 'y/b', 'x/a', 'icmp', undefined, { type: 8, code: 0 }).verdict, 'allow');
    assert.equal(trace(s, 'y/b', 'x/a', 'icmp', undefined, { type: 8, code: 1 }).verdict, 'deny');
    assert.equal(trace(s, 'y/b', 'x/a', 'icmp', undefined, { type: 13 }).verdict, 'deny');
    const n = world(toXa('- action: Allow\n  protocol: ICMP\n  notICMP: { type: 8, code: 1 }'));
    assert.equal(trace(n, 'y/b', 'x/a', 'icmp', undefined, { type: 8, code: 0 }).verdict, 'allow');
    assert.equal(trace(n, 'y/b', 'x/a', 'icmp', undefined, { type: 8, code: 1 }).verdict, 'deny');
    assert.equal(trace(n, 'y/b', 'x/a', 'icmp', undefined, { type: 0, code: 1 }).verdict, 'allow');
  });

  it('source and destination nets / notNets', () => {
    const s = world(toXa('- action: Allow\n  source: { nets: [10.0.1.0/24], notNets: [10.0.1.3/32] }'));
    assert.deepEqual(denied(s, 'tcp', 80), pairs((f, t) => t === 'x/a' && !['y/a', 'y/b'].includes(f)));
    const d = world(gnp('e', "selector: pod == 'a'\ntypes: [Egress]\negress: [{ action: Allow, destination: { notNets: [10.0.2.0/24] } }]"));
    assert.deepEqual(denied(d, 'tcp', 80), pairs((f, t) => f.endsWith('/a') && t.startsWith('z/')));
  });

  it('selector and notSelector (notSelector also matches addresses that are no endpoint)', () => {
    const s = world(toXa("- action: Allow\n  source: { selector: pod == 'b' }"));
    assert.deepEqual(denied(s, 'tcp', 80), pairs((f, t) => t === 'x/a' && !f.endsWith('/b')));
    assert.equal(allows(s, '192.0.2.1', 'x/a', 'tcp', 80), false);
    const n = world(toXa("- action: Allow\n  source: { notSelector: pod == 'b' }"));
    assert.equal(allows(n, 'y/b', 'x/a', 'tcp', 80), false);
    assert.equal(allows(n, 'y/c', 'x/a', 'tcp', 80), true);
    assert.equal(allows(n, '192.0.2.1', 'x/a', 'tcp', 80), true, 'an outside address is not pod == b');
  });

  it('a NetworkPolicy rule selector stays in its namespace unless a namespaceSelector widens it', () => {
    const s = world(cnp('p', 'x', "selector: pod == 'a'\ningress: [{ action: Allow, source: { selector: pod == 'b' } }]"));
    assert.deepEqual(denied(s, 'tcp', 80), pairs((f, t) => t === 'x/a' && f !== 'x/b'));
    const all = world(cnp('p', 'x', "selector: pod == 'a'\ningress: [{ action: Allow, source: { selector: pod == 'b', namespaceSelector: all() } }]"));
    assert.deepEqual(denied(all, 'tcp', 80), pairs((f, t) => t === 'x/a' && !f.endsWith('/b')));
    const notSel = world(cnp('p', 'x', "selector: pod == 'a'\ningress: [{ action: Allow, source: { notSelector: pod == 'b' } }]"));
    assert.deepEqual(denied(notSel, 'tcp', 80), pairs((f, t) => t === 'x/a' && (f === 'x/b' || !f.startsWith('x/'))), 'notSelector alone still limits to the namespace');
  });

  it('namespaceSelector on namespace labels, all() and global()', () => {
    const byLabel = world(toXa("- action: Allow\n  source: { namespaceSelector: ns == 'z' }"));
    assert.deepEqual(denied(byLabel, 'tcp', 80), pairs((f, t) => t === 'x/a' && !f.startsWith('z/')));
    const gns = `apiVersion: projectcalico.org/v3\nkind: GlobalNetworkSet\nmetadata: { name: outside, labels: { zone: out } }\nspec: { nets: [192.0.2.0/24] }\n---\n`;
    const global = world(gns + toXa('- action: Allow\n  source: { namespaceSelector: global() }'));
    assert.equal(allows(global, '192.0.2.7', 'x/a', 'tcp', 80), true, 'global() selects the global network set');
    assert.equal(allows(global, 'y/b', 'x/a', 'tcp', 80), false, 'global() selects no pod');
    assert.equal(allows(global, '198.51.100.1', 'x/a', 'tcp', 80), false, 'an address in no set is not selected');
    const all = world(gns + toXa('- action: Allow\n  source: { namespaceSelector: all() }'));
    assert.equal(allows(all, 'y/b', 'x/a', 'tcp', 80), true);
    assert.equal(allows(all, '192.0.2.7', 'x/a', 'tcp', 80), false, 'all() means any namespace: not the global set');
  });

  it('NetworkSets are selected like endpoints, with their namespace', () => {
    const ns = `apiVersion: projectcalico.org/v3\nkind: NetworkSet\nmetadata: { name: partners, namespace: x, labels: { role: partner } }\nspec: { nets: [198.51.100.0/24] }\n---\n`;
    const s = world(ns + cnp('p', 'x', "selector: pod == 'a'\ningress: [{ action: Allow, source: { selector: role == 'partner' } }]"));
    assert.equal(allows(s, '198.51.100.9', 'x/a', 'tcp', 80), true);
    const other = world(ns + cnp('p', 'y', "selector: pod == 'a'\ningress: [{ action: Allow, source: { selector: role == 'partner' } }]"));
    assert.equal(allows(other, '198.51.100.9', 'y/a', 'tcp', 80), false, 'a NetworkSet of x is not in y');
  });

  it('ports: numbers, ranges, named ports (per endpoint), notPorts', () => {
    const s = world(toXa("- action: Allow\n  protocol: TCP\n  destination: { ports: ['1000:2000', 81] }"));
    assert.equal(allows(s, 'y/b', 'x/a', 'tcp', 81), true);
    assert.equal(allows(s, 'y/b', 'x/a', 'tcp', 1500), true);
    assert.equal(allows(s, 'y/b', 'x/a', 'tcp', 80), false);
    const named = snapshotOf([...xyzWorld().filter((r) => !(r.kind === 'WorkloadEndpoint' && r.metadata.namespace === 'x' && r.spec['pod'] === 'a')),
      pod('x', 'a', '10.0.0.1', { labels: { pod: 'a' }, ports: [{ name: 'http', protocol: 'TCP', port: 8080 }] }),
      ...yamlResources(gnp('t', "selector: all()\ntypes: [Ingress]\ningress: [{ action: Allow, protocol: TCP, destination: { ports: [http] } }]"))]);
    assert.equal(allows(named, 'y/b', 'x/a', 'tcp', 8080), true, 'x/a names 8080 http');
    assert.equal(allows(named, 'y/b', 'x/a', 'tcp', 80), false);
    assert.equal(allows(named, 'x/a', 'y/b', 'tcp', 8080), false, 'y/b has no port named http');
    const not = world(toXa('- action: Allow\n  protocol: UDP\n  destination: { notPorts: [80] }'));
    assert.equal(allows(not, 'y/b', 'x/a', 'udp', 81), true);
    assert.equal(allows(not, 'y/b', 'x/a', 'udp', 80), false);
  });

  it('serviceAccounts by name', () => {
    const s = snapshotOf([...xyzWorld().filter((r) => !(r.kind === 'WorkloadEndpoint' && r.metadata.namespace === 'y')),
      pod('y', 'a', '10.0.1.1', { labels: { pod: 'a' }, serviceAccount: 'builder' }), pod('y', 'b', '10.0.1.2', { labels: { pod: 'b' }, serviceAccount: 'web' }),
      ...yamlResources(toXa('- action: Allow\n  source: { serviceAccounts: { names: [builder] } }'))]);
    assert.equal(allows(s, 'y/a', 'x/a', 'tcp', 80), true);
    assert.equal(allows(s, 'y/b', 'x/a', 'tcp', 80), false);
  });

  it('ipVersion restricts a rule to one family', () => {
    const s = snapshotOf([...xyzWorld().filter((r) => !(r.kind === 'WorkloadEndpoint' && r.metadata.namespace === 'y' && r.spec['pod'] === 'b')),
      pod('y', 'b', '10.0.1.2', { labels: { pod: 'b' }, ipv6: 'fd00::12' }),
      ...yamlResources(gnp('v6', "selector: pod == 'b'\ntypes: [Egress]\negress: [{ action: Allow, ipVersion: 6 }]"))]);
    assert.equal(allows(s, 'y/b', 'x/a', 'tcp', 80), false, 'IPv4 from y/b is not allowed by an IPv6 rule');
    assert.equal(allows(s, 'y/b', 'fd00::99', 'tcp', 80), true);
  });
});

describe('policy scope, profiles and host endpoints', () => {
  it('a GlobalNetworkPolicy namespaceSelector limits the endpoints it applies to', () => {
    const s = world(gnp('g', "namespaceSelector: ns == 'y'\nselector: all()\ntypes: [Ingress]"));
    assert.deepEqual(denied(s, 'tcp', 80), pairs((_, t) => t.startsWith('y/')));
  });

  it('profile labelsToApply are endpoint labels for selectors; own labels win', () => {
    const prof = `apiVersion: projectcalico.org/v3\nkind: Profile\nmetadata: { name: tagged }\nspec: { labelsToApply: { team: blue, pod: overridden }, ingress: [{ action: Allow }], egress: [{ action: Allow }] }\n---\n`;
    const s = snapshotOf([...xyzWorld().filter((r) => !(r.kind === 'WorkloadEndpoint' && r.metadata.namespace === 'z' && r.spec['pod'] === 'c')),
      pod('z', 'c', '10.0.2.3', { labels: { pod: 'c' }, profiles: ['kns.z', 'tagged'] }),
      ...yamlResources(prof + toXa("- action: Allow\n  source: { selector: team == 'blue' && pod == 'c' }"))]);
    assert.deepEqual(denied(s, 'tcp', 80), pairs((f, t) => t === 'x/a' && f !== 'z/c'));
  });

  it('no policy: the first profile that decides; a missing profile denies; no profile denies', () => {
    const s = snapshotOf([...xyzWorld().filter((r) => r.kind !== 'WorkloadEndpoint' || r.metadata.namespace !== 'z'),
      pod('z', 'a', '10.0.2.1', { profiles: ['kns.nowhere'] }), pod('z', 'b', '10.0.2.2', { profiles: [] })]);
    const a = trace(s, 'x/a', 'z/a', 'tcp', 80);
    assert.equal(a.verdict, 'deny');
    assert.ok('decision' in a.ingress);
    assert.deepEqual(a.ingress.decision, { by: 'missing-profile', profile: 'kns.nowhere' });
    const b = trace(s, 'x/a', 'z/b', 'tcp', 80);
    assert.ok('decision' in b.ingress);
    assert.deepEqual(b.ingress.decision, { by: 'no-profile-decided', profiles: [] });
  });

  it('a HostEndpoint is selected by its expectedIPs and has default deny without a profile', () => {
    const hep = `apiVersion: projectcalico.org/v3\nkind: HostEndpoint\nmetadata: { name: node1-eth0, labels: { host: 'true' } }\nspec: { node: node1, interfaceName: eth0, expectedIPs: [172.16.0.1], profiles: [out-only] }\n---\n`
      + `apiVersion: projectcalico.org/v3\nkind: Profile\nmetadata: { name: out-only }\nspec: { egress: [{ action: Allow }] }\n---\n`;
    const s = world(hep + toXa("- action: Allow\n  source: { selector: host == 'true' }"));
    assert.equal(allows(s, '172.16.0.1', 'x/a', 'tcp', 80), true);
    const t = trace(s, 'x/a', '172.16.0.1', 'tcp', 22);
    assert.equal(t.verdict, 'deny', 'the host endpoint\'s profile allows nothing inbound');
    assert.equal(t.to, 'node1-eth0');
  });

  it('a pod talking to itself is not policed', () => {
    const s = world(gnp('deny', 'selector: all()\ningress: [{ action: Deny }]'));
    const t = trace(s, 'x/a', 'x/a', 'tcp', 80);
    assert.equal(t.verdict, 'allow');
    assert.ok(t.note);
  });
});
