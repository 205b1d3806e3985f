// GlobalNetworkSet (calico.md §1; Calico's api/.../v3/globalnetworkset.go): labelled addresses
// outside the cluster, for all namespaces; a rule's `namespaceSelector: global()` selects these.
// (allowedEgressDomains exists only in Calico Enterprise, not in the open-source API.)

import { z } from 'zod';
import { defineKind } from '../kind.js';
import { setNets, type NetworkSetSpec } from './network-set.js';

export type GlobalNetworkSetSpec = NetworkSetSpec;

export const globalNetworkSetSpec = z.strictObject({
  nets: setNets({ unique: false }),
}).transform((s): GlobalNetworkSetSpec => s);

export const GlobalNetworkSet = defineKind({
  kind: 'GlobalNetworkSet', plural: 'globalnetworksets', namespaced: false,
  // calicoctl's names (calicoctl/resourcemgr/globalnetworkset.go).
  shortNames: ['gnetsets'],
  spec: globalNetworkSetSpec,
});
