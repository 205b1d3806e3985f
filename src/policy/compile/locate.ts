// Where in the compiled ruleset the evaluator's decision lives: the chain and the comment of the
// nft rule(s) that carry it, so `tortie trace` can read that rule's packet counter on the node and
// show the operator that the kernel agrees with the explanation.

import type { DirectionResult } from '../evaluate.js';
import type { Endpoint, Snapshot } from '../snapshot.js';
import { policyChainName, profileChainName, profileListChainName } from './compile.js';

export interface RuleLocation {
  readonly chain: string;
  /** Rules whose comment starts with this carry the decision (a rule may compile to several). */
  readonly commentPrefix: string;
}

export function locateDecision(snap: Snapshot, endpoint: Endpoint, r: DirectionResult): RuleLocation | null {
  const d = r.decision;
  const dir = r.direction;
  switch (d.by) {
    case 'policy-rule': {
      const p = snap.tiers.flatMap((t) => t.policies).find((x) => x.display === d.policy && x.tier === d.tier);
      return p ? { chain: policyChainName(p, dir), commentPrefix: `rule ${d.rule}: ` } : null;
    }
    case 'profile-rule': return { chain: profileChainName(d.profile, dir), commentPrefix: `rule ${d.rule}: ` };
    case 'end-of-tier': return { chain: `pol-${dir}`, commentPrefix: `end of tier ${d.tier}:` };
    case 'missing-profile': return { chain: profileListChainName(endpoint.profiles, dir), commentPrefix: `profile ${d.profile} does not exist` };
    case 'no-profile-decided': return { chain: profileListChainName(endpoint.profiles, dir), commentPrefix: 'no policy or profile allowed the packet' };
  }
}
