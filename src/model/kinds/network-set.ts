// NetworkSet (calico.md §1; Calico's api/.../v3/networkset.go): labelled addresses outside the
// cluster, in a namespace, that rule selectors can match like endpoints. Felix also gives a set the
// labels of its namespace's `kns.` profile (updateprocessors/networksetprocessor.go).

import { z } from 'zod';
import { canonicalNet, ipOrCidr } from '../fields.js';
import { show } from '../issues.js';
import { defineKind } from '../kind.js';

export interface NetworkSetSpec {
  /** CIDRs, canonical and masked; a bare address is stored as its /32 or /128. */
  nets: string[];
}

/**
 * A set's nets. Calico's `cidr` rule (ParseCIDROrIP) takes bare addresses and host bits; Felix then
 * uses the network, so the network is what is stored. `unique`: NetworkSet's CRD has uniqueItems.
 */
export const setNets = (opts: { unique: boolean }) => z.array(ipOrCidr().transform((s) => canonicalNet(s)!))
  .superRefine((nets, ctx) => {
    if (!opts.unique || !Array.isArray(nets)) return;
    nets.forEach((n, i) => {
      const first = nets.indexOf(n);
      if (first < i) ctx.addIssue({ code: 'custom', path: [i], input: n, message: `${show(n)} is listed twice (also at nets[${first}])` });
    });
  })
  .default([]);

export const networkSetSpec = z.strictObject({
  nets: setNets({ unique: true }),
}).transform((s): NetworkSetSpec => s);

export const NetworkSet = defineKind({
  kind: 'NetworkSet', plural: 'networksets', namespaced: true,
  // calicoctl's names (calicoctl/resourcemgr/networkset.go).
  shortNames: ['netsets'],
  spec: networkSetSpec,
});
