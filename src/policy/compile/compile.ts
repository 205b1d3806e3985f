// Snapshot → IR for one host: the structure Felix builds, arranged so that the number of rules
// grows with policies plus endpoints, never with their product (the article's problem (3)).
//
//   forward / input (hooks)    ct established,related accept · ct invalid drop
//     iifname "cali*" → from-wl: iifname vmap @wl-from  (unknown cali* interface: drop, fail closed)
//     oifname "cali*" → to-wl:   oifname vmap @wl-to    (forward only)
//   wl-from / wl-to maps       interface → the chain of the endpoint's profile list   [E elements]
//   ple_<list> / pli_<list>    clear marks · jump pol-egress|pol-ingress · accepted? return
//                              · each profile: jump its chain · accepted? return · deny
//                                                        [one chain per distinct profile list]
//   pol-egress / pol-ingress   the tiers, shared by all endpoints:                   [2 per policy]
//     start of tier: clear pass+applied
//     per policy: iifname @ep_<selector> (not passed) set applied, jump po_… · accepted? return
//     end of tier (defaultAction Deny): applied and not passed → deny
//   po_…/pr_… chains           one per policy (profile) and direction: its rules     [R rules]
//
// A denial is `drop`, or `reject` with an ICMP error (CompileOptions.denyAction).
//
// Which endpoints a policy applies to is the set @ep_<selector> of interface names, so a label
// or endpoint change alters set and map elements only, never a rule.

import type { ParsedRule } from '../parsed-rule.js';
import type { Endpoint, PolicyInfo, Snapshot } from '../snapshot.js';
import {
  MARK_ACCEPT, MARK_ALL, MARK_APPLIED, MARK_PASS, type IRChain, type IRMap, type IRRule, type Ruleset, type Verdict,
} from '../ports.js';
import { ruleVariants } from './rule-variants.js';
import { setRegistry, shortHash, type SetRegistry } from './sets.js';

export interface CompileOptions {
  /** Which workload endpoints this host enforces policy for; default: all with an interface. */
  readonly isLocal?: (e: Endpoint) => boolean;
  /** Felix's InterfacePrefix. */
  readonly interfacePrefix?: string;
  /** The prefix of Log rules (Felix's LogPrefix). */
  readonly logPrefix?: string;
  /**
   * What a policy's denial does (Felix's FilterDenyAction): `drop` (default) silently, or `reject`
   * with an ICMP error so the sender fails at once. The fail-closed drop of an interface with no
   * endpoint yet stays a drop: that state is transient, and TCP's retransmission gets through once
   * the endpoint is programmed, where a reject would fail the pod's first connection for good.
   * The kernel rate-limits ICMP errors (net.ipv4.icmp_ratelimit, one per second per destination
   * with a burst of six by default): past that, a rejected sender meets silence, as with drop.
   */
  readonly denyAction?: 'drop' | 'reject';
}

type Dir = 'ingress' | 'egress';
const D = (dir: Dir): 'i' | 'e' => (dir === 'ingress' ? 'i' : 'e');
const ifaceDir = (dir: Dir): 'in' | 'out' => (dir === 'egress' ? 'in' : 'out');
const accepted = { kind: 'mark', mask: MARK_ACCEPT, value: MARK_ACCEPT } as const;

function ruleChain(name: string, rules: readonly ParsedRule[], sets: SetRegistry, logPrefix: string, deny: Verdict, inProfile: boolean, comment: string): IRChain {
  const out: IRRule[] = [];
  for (const r of rules) {
    const tag = `rule ${r.index}: ${r.action}`;
    for (const matches of ruleVariants(r, sets)) {
      switch (r.action) {
        case 'Allow': out.push({ matches, mark: { clear: 0, set: MARK_ACCEPT }, counter: true, verdict: { kind: 'return' }, comment: tag }); break;
        case 'Deny': out.push({ matches, counter: true, verdict: deny, comment: tag }); break;
        // Pass: on to the next tier; in a profile, on to the next profile.
        case 'Pass': out.push(inProfile ? { matches, counter: true, verdict: { kind: 'return' }, comment: tag } : { matches, mark: { clear: 0, set: MARK_PASS }, counter: true, verdict: { kind: 'return' }, comment: tag }); break;
        case 'Log': out.push({ matches, counter: true, log: logPrefix, comment: tag }); break;
      }
    }
  }
  return { name, rules: out, comment };
}

export const policyChainName = (p: PolicyInfo, dir: Dir): string => `po${D(dir)}_${shortHash(`${p.kind}/${p.namespace ?? ''}/${p.name}`)}`;
export const profileChainName = (profile: string, dir: Dir): string => `pr${D(dir)}_${shortHash(profile)}`;
export const profileListChainName = (profiles: readonly string[], dir: Dir): string => `pl${D(dir)}_${shortHash(profiles.join('\n'))}`;

