// Tier (calico.md §1, §6; Calico's api/.../v3/tier.go): an ordered group of policies. Within a tier
// the first policy to Allow, Deny or Pass decides; a packet no policy decides meets the tier's
// defaultAction. Names are DNS labels (validateTier: tiers are parts of other names, so no dots).

import { z } from 'zod';
import { dnsLabelProblem } from '../fields.js';
import type { Issue } from '../issues.js';
import { defineKind } from '../kind.js';

export const TIER_ACTIONS = ['Deny', 'Pass'] as const;
export type TierAction = (typeof TIER_ACTIONS)[number];

export interface TierSpec {
  /** Lower applies first; absent means last, ties broken by name. */
  order?: number;
  defaultAction: TierAction;
}

/**
 * The tiers Calico creates itself, with the order and default action its API pins them to
 * (clientv3 ensureTierExists; the Tier CRD's CEL rules). kube-admin and kube-baseline hold the
 * converted (Baseline)AdminNetworkPolicies and pass undecided packets on.
 */
export const BUILTIN_TIERS: ReadonlyArray<{ readonly name: string; readonly order: number; readonly defaultAction: TierAction }> = [
  { name: 'kube-admin', order: 1_000, defaultAction: 'Pass' },
  { name: 'default', order: 1_000_000, defaultAction: 'Deny' },
  { name: 'kube-baseline', order: 10_000_000, defaultAction: 'Pass' },
];

export const DEFAULT_TIER = 'default';

// defaultAction stays unset here: finish() fills it, from the built-in table or as Deny.
export const tierSpec = z.strictObject({
  order: z.number().optional(),
  defaultAction: z.enum(TIER_ACTIONS).optional(),
}).transform((s) => {
  const out: { order?: number; defaultAction?: TierAction } = {};
  if (s.order !== undefined) out.order = s.order;
  if (s.defaultAction !== undefined) out.defaultAction = s.defaultAction;
  return out as TierSpec;
});

/** A built-in tier keeps its order and default action; they are filled in when not given. */
function finish(meta: { readonly name: string }, spec: TierSpec): { spec: TierSpec; issues: Issue[] } {
  const builtin = BUILTIN_TIERS.find((t) => t.name === meta.name);
  if (!builtin) return { spec: { ...spec, defaultAction: spec.defaultAction ?? 'Deny' }, issues: [] };
  const issues: Issue[] = [];
  if (spec.order !== undefined && spec.order !== builtin.order) {
    issues.push({ path: 'spec.order', message: `${spec.order} is not allowed: the built-in tier "${builtin.name}" has order ${builtin.order}` });
  }
  if (spec.defaultAction !== undefined && spec.defaultAction !== builtin.defaultAction) {
    issues.push({ path: 'spec.defaultAction', message: `${spec.defaultAction} is not allowed: the built-in tier "${builtin.name}" has defaultAction ${builtin.defaultAction}` });
  }
  return { spec: { order: builtin.order, defaultAction: builtin.defaultAction }, issues };
}

export const Tier = defineKind({
  kind: 'Tier', plural: 'tiers', shortNames: [], namespaced: false,
  spec: tierSpec, finish,
  nameCheck: (name) => dnsLabelProblem(name)?.replace('is not a valid name', 'is not a valid tier name') ?? null,
});
