// confd for Tortie: the cluster state and this node's name in, the BGP speaker's settings out —
// who to peer with and what to advertise — exactly as Calico's BIRD templates decide it
// (reference/calico.md §7). Pure: the agent hands the result to the speaker.
//
//   BGPConfiguration default / node.<me> ─▶ AS, listen port, bind mode, mesh on/off, mesh password + restart time
//   Node resources ──▶ mesh peers (lower address passive; route reflectors left out)
//   BGPPeer resources ─▶ Global_/Node_ peers (peerIP, or peerSelector → Calico nodes)
//   IPAM blocks + pools ─▶ exports: our affine blocks, /32s we borrowed; pools that may be re-advertised

import { cidrContainsIP, formatCIDR, parseCIDR, type CIDR } from '../lib/ip.js';
import { durationMs, parsePeerIP, type ClusterRouteMode, type Resource } from '../model/index.js';
import { matches, parseSelector } from '../selector/index.js';
import type { ClusterState } from './cluster-state.js';

export const DEFAULT_AS = 64512;
export const DEFAULT_BGP_PORT = 179;
/** BIRD's default graceful-restart time, which Calico keeps unless maxRestartTime says otherwise. */
export const DEFAULT_RESTART_TIME = 120;

export type BgpPeerType = 'node-to-node mesh' | 'global' | 'node specific';

/** A Kubernetes secret reference the agent resolves to the password (BGPPeer `password.secretKeyRef`). */
export interface SecretRef { readonly name: string; readonly key: string }

/** One peer as confd would render it (structurally the speaker's PeerSpec, password still a reference). */
export interface BgpPeerPlan {
  readonly name: string;
  readonly type: BgpPeerType;
  readonly address: string;
  readonly port?: number;
  readonly asNumber: number;
  readonly localAsNumber?: number;
  readonly passive?: boolean;
  readonly rrClient?: boolean;
  readonly keepaliveTime?: number;
  readonly restartTime?: number;
  readonly passwordRef?: SecretRef;
  readonly sourceAddress?: string;
  readonly allowAsIn?: number;
  readonly ttlSecurity?: number;
  readonly nextHopMode?: 'auto' | 'self' | 'keep';
  /** BGPPeer `maxPrefixes` (Tortie): paths accepted per family; `maxPrefixesAction`, `maxPrefixesRestartTime` (s). */
  readonly maxPrefixes?: number;
  readonly maxPrefixesAction?: 'restart' | 'disable';
  readonly maxPrefixesRestartTime?: number;
}

export interface BgpPlan {
  readonly config: {
    readonly routerId: string;
    readonly asNumber: number;
    readonly listenPort: number;
    readonly listenAddress?: string;
    readonly clusterId?: string;
    readonly restartTime: number;
  };
  /** Sorted by name. */
  readonly peers: readonly BgpPeerPlan[];
  /** This node's blocks and borrowed /32s (sorted). */
  readonly exports: readonly string[];
  /** Enabled pools without disableBGPExport: learned routes inside them may be passed on. */
  readonly exportPools: readonly string[];
  /** Which pools' cluster routes BGP programs (BGPConfiguration programClusterRoutes). */
  readonly programClusterRoutes: ClusterRouteMode;
  readonly problems: readonly string[];
}

interface NodeView {
  readonly name: string;
  readonly ip: string | null;
  readonly as: number;
  readonly clusterId: string | undefined;
  readonly labels: Readonly<Record<string, string>>;
}

const seconds = (d: unknown): number | undefined => (typeof d === 'string' ? durationMs(d) / 1000 : undefined);
/** confd's protocol names: dots and colons become underscores, `_port_N` when a port is set. */
const protoName = (prefix: string, ip: string, port: number | undefined): string =>
  `${prefix}_${ip.replace(/[.:]/g, '_')}${port !== undefined && port !== DEFAULT_BGP_PORT ? `_port_${port}` : ''}`;

function secretOf(p: unknown): SecretRef | undefined {
  const ref = (p as { secretKeyRef?: { name?: string; key?: string } } | undefined)?.secretKeyRef;
  return ref?.key ? { name: ref.name ?? '', key: ref.key } : undefined;
}

