// GlobalNetworkPolicy (calico.md §1; Calico's api/.../v3/globalnetworkpolicy.go): a NetworkPolicy
// for the whole cluster (workloads in any namespace and host endpoints), with the host-endpoint
// modes doNotTrack, preDNAT and applyOnForward. Checks follow validateGlobalNetworkPolicySpec.

import { z } from 'zod';
import { onObject, selector } from '../fields.js';
import { defineKind } from '../kind.js';
import { checkPolicy, finishPolicy, GNP_NAME, policyFields, policyNameProblem, type NetworkPolicySpec } from './network-policy.js';

export interface GlobalNetworkPolicySpec extends NetworkPolicySpec {
  /** Restricts the policy to endpoints in the namespaces it selects. */
  namespaceSelector?: string;
  /** Rules run before connection tracking, and allowed packets are not tracked. */
  doNotTrack: boolean;
  /** Rules run before DNAT (ingress only). */
  preDNAT: boolean;
  /** Rules also apply to traffic forwarded through a host endpoint. */
  applyOnForward: boolean;
}

type Raw = Record<string, unknown>;

function checkModes(s: Raw, ctx: z.RefinementCtx): void {
  const issue = (path: string, message: string): void => { ctx.addIssue({ code: 'custom', path: [path], input: s[path], message }); };
  const preDNAT = s['preDNAT'] === true;
  const doNotTrack = s['doNotTrack'] === true;
  if (preDNAT && doNotTrack) issue('preDNAT', 'cannot be combined with doNotTrack: a policy runs either before DNAT or untracked');
  if (preDNAT && Array.isArray(s['egress']) && s['egress'].length > 0) issue('egress', 'must be empty in a preDNAT policy: pre-DNAT policy applies to ingress only');
  if (preDNAT && Array.isArray(s['types']) && s['types'].includes('Egress')) issue('types', 'cannot include Egress in a preDNAT policy: pre-DNAT policy applies to ingress only');
  if ((preDNAT || doNotTrack) && s['applyOnForward'] !== true) {
    issue('applyOnForward', `must be true when ${preDNAT ? 'preDNAT' : 'doNotTrack'} is true`);
  }
}

export const globalNetworkPolicySpec = z.strictObject({
  ...policyFields,
  namespaceSelector: selector().optional(),
  doNotTrack: z.boolean().default(false),
  preDNAT: z.boolean().default(false),
  applyOnForward: z.boolean().default(false),
}).superRefine(onObject((s, ctx) => {
  checkPolicy(s, ctx, { global: true });
  checkModes(s, ctx);
}), { when: () => true }).transform((s): GlobalNetworkPolicySpec => {
  const out: GlobalNetworkPolicySpec = { ...finishPolicy(s), doNotTrack: s.doNotTrack, preDNAT: s.preDNAT, applyOnForward: s.applyOnForward };
  if (s.namespaceSelector !== undefined && s.namespaceSelector !== '') out.namespaceSelector = s.namespaceSelector;
  return out;
});

export const GlobalNetworkPolicy = defineKind({
  kind: 'GlobalNetworkPolicy', plural: 'globalnetworkpolicies', namespaced: false,
  // calicoctl's names (calicoctl/resourcemgr/globalnetworkpolicy.go).
  shortNames: ['gnp', 'gnps'],
  spec: globalNetworkPolicySpec, nameCheck: policyNameProblem(GNP_NAME),
});
