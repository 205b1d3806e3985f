// Everything the policy engine reads, listed from the datastore in one go.

import { kindByKind } from '../model/index.js';
import type { PolicyResources } from '../policy/index.js';
import type { ResourceClient } from './resource-client.js';

const KINDS: ReadonlyArray<readonly [keyof PolicyResources, string]> = [
  ['workloadEndpoints', 'WorkloadEndpoint'], ['hostEndpoints', 'HostEndpoint'], ['profiles', 'Profile'], ['tiers', 'Tier'],
  ['networkPolicies', 'NetworkPolicy'], ['globalNetworkPolicies', 'GlobalNetworkPolicy'], ['networkSets', 'NetworkSet'], ['globalNetworkSets', 'GlobalNetworkSet'],
];

export async function loadPolicyResources(client: ResourceClient): Promise<PolicyResources> {
  const lists = await Promise.all(KINDS.map(([, kind]) => client.list(kindByKind(kind)!)));
  return Object.fromEntries(KINDS.map(([field], i) => [field, lists[i]!])) as PolicyResources;
}
