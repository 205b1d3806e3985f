// The agent's settings from FelixConfiguration resources, merged as Felix merges them: the
// node's own `node.<nodeName>` resource overrides the cluster-wide `default`, field by field
// (calico.md §6). Pure: reads the cluster state only.

import type { ClusterState } from './cluster-state.js';

/** The value of `field` for `nodeName`, or undefined when neither resource sets it. */
export function felixSetting(state: ClusterState, nodeName: string, field: string): unknown {
  for (const name of [`node.${nodeName}`, 'default']) {
    const v = state.get('FelixConfiguration', name)?.spec[field];
    if (v !== undefined) return v;
  }
  return undefined;
}

/**
 * What a policy denial does: `nftablesFilterDenyAction`, else `iptablesFilterDenyAction` (so a
 * configuration written for Calico's iptables mode carries over), else Drop. Validation accepts
 * any case ("reject"), as Calico does.
 */
export function denyAction(state: ClusterState, nodeName: string): 'drop' | 'reject' {
  const v = felixSetting(state, nodeName, 'nftablesFilterDenyAction') ?? felixSetting(state, nodeName, 'iptablesFilterDenyAction');
  return typeof v === 'string' && v.toLowerCase() === 'reject' ? 'reject' : 'drop';
}
