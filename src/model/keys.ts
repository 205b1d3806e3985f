// Calico's etcd v3 key layout (calico.md §3), used by every backend so that an etcd written by
// Tortie looks like one written by Calico:
//   /calico/resources/v3/projectcalico.org/<plural>/<name>
//   /calico/resources/v3/projectcalico.org/<plural>/<namespace>/<name>

import type { KindDef } from './kind.js';

export const RESOURCE_ROOT = '/calico/resources/v3/projectcalico.org/';

export function resourceKey(kind: KindDef, name: string, namespace?: string): string {
  return kind.namespaced
    ? `${RESOURCE_ROOT}${kind.plural}/${namespace ?? 'default'}/${name}`
    : `${RESOURCE_ROOT}${kind.plural}/${name}`;
}

/** The prefix listing a kind, in one namespace or (no namespace) all of them. */
export function kindPrefix(kind: KindDef, namespace?: string): string {
  return kind.namespaced && namespace !== undefined
    ? `${RESOURCE_ROOT}${kind.plural}/${namespace}/`
    : `${RESOURCE_ROOT}${kind.plural}/`;
}

/** The kind plural, namespace and name a resource key holds, or null for other keys. */
export function parseResourceKey(key: string): { plural: string; namespace?: string; name: string } | null {
  if (!key.startsWith(RESOURCE_ROOT)) return null;
  const parts = key.slice(RESOURCE_ROOT.length).split('/');
  if (parts.length === 2) return { plural: parts[0]!, name: parts[1]! };
  if (parts.length === 3) return { plural: parts[0]!, namespace: parts[1]!, name: parts[2]! };
  return null;
}

/**
 * Where a node's agent reports its status: Felix's status key, outside the resource tree so that
 * writing it wakes no watcher of resources.
 */
export const agentStatusKey = (node: string): string => `/calico/felix/v2/no-region/host/${node}/status`;

/** Where an agent reports one local workload endpoint as programmed (Felix's endpoint status). */
export const endpointStatusKey = (node: string, namespace: string, name: string): string =>
  `/calico/felix/v2/no-region/host/${node}/workload/${namespace}/${name}/status`;

/** Where an agent running the BGP speaker publishes its Loc-RIB for `tortie bgp routes`. */
export const bgpRoutesKey = (node: string): string => `/calico/felix/v2/no-region/host/${node}/bgp/routes`;