export function bgpPlan(state: ClusterState, nodeName: string): BgpPlan | null {
  const problems: string[] = [];
  const cfgOf = (name: string): Record<string, unknown> => state.get('BGPConfiguration', name)?.spec ?? {};
  const global = cfgOf('default');
  const mine = cfgOf(`node.${nodeName}`);
  const globalAs = typeof global['asNumber'] === 'number' ? global['asNumber'] : DEFAULT_AS;
  const portOf = (node: string): number => {
    const v = cfgOf(`node.${node}`)['listenPort'] ?? global['listenPort'];
    return typeof v === 'number' ? v : DEFAULT_BGP_PORT;
  };
  const nodes = new Map<string, NodeView>(state.list('Node').map((r) => [r.metadata.name, viewOf(r, globalAs)] as const));
  const me = nodes.get(nodeName);
  if (!me?.ip) return null;
  const myIp = me.ip;

  const peers = new Map<string, BgpPeerPlan>();
  const addPeer = (p: BgpPeerPlan): void => {
    if (p.address === myIp) return;
    const key = `${p.address}`;
    const old = peers.get(key);
    // An explicit BGPPeer wins over the mesh; a node-specific one over a global one.
    const rank = (t: BgpPeerType): number => (t === 'node specific' ? 2 : t === 'global' ? 1 : 0);
    if (!old || rank(p.type) > rank(old.type)) peers.set(key, p);
  };
  // Calico makes every session between two Calico nodes unidirectional: the node whose address
  // string is lower waits (`passive on`), the other connects.
  const passiveTowards = (ip: string): boolean => ip > myIp;
  const rrClientOf = (peerAs: number, localAs: number, peerCluster: string | undefined): boolean =>
    me.clusterId !== undefined && peerAs === localAs && peerCluster !== me.clusterId;

  // ── node-to-node mesh ──
  const meshOn = global['nodeToNodeMeshEnabled'] !== false;
  if (meshOn && me.clusterId === undefined) {
    const password = secretOf(global['nodeMeshPassword']);
    const restart = seconds(global['nodeMeshMaxRestartTime']);
    for (const n of [...nodes.values()].sort((a, b) => a.name.localeCompare(b.name))) {
      if (n.name === nodeName || !n.ip || n.clusterId !== undefined) continue;
      const port = portOf(n.name);
      addPeer({
        name: protoName('Mesh', n.ip, port), type: 'node-to-node mesh', address: n.ip, ...(port !== DEFAULT_BGP_PORT ? { port } : {}),
        asNumber: n.as, passive: passiveTowards(n.ip), sourceAddress: myIp,
        ...(password ? { passwordRef: password } : {}), ...(restart !== undefined ? { restartTime: restart } : {}),
      });
    }
  }

  // ── BGPPeer resources ──
  for (const bp of state.list('BGPPeer').sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))) {
    const s = bp.spec;
    const nodeField = typeof s['node'] === 'string' && s['node'] !== '' ? s['node'] : undefined;
    const nodeSel = typeof s['nodeSelector'] === 'string' && s['nodeSelector'] !== '' ? s['nodeSelector'] : undefined;
    const peerSel = typeof s['peerSelector'] === 'string' && s['peerSelector'] !== '' ? s['peerSelector'] : undefined;
    /** The BGPPeer's local side: `node`, `nodeSelector`, or (neither) every node. */
    const appliesTo = (n: NodeView): boolean =>
      nodeField !== undefined ? nodeField === n.name : nodeSel !== undefined ? selects(nodeSel, n.labels, problems, bp.metadata.name) : true;
    const forward = appliesTo(me);
    // Calico's reverse peering (reversePeering Auto): a node chosen by peerSelector peers back with
    // every node the BGPPeer applies to, so both ends of the session are configured.
    const reverse = peerSel !== undefined && s['reversePeering'] !== 'Manual' && selects(peerSel, me.labels, problems, bp.metadata.name);
    if (!forward && !reverse) continue;
    if (typeof s['localWorkloadSelector'] === 'string' && s['localWorkloadSelector'] !== '') {
      problems.push(`BGPPeer ${bp.metadata.name}: localWorkloadSelector peerings are not supported yet; skipped`);
      continue;
    }
    const type: BgpPeerType = nodeField !== undefined ? 'node specific' : 'global';
    const prefix = type === 'node specific' ? 'Node' : 'Global';
    const localAs = typeof s['localASNumber'] === 'number' ? s['localASNumber'] : me.as;
    const keepOriginal = s['keepOriginalNextHop'] === true;
    const hopMode = s['nextHopMode'];
    const common = (peerAs: number): Partial<BgpPeerPlan> => {
      const out: Record<string, unknown> = {};
      const ka = seconds(s['keepaliveTime']);
      if (ka !== undefined) out['keepaliveTime'] = ka;
      const rt = seconds(s['maxRestartTime']);
      if (rt !== undefined) out['restartTime'] = rt;
      const pw = secretOf(s['password']);
      if (pw) out['passwordRef'] = pw;
      if (s['sourceAddress'] !== 'None') out['sourceAddress'] = myIp;
      if (typeof s['numAllowedLocalASNumbers'] === 'number' && s['numAllowedLocalASNumbers'] > 0) out['allowAsIn'] = s['numAllowedLocalASNumbers'];
      if (typeof s['ttlSecurity'] === 'number' && s['ttlSecurity'] > 0) out['ttlSecurity'] = s['ttlSecurity'];
      if (localAs !== me.as) out['localAsNumber'] = localAs;
      if (typeof s['maxPrefixes'] === 'number') {
        out['maxPrefixes'] = s['maxPrefixes'];
        if (s['maxPrefixesAction'] === 'Disable') out['maxPrefixesAction'] = 'disable';
        const hold = seconds(s['maxPrefixesRestartTime']);
        if (hold !== undefined) out['maxPrefixesRestartTime'] = hold;
      }
      // Calico: nextHopMode Self/Keep; the legacy keepOriginalNextHop applies to eBGP only.
      if (hopMode === 'Self') out['nextHopMode'] = 'self';
      else if (hopMode === 'Keep' || (keepOriginal && peerAs !== localAs)) out['nextHopMode'] = 'keep';
      return out as Partial<BgpPeerPlan>;
    };
    const nodePeer = (n: NodeView): void => {
      const port = portOf(n.name);
      addPeer({
        name: protoName(prefix, n.ip!, port), type, address: n.ip!, ...(port !== DEFAULT_BGP_PORT ? { port } : {}),
        asNumber: n.as, passive: passiveTowards(n.ip!),
        ...(rrClientOf(n.as, localAs, n.clusterId) ? { rrClient: true } : {}),
        ...common(n.as),
      });
    };
    if (!forward) {
      for (const n of [...nodes.values()].sort((a, b) => a.name.localeCompare(b.name))) if (n.name !== nodeName && n.ip && appliesTo(n)) nodePeer(n);
    } else if (typeof s['peerIP'] === 'string' && s['peerIP'] !== '') {
      const p = parsePeerIP(s['peerIP']);
      if (!p || p.ip.version !== 4) { problems.push(`BGPPeer ${bp.metadata.name}: peerIP ${s['peerIP']} is not an IPv4 peer; IPv6 peers are not supported yet`); continue; }
      const address = formatCIDR({ version: 4, address: p.ip.value, prefix: 32 }).split('/')[0]!;
      const peerAs = typeof s['asNumber'] === 'number' ? s['asNumber'] : me.as;
      // A peerIP that is a Calico node's address peers with that node (its cluster ID counts).
      const peerNode = [...nodes.values()].find((n) => n.ip === address);
      addPeer({
        name: protoName(prefix, address, p.port), type, address, ...(p.port !== undefined && p.port !== DEFAULT_BGP_PORT ? { port: p.port } : {}),
        asNumber: peerAs, ...(peerNode ? { passive: passiveTowards(address) } : {}),
        ...(rrClientOf(peerAs, localAs, peerNode?.clusterId) ? { rrClient: true } : {}),
        ...common(peerAs),
      });
    } else if (peerSel !== undefined) {
      for (const n of [...nodes.values()].sort((a, b) => a.name.localeCompare(b.name))) {
        if (n.name !== nodeName && n.ip && selects(peerSel, n.labels, problems, bp.metadata.name)) nodePeer(n);
      }
      if (reverse) for (const n of [...nodes.values()].sort((a, b) => a.name.localeCompare(b.name))) if (n.name !== nodeName && n.ip && appliesTo(n)) nodePeer(n);
    }
  }

  const listenPort = portOf(nodeName);
  const bindMode = mine['bindMode'] ?? global['bindMode'];
  const mode = (mine['programClusterRoutes'] ?? global['programClusterRoutes'] ?? 'EnabledNoEncapOnly') as ClusterRouteMode;
  const { exports, exportPools } = exportsOf(state, nodeName);
  return {
    config: {
      routerId: myIp, asNumber: me.as, listenPort,
      ...(bindMode === 'NodeIP' ? { listenAddress: myIp } : {}),
      ...(me.clusterId !== undefined ? { clusterId: me.clusterId } : {}),
      restartTime: seconds(global['nodeMeshMaxRestartTime']) ?? DEFAULT_RESTART_TIME,
    },
    peers: [...peers.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    exports, exportPools, programClusterRoutes: mode, problems: [...new Set(problems)],
  };
}

