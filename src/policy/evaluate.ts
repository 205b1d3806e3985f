// The evaluator: what Felix's per-endpoint chains decide for the first packet of a connection,
// with the path that led there (calico.md §6):
//
//   for each tier with a policy that selects the endpoint in this direction:
//     for each such policy, in order: the first rule that matches decides —
//       Allow ▸ allowed   Deny ▸ denied   Pass ▸ on to the next tier   Log ▸ noted, keep going
//     no policy decided ▸ the tier's defaultAction: Deny (end-of-tier drop) or Pass
//   no tier applied, or every tier passed ▸ the endpoint's profiles, in order: first Allow/Deny
//   decides; a profile that does not exist denies everything (Felix's stand-in); none decided ▸ deny
//
// A packet is allowed when the source endpoint's egress and the destination endpoint's ingress
// both allow it; an address that is no endpoint has no policy of its own.

import type { RuleAction } from '../model/index.js';
import type { AddressIndex } from './address-index.js';
import type { Packet } from './packet.js';
import type { ParsedRule } from './parsed-rule.js';
import { ruleMatches } from './rule-match.js';
import type { Endpoint, PolicyInfo, Snapshot } from './snapshot.js';
import { matches } from '../selector/index.js';

export type Direction = 'ingress' | 'egress';
export type Verdict = 'allow' | 'deny';

export interface PolicyVisit {
  readonly policy: string;
  /** Index of the rule that decided (Allow, Deny or Pass), or null when none matched. */
  readonly rule: number | null;
  readonly action: 'Allow' | 'Deny' | 'Pass' | null;
  /** Log rules that matched on the way. */
  readonly logged: readonly number[];
}

export interface TierVisit {
  readonly tier: string;
  readonly policies: readonly PolicyVisit[];
  /** allow/deny: a rule decided; pass: a Pass rule or the tier's defaultAction Pass; end-of-tier: denied by default. */
  readonly outcome: 'allow' | 'deny' | 'pass' | 'end-of-tier';
}

export interface ProfileVisit {
  readonly profile: string;
  readonly missing: boolean;
  readonly rule: number | null;
  readonly action: 'Allow' | 'Deny' | null;
}

export type Decision =
  | { readonly by: 'policy-rule'; readonly tier: string; readonly policy: string; readonly rule: number; readonly action: 'Allow' | 'Deny' }
  | { readonly by: 'end-of-tier'; readonly tier: string }
  | { readonly by: 'profile-rule'; readonly profile: string; readonly rule: number; readonly action: 'Allow' | 'Deny' }
  | { readonly by: 'missing-profile'; readonly profile: string }
  | { readonly by: 'no-profile-decided'; readonly profiles: readonly string[] };

export interface DirectionResult {
  readonly direction: Direction;
  readonly endpoint: string;
  readonly verdict: Verdict;
  readonly tiers: readonly TierVisit[];
  readonly profiles: readonly ProfileVisit[];
  readonly decision: Decision;
}

function firstDecidingRule(rules: readonly ParsedRule[], p: Packet, idx: AddressIndex): { rule: ParsedRule | null; logged: number[] } {
  const logged: number[] = [];
  for (const r of rules) {
    if (!ruleMatches(r, p, idx)) continue;
    if (r.action === 'Log') { logged.push(r.index); continue; }
    return { rule: r, logged };
  }
  return { rule: null, logged };
}

/** Whether `policy` applies to `ep` in `dir` (it selects it and has that type). */
export function policyApplies(policy: PolicyInfo, ep: Endpoint, dir: Direction): boolean {
  return policy[dir] !== null && matches(policy.selector, ep.labels);
}

export function evaluateDirection(snap: Snapshot, idx: AddressIndex, ep: Endpoint, dir: Direction, p: Packet): DirectionResult {
  const tiers: TierVisit[] = [];
  const base = { direction: dir, endpoint: ep.display };
  for (const tier of snap.tiers) {
    const applying = tier.policies.filter((pol) => policyApplies(pol, ep, dir));
    if (applying.length === 0) continue;
    const visits: PolicyVisit[] = [];
    let outcome: TierVisit['outcome'] | null = null;
    let decided: { policy: string; rule: number; action: RuleAction } | null = null;
    for (const pol of applying) {
      const { rule, logged } = firstDecidingRule(pol[dir]!, p, idx);
      const action = rule?.action as 'Allow' | 'Deny' | 'Pass' | undefined;
      visits.push({ policy: pol.display, rule: rule?.index ?? null, action: action ?? null, logged });
      if (rule !== null && action !== undefined) {
        outcome = action === 'Allow' ? 'allow' : action === 'Deny' ? 'deny' : 'pass';
        decided = { policy: pol.display, rule: rule.index, action };
        break;
      }
    }
    if (outcome === null) outcome = tier.defaultAction === 'Pass' ? 'pass' : 'end-of-tier';
    tiers.push({ tier: tier.name, policies: visits, outcome });
    if (outcome === 'allow' || outcome === 'deny') {
      return {
        ...base, verdict: outcome, tiers, profiles: [],
        decision: { by: 'policy-rule', tier: tier.name, policy: decided!.policy, rule: decided!.rule, action: decided!.action as 'Allow' | 'Deny' },
      };
    }
    if (outcome === 'end-of-tier') return { ...base, verdict: 'deny', tiers, profiles: [], decision: { by: 'end-of-tier', tier: tier.name } };
  }
  const profiles: ProfileVisit[] = [];
  for (const name of ep.profiles) {
    const prof = snap.profiles.get(name);
    if (prof === undefined) {
      profiles.push({ profile: name, missing: true, rule: null, action: null });
      return { ...base, verdict: 'deny', tiers, profiles, decision: { by: 'missing-profile', profile: name } };
    }
    const { rule } = firstDecidingRule(prof[dir], p, idx);
    // A Pass in a profile only ends that profile: the next one is consulted.
    const action = rule !== null && rule.action !== 'Pass' ? rule.action as 'Allow' | 'Deny' : null;
    profiles.push({ profile: name, missing: false, rule: action === null ? null : rule!.index, action });
    if (action !== null) {
      return { ...base, verdict: action === 'Allow' ? 'allow' : 'deny', tiers, profiles, decision: { by: 'profile-rule', profile: name, rule: rule!.index, action } };
    }
  }
  return { ...base, verdict: 'deny', tiers, profiles, decision: { by: 'no-profile-decided', profiles: ep.profiles } };
}
