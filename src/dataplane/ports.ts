// The dataplane's narrow ports onto the kernel — each has a real adapter in src/dataplane/linux
// and a fake beside its manager for unit tests — and its contract with the calculation
// (DataplaneTarget in, ApplyReport out).

import type { Ruleset } from '../policy/ports.js';

/** nftables: whole-text transactions and table listings. */
export interface Nft {
  /** Applies nft script text as one transaction (`nft -f -`): all of it or none of it. */
  apply(text: string): Promise<void>;
  /** `nft -j list table <family> <name>`, parsed; null when the table does not exist. */
  listTable(family: string, name: string): Promise<unknown | null>;
}

/**
 * A route the agent owns: it carries the agent's route protocol number (Calico's Felix uses 80),
 * which is how the agent recognises its own routes after a restart. Identity: `dst` (main table).
 */
export interface Route {
  /** A CIDR: `10.65.0.3/32`, `10.65.1.0/26`. */
  readonly dst: string;
  /** `unreachable`/`prohibit` (added with the adapter) let a dump say what the kernel holds, so such a route is replaced, never mistaken for ours. */
  readonly type: 'unicast' | 'blackhole' | 'unreachable' | 'prohibit';
  readonly dev?: string;
  readonly via?: string;
  /** `onlink`: the gateway is reachable on `dev` without a connected route (tunnels). */
  readonly onlink?: boolean;
  readonly scope?: 'link' | 'global';
  readonly src?: string;
}

/** A permanent neighbour (ARP) entry: a VXLAN peer's tunnel address → its VTEP MAC. */
export interface Neighbour {
  readonly dev: string;
  readonly ip: string;
  readonly mac: string;
}

/** A permanent FDB entry on a VXLAN device: a VTEP MAC → the remote host's underlay address. */
export interface FdbEntry {
  readonly dev: string;
  readonly mac: string;
  readonly dst: string;
}

/** The VXLAN device as Felix makes `vxlan.calico` (calico.md §6): ours is `vxlan.tortie`. */
export interface VxlanDevice {
  readonly name: string;
  readonly vni: number;
  readonly port: number;
  /** The node's underlay address (no mask). */
  readonly local: string;
  /** The underlay interface the tunnel rides on. */
  readonly parent: string;
  readonly mtu: number;
  readonly mac: string;
  /** The tunnel address as a /32 CIDR. */
  readonly address: string;
}

export interface LinkInfo {
  readonly name: string;
  readonly index: number;
  /** `veth`, `vxlan`, `bridge`…; undefined for plain devices. */
  readonly kind?: string;
  readonly mtu: number;
  readonly mac: string;
  readonly up: boolean;
  /** IPv4/IPv6 addresses with prefix length, e.g. `10.0.0.5/24`. */
  readonly addresses: readonly string[];
  readonly vxlan?: { readonly vni: number; readonly port: number; readonly local?: string; readonly parent?: string };
  /** The id (in this namespace) of the namespace the link's peer is in: a veth to a pod. */
  readonly linkNetnsId?: number;
}

/**
 * One item of a write that the kernel refused: the iproute2 command line and its error text.
 * (Added with the adapter: the fake and the real adapter must fail the same way.)
 */
export interface NetlinkFailure {
  readonly command: string;
  readonly error: string;
}

/**
 * The kernel's routing, links, neighbours and FDB, as the agent needs them (iproute2 underneath).
 *
 * How writes fail: every item that can be applied is applied; then the call rejects with a
 * TortieError `TORTIE_ERR_DATAPLANE_IPROUTE` whose `details.failures` is a `NetlinkFailure[]`.
 * Removing something that is already gone is not a failure (deletes are idempotent). A malformed
 * value rejects with `TORTIE_ERR_DATAPLANE_INVALID` before anything is written.
 */
export interface Netlink {
  /** The main table's routes with this protocol number. */
  routes(protocol: number): Promise<Route[]>;
  /** One batch: deletes first, then adds (as `replace`, so an add over a stale route fixes it). */
  applyRoutes(protocol: number, del: readonly Route[], add: readonly Route[]): Promise<void>;
  links(): Promise<LinkInfo[]>;
  /** Creates the VXLAN device or brings an existing one to `spec` (recreating it when vni/port/parent differ). */
  ensureVxlan(spec: VxlanDevice): Promise<void>;
  deleteLink(name: string): Promise<void>;
  neighbours(dev: string): Promise<Neighbour[]>;
  applyNeighbours(dev: string, del: readonly Neighbour[], add: readonly Neighbour[]): Promise<void>;
  fdb(dev: string): Promise<FdbEntry[]>;
  applyFdb(dev: string, del: readonly FdbEntry[], add: readonly FdbEntry[]): Promise<void>;
  /** Whether the kernel can create links of this kind (this machine has vxlan but no ipip). */
  supportsLinkKind(kind: 'ipip' | 'vxlan'): Promise<boolean>;
  /** `ip route get <dst>`: the interface and source address the kernel would use. */
  routeGet(dst: string): Promise<{ dev: string; src?: string } | null>;
}

/** /proc/sys, by dotted or slashed path (`net.ipv4.ip_forward`, `net/ipv4/conf/cali1/proxy_arp`). */
export interface Sysctl {
  read(path: string): Promise<string | null>;
  write(path: string, value: string): Promise<void>;
}

/** The VXLAN device Tortie manages (Calico's `vxlan.calico`). */
export const VXLAN_DEVICE = 'vxlan.tortie';

/**
 * What the kernel of a node should hold — the one contract between the calculation (which
 * computes it, src/calc) and the dataplane (which makes it true, DataplaneDriver). Everything is
 * the whole desired state, never a delta: applying it twice changes nothing the second time.
 */
export interface DataplaneTarget {
  /** Sorted by dst. */
  readonly routes: readonly Route[];
  readonly vxlan: { readonly device: VxlanDevice | null; readonly neighbours: readonly Neighbour[]; readonly fdb: readonly FdbEntry[] };
  /** Host-side interfaces of local workloads (sysctls; policy dispatch). */
  readonly workloadInterfaces: readonly string[];
  readonly policy: Ruleset;
  readonly nat: { readonly masquerade: readonly string[]; readonly pools: readonly string[] };
  /** The MTU pods should use (host MTU minus the encapsulation in use). */
  readonly podMtu: number;
}

export interface ApplyReport {
  /** Per stage, what was written: `routes: +3 -1`, `policy: elements`. */
  readonly changes: readonly string[];
}

/** The kernel side as the agent drives it, applied in dependency order (policy before routes on add; routes before VTEPs on removal). */
export interface Dataplane {
  apply(target: DataplaneTarget): Promise<ApplyReport>;
  /** Re-reads the kernel so that the next apply repairs whatever drifted. */
  resync(): Promise<void>;
}