function viewOf(r: Resource, globalAs: number): NodeView {
  const bgp = (r.spec['bgp'] ?? {}) as Record<string, unknown>;
  const c = typeof bgp['ipv4Address'] === 'string' ? parseCIDR(bgp['ipv4Address']) : null;
  return {
    name: r.metadata.name,
    ip: c ? formatCIDR({ ...c, prefix: 32 }).split('/')[0]! : null,
    as: typeof bgp['asNumber'] === 'number' ? bgp['asNumber'] : globalAs,
    clusterId: typeof bgp['routeReflectorClusterID'] === 'string' && bgp['routeReflectorClusterID'] !== '' ? bgp['routeReflectorClusterID'] : undefined,
    labels: (r.metadata.labels ?? {}) as Record<string, string>,
  };
}

function selects(text: string, labels: Readonly<Record<string, string>>, problems: string[], who: string): boolean {
  try { return matches(parseSelector(text), labels); } catch (e) {
    problems.push(`BGPPeer ${who}: selector ${JSON.stringify(text)} cannot be evaluated: ${(e as Error).message}`);
    return false;
  }
}

/**
 * Calico's export filter (calico_export_to_bgp_peers + calico_aggr): our confirmed affine blocks
 * and the /32s of addresses we hold in other nodes' blocks — never of a disabled pool or one with
 * disableBGPExport. A released block drops out of the list, so the speaker withdraws it.
 */