export function compile(snap: Snapshot, opts: CompileOptions = {}): Ruleset {
  const prefix = opts.interfacePrefix ?? 'cali';
  const logPrefix = opts.logPrefix ?? 'calico-packet';
  const deny: Verdict = { kind: opts.denyAction ?? 'drop' };
  const isLocal = opts.isLocal ?? ((): boolean => true);
  const local = snap.endpoints.filter((e) => e.kind === 'WorkloadEndpoint' && e.interfaceName !== undefined && isLocal(e));
  const sets = setRegistry(snap.entities, local);
  const chains: IRChain[] = [];

  // The tier programs, shared by every endpoint.
  for (const dir of ['egress', 'ingress'] as const) {
    const rules: IRRule[] = [];
    for (const tier of snap.tiers) {
      const policies = tier.policies.filter((p) => p[dir] !== null);
      if (policies.length === 0) continue;
      rules.push({ matches: [], mark: { clear: MARK_PASS | MARK_APPLIED, set: 0 }, comment: `start of tier ${tier.name}` });
      for (const p of policies) {
        const chain = policyChainName(p, dir);
        chains.push(ruleChain(chain, p[dir]!, sets, logPrefix, deny, false, `${p.display} ${dir}`));
        rules.push({
          matches: [{ kind: 'iface-set', dir: ifaceDir(dir), set: sets.scope(p.selector) }, { kind: 'mark', mask: MARK_PASS, value: 0 }],
          mark: { clear: 0, set: MARK_APPLIED }, verdict: { kind: 'jump', chain }, comment: p.display,
        });
        rules.push({ matches: [accepted], verdict: { kind: 'return' }, comment: `${p.display} allowed` });
      }
      if (tier.defaultAction === 'Deny') {
        rules.push({ matches: [{ kind: 'mark', mask: MARK_PASS | MARK_APPLIED, value: MARK_APPLIED }], counter: true, verdict: deny, comment: `end of tier ${tier.name}: deny if no policy passed the packet` });
      }
    }
    chains.push({ name: `pol-${dir}`, rules, comment: `tiers, ${dir}` });
  }

  // Profiles referenced by local endpoints, and one chain per distinct profile list.
  const lists = new Map<string, readonly string[]>();
  for (const e of local) lists.set(e.profiles.join('\n'), e.profiles);
  const profileChains = new Set<string>();
  const maps: IRMap[] = [];
  const mapElements = { egress: new Map<string, string>(), ingress: new Map<string, string>() };
  for (const dir of ['egress', 'ingress'] as const) {
    for (const list of lists.values()) {
      const rules: IRRule[] = [
        { matches: [], mark: { clear: MARK_ALL, set: 0 } },
        { matches: [], verdict: { kind: 'jump', chain: `pol-${dir}` } },
        { matches: [accepted], verdict: { kind: 'return' } },
      ];
      for (const name of list) {
        const prof = snap.profiles.get(name);
        if (prof === undefined) { rules.push({ matches: [], counter: true, verdict: deny, comment: `profile ${name} does not exist: deny all` }); break; }
        const chain = profileChainName(name, dir);
        if (!profileChains.has(chain)) { profileChains.add(chain); chains.push(ruleChain(chain, prof[dir], sets, logPrefix, deny, true, `profile ${name} ${dir}`)); }
        rules.push({ matches: [], verdict: { kind: 'jump', chain }, comment: `profile ${name}` });
        rules.push({ matches: [accepted], verdict: { kind: 'return' } });
      }
      rules.push({ matches: [], counter: true, verdict: deny, comment: 'no policy or profile allowed the packet' });
      chains.push({ name: profileListChainName(list, dir), rules, comment: `endpoints with profiles ${list.join(', ') || '(none)'}, ${dir}` });
    }
    const chainOfList = new Map([...lists].map(([key, l]) => [key, profileListChainName(l, dir)] as const));
    for (const e of local) mapElements[dir].set(e.interfaceName!, chainOfList.get(e.profiles.join('\n'))!);
  }
  maps.push({ name: 'wl-from', elements: mapElements.egress, comment: 'workload interface → its egress chain' });
  maps.push({ name: 'wl-to', elements: mapElements.ingress, comment: 'workload interface → its ingress chain' });

  const ct: IRRule[] = [
    { matches: [{ kind: 'ct-state', states: ['established', 'related'] }], verdict: { kind: 'accept' } },
    { matches: [{ kind: 'ct-state', states: ['invalid'] }], verdict: { kind: 'drop' } },
  ];
  const fromWl = { matches: [{ kind: 'iface-prefix', dir: 'in', prefix } as const], verdict: { kind: 'jump', chain: 'from-wl' } as const };
  chains.push({ name: 'from-wl', rules: [
    { matches: [], verdict: { kind: 'vmap', dir: 'in', map: 'wl-from' } },
    { matches: [], verdict: { kind: 'drop' }, comment: `unknown ${prefix}* interface: fail closed` },
  ] });
  chains.push({ name: 'to-wl', rules: [
    { matches: [], verdict: { kind: 'vmap', dir: 'out', map: 'wl-to' } },
    { matches: [], verdict: { kind: 'drop' }, comment: `unknown ${prefix}* interface: fail closed` },
  ] });
  chains.push({ name: 'forward', hook: 'forward', rules: [
    ...ct, fromWl,
    { matches: [{ kind: 'iface-prefix', dir: 'out', prefix }], verdict: { kind: 'jump', chain: 'to-wl' } },
  ] });
  // Workload → host: the workload's egress policy applies (Felix's cali-wl-to-host).
  chains.push({ name: 'input', hook: 'input', rules: [...ct, fromWl] });

  chains.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { sets: sets.sets(), maps, chains };
}
