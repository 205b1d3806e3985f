// NetworkPolicy (calico.md §1; Calico's api/.../v3/networkpolicy.go): ordered rules for the
// endpoints its selector picks in its own namespace. The pieces GlobalNetworkPolicy shares live here
// too. Checks follow validateNetworkPolicy(Spec) in libcalico-go/lib/validator/v3/validator.go;
// `types` is defaulted as clientv3's defaultPolicyTypesField does, before anything is stored.

import { z } from 'zod';
import { dnsLabelProblem, listOf, onObject, selector } from '../fields.js';
import { show } from '../issues.js';
import { defineKind } from '../kind.js';
import { checkRuleDirections, ruleList, type Rule } from './rule.js';

export const POLICY_TYPES = ['Ingress', 'Egress'] as const;
export type PolicyType = (typeof POLICY_TYPES)[number];
export const PERFORMANCE_HINTS = ['AssumeNeededOnEveryNode'] as const;
export type PerformanceHint = (typeof PERFORMANCE_HINTS)[number];

export interface NetworkPolicySpec {
  /** The tier; "default" when not given. */
  tier: string;
  /** Lower applies first; absent means last (Calico's nil order), ties broken by name. */
  order?: number;
  /** Which endpoints the policy applies to; all() when not given. */
  selector: string;
  /** Always materialised: from the rules when not given. */
  types: PolicyType[];
  ingress: Rule[];
  egress: Rule[];
  serviceAccountSelector?: string;
  performanceHints?: PerformanceHint[];
}

type Raw = Record<string, unknown>;
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** The fields NetworkPolicy and GlobalNetworkPolicy share. */
export const policyFields = {
  tier: z.string().superRefine((t, ctx) => {
    const p = t === '' ? null : dnsLabelProblem(t);
    if (p) ctx.addIssue({ code: 'custom', input: t, message: p.replace('is not a valid name', 'is not a valid tier name') });
  }).optional(),
  order: z.number().optional(),
  selector: selector().optional(),
  types: listOf(z.enum(POLICY_TYPES), 2).optional(),
  ingress: ruleList(),
  egress: ruleList(),
  serviceAccountSelector: selector().optional(),
  performanceHints: z.array(z.enum(PERFORMANCE_HINTS)).optional(),
};

/** The checks NetworkPolicy and GlobalNetworkPolicy share. */
export function checkPolicy(s: Raw, ctx: z.RefinementCtx, opts: { global: boolean }): void {
  const issue = (path: Array<string | number>, input: unknown, message: string): void => { ctx.addIssue({ code: 'custom', path, input, message }); };
  for (const f of ['types', 'performanceHints']) {
    list(s[f]).forEach((t, i, all) => { if (all.indexOf(t) < i) issue([f, i], t, `${show(t)} is listed twice`); });
  }
  // global() selects non-namespaced entities; it is meaningful only in a rule's namespaceSelector.
  for (const f of ['selector', 'serviceAccountSelector', ...(opts.global ? ['namespaceSelector'] : [])]) {
    const v = s[f];
    if (typeof v === 'string' && v.includes('global(')) issue([f], v, `${show(v)} uses global(), which only a rule's namespaceSelector may use`);
  }
  checkRuleDirections(s, ctx, opts);
}

/** Calico's defaulting of `types`: no egress rules → [Ingress]; egress only → [Egress]; both → both. */
export function defaultTypes(types: readonly PolicyType[] | undefined, ingress: readonly Rule[], egress: readonly Rule[]): PolicyType[] {
  if (types && types.length > 0) return [...types];
  if (egress.length === 0) return ['Ingress'];
  if (ingress.length === 0) return ['Egress'];
  return ['Ingress', 'Egress'];
}

/** The stored form of the shared fields: tier, selector and types filled in, absent optionals left out. */
export function finishPolicy(s: z.output<z.ZodObject<typeof policyFields>>): NetworkPolicySpec {
  const out: NetworkPolicySpec = {
    tier: s.tier === undefined || s.tier === '' ? 'default' : s.tier,
    selector: s.selector === undefined || s.selector.trim() === '' ? 'all()' : s.selector,
    types: defaultTypes(s.types, s.ingress, s.egress),
    ingress: s.ingress,
    egress: s.egress,
  };
  if (s.order !== undefined) out.order = s.order;
  if (s.serviceAccountSelector !== undefined && s.serviceAccountSelector !== '') out.serviceAccountSelector = s.serviceAccountSelector;
  if (s.performanceHints !== undefined && s.performanceHints.length > 0) out.performanceHints = [...s.performanceHints];
  return out;
}

export const networkPolicySpec = z.strictObject(policyFields)
  .superRefine(onObject((s, ctx) => checkPolicy(s, ctx, { global: false })), { when: () => true })
  .transform(finishPolicy);

// Calico's networkPolicyNameRegex: a DNS label, optionally one dot (e.g. "tier1.allow-dns"), or the
// "knp.default." / "ossg.default." prefix of policies converted from Kubernetes objects.
const LABEL = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const NP_NAME = new RegExp(`^(${LABEL}(\\.${LABEL})?|(knp|ossg)\\.default\\.${LABEL}(\\.${LABEL})*)$`);
/** Calico's globalNetworkPolicyNameRegex: a DNS label, optionally one dot. */
export const GNP_NAME = new RegExp(`^(${LABEL}\\.)?${LABEL}$`);

export const policyNameProblem = (re: RegExp) => (name: string): string | null => (re.test(name)
  ? null
  : `${show(name)} is not a valid policy name: use lower-case letters, digits and '-', with at most one '.'`);

export const NetworkPolicy = defineKind({
  kind: 'NetworkPolicy', plural: 'networkpolicies', namespaced: true,
  // calicoctl's names (calicoctl/resourcemgr/networkpolicy.go).
  shortNames: ['policy', 'np', 'policies', 'pol', 'pols'],
  spec: networkPolicySpec, nameCheck: policyNameProblem(NP_NAME),
});