export function exportsOf(state: ClusterState, nodeName: string): { exports: string[]; exportPools: string[] } {
  const pools = state.list('IPPool').flatMap((r) => {
    const c = parseCIDR(String(r.spec['cidr']));
    return c ? [{ cidr: c, off: r.spec['disabled'] === true, noExport: r.spec['disableBGPExport'] === true }] : [];
  }).sort((a, b) => b.cidr.prefix - a.cidr.prefix);
  const poolOf = (c: CIDR) => pools.find((p) => p.cidr.version === c.version && p.cidr.prefix <= c.prefix && cidrContainsIP(p.cidr, { version: c.version, value: c.address }));
  const exportable = (c: CIDR): boolean => { const p = poolOf(c); return !p || (!p.off && !p.noExport); };
  const out = new Set<string>();
  for (const [cidrText, block] of state.blocks) {
    const c = parseCIDR(cidrText);
    if (!c || c.version !== 4) continue;
    const owner = state.ownerOf(cidrText);
    if (owner === nodeName && c.prefix < 32 && exportable(c)) out.add(formatCIDR(c));
    if (owner === nodeName) continue;
    block.allocations.forEach((a, ord) => {
      if (a === null) return;
      const attr = block.attributes[a]?.secondary;
      if (attr?.['node'] !== nodeName || attr['type']?.endsWith('TunnelAddress')) return;
      const host: CIDR = { version: 4, address: c.address + BigInt(ord), prefix: 32 };
      if (exportable(host)) out.add(formatCIDR(host));
    });
  }
  return {
    exports: [...out].sort(),
    exportPools: pools.filter((p) => !p.off && !p.noExport).map((p) => formatCIDR(p.cidr)).sort(),
  };
}
