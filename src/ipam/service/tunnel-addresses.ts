// Tunnel addresses (calico.md §4, "Tunnel address allocator"): while a node needs IPIP or VXLAN,
// it holds one address from a pool using that encapsulation, under the handle
// `<kind>-tunnel-addr-<node>`, recorded in its Node resource (bgp.ipv4IPIPTunnelAddr or
// ipv4VXLANTunnelAddr). The agent calls these when the encapsulation turns on or off.

import { TortieError } from '../../lib/errors.js';
import { isRace, contention, MAX_RETRIES, type IpamService } from './ipam-service.js';

export type TunnelKind = 'ipip' | 'vxlan';

/** Calico's tunnel handles. */
export const tunnelHandle = (node: string, kind: TunnelKind): string => `${kind}-tunnel-addr-${node}`;
const TUNNEL_TYPES: Record<TunnelKind, string> = { ipip: 'ipipTunnelAddress', vxlan: 'vxlanTunnelAddress' };
const TUNNEL_FIELDS: Record<TunnelKind, readonly string[]> = { ipip: ['bgp', 'ipv4IPIPTunnelAddr'], vxlan: ['ipv4VXLANTunnelAddr'] };

/** Gives `node` its tunnel address of `kind` (the one it has, if any) and records it; idempotent. */
export async function assignTunnelAddress(ipam: IpamService, node: string, kind: TunnelKind): Promise<string> {
  const handle = tunnelHandle(node, kind);
  let ip = (await ipam.ipsOfHandle(handle))[0];
  if (ip === undefined) {
    const n = await ipam.node(node);
    const encap = (await ipam.poolsFor(n, 'Tunnel')).filter((p) => (kind === 'vxlan' ? p.spec.vxlanMode : p.spec.ipipMode) !== 'Never');
    if (encap.length === 0) {
      throw new TortieError('TORTIE_ERR_IPAM_NO_POOL', `No pool that node ${node} may use has ${kind === 'vxlan' ? 'vxlanMode' : 'ipipMode'} set, so it needs no ${kind.toUpperCase()} tunnel address`, { node });
    }
    [ip] = await ipam.autoAssign({ node, handle, count: 1, use: 'Tunnel', pools: encap.map((p) => p.name), attributes: { node, type: TUNNEL_TYPES[kind] } });
  }
  await setNodeField(ipam, node, TUNNEL_FIELDS[kind], ip!);
  return ip!;
}

/** Releases `node`'s tunnel address of `kind` and clears it from the Node resource. */
export async function releaseTunnelAddress(ipam: IpamService, node: string, kind: TunnelKind): Promise<string[]> {
  const released = await ipam.releaseByHandle(tunnelHandle(node, kind));
  await setNodeField(ipam, node, TUNNEL_FIELDS[kind], undefined);
  return released;
}

async function setNodeField(ipam: IpamService, node: string, path: readonly string[], value: string | undefined): Promise<void> {
  for (let attempt = 0; attempt < MAX_RETRIES; attempt++) {
    const n = await ipam.node(node);
    const spec = structuredClone(n.spec) as Record<string, unknown>;
    let parent = spec;
    for (const k of path.slice(0, -1)) {
      if (typeof parent[k] !== 'object' || parent[k] === null) { if (value === undefined) return; parent[k] = {}; }
      parent = parent[k] as Record<string, unknown>;
    }
    const leaf = path[path.length - 1]!;
    if (parent[leaf] === value) return;
    if (value === undefined) delete parent[leaf]; else parent[leaf] = value;
    try { await ipam.resources.replace([{ ...n, spec }]); return; } catch (e) { if (!isRace(e)) throw e; }
  }
  throw contention(`updating node ${node}`);
}
