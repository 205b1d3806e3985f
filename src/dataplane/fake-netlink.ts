// An in-memory kernel behind the Netlink port, for the managers' unit tests. It models what the
// managers rely on, the way Linux 6.x and iproute2 behave (test/dataplane/netlink-contract.ts runs
// the same checks against it and against the real adapter in a network namespace):
// - links with admin state and carrier; a veth's carrier needs its peer up; deleting a link
//   deletes its peer, and its routes, neighbours and FDB entries go with it; taking a link down
//   or changing its MAC flushes its neighbours (permanent ones too), not its FDB;
// - addresses add their connected route (protocol 2, "kernel") while the link is up; taking a
//   link down flushes its IPv4 routes, bringing it up restores only the connected ones;
// - the main table holds one route per destination (we never set metrics); `replace` takes over a
//   route of any protocol; a delete names our protocol, so a route someone else owns survives it;
// - route checks: the device must exist and be up, a gateway must be on a link-scope route of
//   that device unless `onlink`; failures carry the kernel's messages;
// - deletes of missing entries are no-ops, as in the real adapter.
// Every write is appended to `ops` ("route replace 10.65.0.0/26", "link del vxlan.tortie", …) so
// tests can assert on ordering and on the absence of writes.

import { TortieError } from '../lib/errors.js';
import { cidrContainsIP, formatCIDR, networkOf, parseCIDR, parseIP } from '../lib/ip.js';
import type { FdbEntry, LinkInfo, Neighbour, Netlink, NetlinkFailure, Route, VxlanDevice } from './ports.js';
import { canonicalFdb, canonicalIfaceAddress, canonicalMac, canonicalNeighbour, canonicalVxlan, checkDevName, canonicalIP } from './kernel-values.js';
import { canonicalRoute } from './routes/route-canonical.js';

export const PROTO_KERNEL = 2;

export interface FakeLinkSpec {
  readonly name: string;
  readonly kind?: string;
  readonly mtu?: number;
  readonly mac?: string;
  readonly up?: boolean;
  readonly addresses?: readonly string[];
}

interface LinkState {
  name: string;
  index: number;
  kind?: string;
  mtu: number;
  mac: string;
  adminUp: boolean;
  addresses: string[];
  peer?: string;
  vxlan?: { vni: number; port: number; local?: string; parent?: string; learning: boolean };
}

interface RouteState { route: Route; protocol: number }

export interface FakeNetlinkOptions {
  /** Link kinds the fake kernel can create (this machine's kernel: vxlan yes, ipip no). */
  readonly kinds?: Readonly<Record<string, boolean>>;
}

const fail = (failures: NetlinkFailure[], what: string): TortieError =>
  new TortieError('TORTIE_ERR_DATAPLANE_IPROUTE',
    `The kernel refused ${failures.length} ${what} change(s); the rest were applied:\n${failures.map((f) => `  ${f.command}: ${f.error}`).join('\n')}`,
    { failures });

export class FakeNetlink implements Netlink {
  /** Every write, in order. */
  readonly ops: string[] = [];
  private readonly linkMap = new Map<string, LinkState>();
  private readonly routeMap = new Map<string, RouteState>();
  private readonly neighMap = new Map<string, Map<string, Neighbour>>();
  private readonly fdbMap = new Map<string, Map<string, FdbEntry>>();
  private nextIndex = 1;
  private nextMac = 1;
  private readonly kinds: Readonly<Record<string, boolean>>;
  private failNext: { method: string; error: Error } | null = null;

  constructor(opts: FakeNetlinkOptions = {}) {
    this.kinds = opts.kinds ?? { vxlan: true, veth: true, bridge: true, ipip: false, dummy: false };
    this.addLink({ name: 'lo', mtu: 65536, mac: '00:00:00:00:00:00', addresses: ['127.0.0.1/8'] });
  }

  // ---- test helpers (the "hand" of an operator or another program) --------------------------

  addLink(spec: FakeLinkSpec): void {
    const name = checkDevName(spec.name);
    if (this.linkMap.has(name)) throw new Error(`fake: link ${name} exists`);
    const l: LinkState = {
      name, index: this.nextIndex++, mtu: spec.mtu ?? 1500,
      mac: spec.mac ? canonicalMac(spec.mac) : this.freshMac(), adminUp: spec.up ?? true, addresses: [],
    };
    if (spec.kind !== undefined) l.kind = spec.kind;
    this.linkMap.set(name, l);
    for (const a of spec.addresses ?? []) this.addAddress(name, a);
  }

  /** A veth pair; either end may be left in "another namespace" by deleting it from the fake. */
  addVethPair(a: string, b: string, opts: { mtu?: number; up?: boolean } = {}): void {
    this.addLink({ name: a, kind: 'veth', mtu: opts.mtu ?? 1500, up: opts.up ?? true });
    this.addLink({ name: b, kind: 'veth', mtu: opts.mtu ?? 1500, up: opts.up ?? true });
    this.linkMap.get(a)!.peer = b;
    this.linkMap.get(b)!.peer = a;
  }

  addAddress(dev: string, cidr: string): void {
    const l = this.mustLink(dev);
    const a = canonicalIfaceAddress(cidr);
    if (!l.addresses.includes(a)) l.addresses.push(a);
    if (l.adminUp) this.addConnected(l, a);
  }

  setLinkUp(name: string, up: boolean): void {
    const l = this.mustLink(name);
    l.adminUp = up;
    if (!up) { this.flushIPv4Routes(name); this.neighMap.delete(name); return; }
    for (const a of l.addresses) this.addConnected(l, a);
  }

  setMtu(name: string, mtu: number): void { this.mustLink(name).mtu = mtu; }

  /** A route written by someone else (BIRD, a human): any protocol, no checks. */
  addForeignRoute(route: Route, protocol: number): void {
    const r = canonicalRoute(route);
    this.routeMap.set(r.dst, { route: r, protocol });
  }

  /** `ip route del <dst>` by hand, whoever owns it. */
  removeRouteByHand(dst: string): void {
    this.routeMap.delete(canonicalRoute({ dst, type: 'unicast' }).dst);
  }

  /** Every route of every protocol, for assertions. */
  allRoutes(): Array<Route & { protocol: number }> {
    return [...this.routeMap.values()].map((s) => ({ ...s.route, protocol: s.protocol })).sort((a, b) => (a.dst < b.dst ? -1 : 1));
  }

  removeNeighbourByHand(dev: string, ip: string): void { this.neighMap.get(dev)?.delete(canonicalIP(ip)); }
  removeFdbByHand(dev: string, mac: string): void { this.fdbMap.get(dev)?.delete(canonicalMac(mac)); }

  /** Names of the links that exist (the fake Sysctl's per-interface directories follow this). */
  linkNames(): string[] { return [...this.linkMap.keys()]; }

  /** The next call of `method` rejects with `error` without changing anything. */
  failOnce(method: keyof Netlink, error: Error = new Error(`fake ${method} failure`)): void {
    this.failNext = { method, error };
  }

  // ---- the port ---------------------------------------------------------------------------

  async routes(protocol: number): Promise<Route[]> {
    this.maybeFail('routes');
    return [...this.routeMap.values()].filter((s) => s.protocol === protocol).map((s) => s.route)
      .sort((a, b) => (a.dst < b.dst ? -1 : a.dst > b.dst ? 1 : 0));
  }

  async applyRoutes(protocol: number, del: readonly Route[], add: readonly Route[]): Promise<void> {
    const dels = del.map(canonicalRoute);
    const adds = add.map(canonicalRoute);
    this.maybeFail('applyRoutes');
    const failures: NetlinkFailure[] = [];
    for (const r of dels) {
      this.ops.push(`route del ${r.dst}`);
      const have = this.routeMap.get(r.dst);
      if (have && have.protocol === protocol) this.routeMap.delete(r.dst); // by destination and protocol, any type
    }
    for (const r of adds) {
      this.ops.push(`route replace ${r.dst}`);
      const err = this.checkRoute(r);
      if (err) { failures.push({ command: `route replace ${r.dst}`, error: err }); continue; }
      const dev = r.type === 'unicast' && r.dev === undefined && r.via !== undefined ? this.resolveDev(r.via) : r.dev;
      this.routeMap.set(r.dst, { route: dev === undefined ? r : { ...r, dev }, protocol });
    }
    if (failures.length > 0) throw fail(failures, 'route');
  }

  async links(): Promise<LinkInfo[]> {
    this.maybeFail('links');
    return [...this.linkMap.values()].sort((a, b) => a.index - b.index).map((l) => {
      const info: { -readonly [K in keyof LinkInfo]: LinkInfo[K] } = {
        name: l.name, index: l.index, mtu: l.mtu, mac: l.mac, up: this.isUp(l), addresses: [...l.addresses],
      };
      if (l.kind !== undefined) info.kind = l.kind;
      if (l.vxlan) {
        const v: { vni: number; port: number; local?: string; parent?: string } = { vni: l.vxlan.vni, port: l.vxlan.port };
        if (l.vxlan.local !== undefined) v.local = l.vxlan.local;
        if (l.vxlan.parent !== undefined) v.parent = l.vxlan.parent;
        info.vxlan = v;
      }
      return info;
    });
  }

  async ensureVxlan(spec: VxlanDevice): Promise<void> {
    const d = canonicalVxlan(spec);
    this.maybeFail('ensureVxlan');
    if (!this.linkMap.has(d.parent)) throw fail([{ command: `link add ${d.name} type vxlan … dev ${d.parent}`, error: `Cannot find device "${d.parent}"` }], 'link');
    let l = this.linkMap.get(d.name);
    if (l && (l.kind !== 'vxlan' || !l.vxlan || l.vxlan.vni !== d.vni || l.vxlan.port !== d.port || l.vxlan.parent !== d.parent)) {
      this.ops.push(`link del ${d.name}`);
      this.removeLink(d.name);
      l = undefined;
    }
    if (!l) {
      this.ops.push(`link add ${d.name} type vxlan`);
      this.addLink({ name: d.name, kind: 'vxlan', mtu: d.mtu, mac: d.mac, up: false });
      l = this.linkMap.get(d.name)!;
      l.vxlan = { vni: d.vni, port: d.port, local: d.local, parent: d.parent, learning: false };
    }
    if (l.vxlan!.local !== d.local || l.vxlan!.learning) {
      this.ops.push(`link set ${d.name} type vxlan local ${d.local} nolearning`);
      l.vxlan = { ...l.vxlan!, local: d.local, learning: false };
    }
    if (l.mtu !== d.mtu || l.mac !== d.mac || !l.adminUp) {
      this.ops.push(`link set ${d.name} mtu ${d.mtu} address ${d.mac} up`);
      if (l.mac !== d.mac) this.neighMap.delete(d.name); // NETDEV_CHANGEADDR flushes the ARP table, permanent entries too
      l.mtu = d.mtu; l.mac = d.mac;
      if (!l.adminUp) this.setLinkUp(d.name, true);
    }
    if (!l.addresses.includes(d.address)) { this.ops.push(`addr replace ${d.address} dev ${d.name}`); this.addAddress(d.name, d.address); }
    const family = d.address.includes(':') ? ':' : '.';
    for (const a of [...l.addresses]) {
      if (a !== d.address && a.includes(family) && !a.startsWith('fe80:')) {
        this.ops.push(`addr del ${a} dev ${d.name}`);
        this.removeAddress(l, a);
      }
    }
  }

  private removeAddress(l: LinkState, a: string): void {
    l.addresses = l.addresses.filter((x) => x !== a);
    for (const [dst, s] of this.routeMap) if (s.protocol === PROTO_KERNEL && s.route.dev === l.name && s.route.src === a.split('/')[0]) this.routeMap.delete(dst);
    // A device left without IPv4 addresses has its ARP table flushed (fib_disable_ip → arp_ifdown).
    if (!a.includes(':') && !l.addresses.some((x) => !x.includes(':'))) this.neighMap.delete(l.name);
  }

  async deleteLink(name: string): Promise<void> {
    checkDevName(name);
    this.maybeFail('deleteLink');
    this.ops.push(`link del ${name}`);
    if (this.linkMap.has(name)) this.removeLink(name);
  }

  async neighbours(dev: string): Promise<Neighbour[]> {
    this.maybeFail('neighbours');
    return [...(this.neighMap.get(dev)?.values() ?? [])];
  }

  async applyNeighbours(dev: string, del: readonly Neighbour[], add: readonly Neighbour[]): Promise<void> {
    checkDevName(dev);
    const dels = del.map((n) => canonicalNeighbour({ ...n, dev }));
    const adds = add.map((n) => canonicalNeighbour({ ...n, dev }));
    this.maybeFail('applyNeighbours');
    const failures: NetlinkFailure[] = [];
    for (const n of dels) { this.ops.push(`neigh del ${n.ip} dev ${dev}`); this.neighMap.get(dev)?.delete(n.ip); }
    for (const n of adds) {
      this.ops.push(`neigh replace ${n.ip} dev ${dev}`);
      if (!this.linkMap.has(dev)) { failures.push({ command: `neigh replace ${n.ip} lladdr ${n.mac} dev ${dev} nud permanent`, error: `Cannot find device "${dev}"` }); continue; }
      if (!this.neighMap.has(dev)) this.neighMap.set(dev, new Map());
      this.neighMap.get(dev)!.set(n.ip, n);
    }
    if (failures.length > 0) throw fail(failures, 'neighbour');
  }

  async fdb(dev: string): Promise<FdbEntry[]> {
    this.maybeFail('fdb');
    return [...(this.fdbMap.get(dev)?.values() ?? [])];
  }

  async applyFdb(dev: string, del: readonly FdbEntry[], add: readonly FdbEntry[]): Promise<void> {
    checkDevName(dev);
    const dels = del.map((f) => canonicalFdb({ ...f, dev }));
    const adds = add.map((f) => canonicalFdb({ ...f, dev }));
    this.maybeFail('applyFdb');
    const failures: NetlinkFailure[] = [];
    for (const f of dels) { this.ops.push(`fdb del ${f.mac} dev ${dev}`); this.fdbMap.get(dev)?.delete(f.mac); }
    for (const f of adds) {
      this.ops.push(`fdb replace ${f.mac} dev ${dev}`);
      const l = this.linkMap.get(dev);
      if (!l) { failures.push({ command: `fdb replace ${f.mac} dev ${dev} dst ${f.dst} self permanent`, error: `Cannot find device "${dev}"` }); continue; }
      if (l.kind !== 'vxlan') { failures.push({ command: `fdb replace ${f.mac} dev ${dev} dst ${f.dst} self permanent`, error: 'RTNETLINK answers: Operation not supported' }); continue; }
      if (!this.fdbMap.has(dev)) this.fdbMap.set(dev, new Map());
      this.fdbMap.get(dev)!.set(f.mac, f);
    }
    if (failures.length > 0) throw fail(failures, 'FDB');
  }

  async supportsLinkKind(kind: 'ipip' | 'vxlan'): Promise<boolean> {
    this.maybeFail('supportsLinkKind');
    return this.kinds[kind] === true;
  }

  async routeGet(dst: string): Promise<{ dev: string; src?: string } | null> {
    this.maybeFail('routeGet');
    const ip = parseIP(canonicalIP(dst, 'destination'));
    if (!ip) return null;
    for (const l of this.linkMap.values()) {
      for (const a of l.addresses) if (a.split('/')[0] === canonicalIP(dst)) return { dev: 'lo', src: a.split('/')[0]! };
    }
    const best = this.lookup(canonicalIP(dst));
    if (!best || best.route.type !== 'unicast' || best.route.dev === undefined) return null;
    const src = best.route.src ?? this.primaryAddress(best.route.dev, ip.version === 6 ? ':' : '.') ?? this.anyAddress(ip.version === 6 ? ':' : '.');
    return src === undefined ? { dev: best.route.dev } : { dev: best.route.dev, src };
  }

  // ---- the model --------------------------------------------------------------------------

  private maybeFail(method: string): void {
    if (this.failNext && this.failNext.method === method) { const e = this.failNext.error; this.failNext = null; throw e; }
  }

  private mustLink(name: string): LinkState {
    const l = this.linkMap.get(name);
    if (!l) throw new Error(`fake: no link ${name}`);
    return l;
  }

  private freshMac(): string {
    const n = this.nextMac++;
    return `02:00:00:00:${((n >> 8) & 0xff).toString(16).padStart(2, '0')}:${(n & 0xff).toString(16).padStart(2, '0')}`;
  }

  private isUp(l: LinkState): boolean {
    if (!l.adminUp) return false;
    if (l.kind === 'veth' && l.peer !== undefined) return this.linkMap.get(l.peer)?.adminUp === true;
    return true;
  }

  private addConnected(l: LinkState, addr: string): void {
    const c = parseCIDR(addr)!;
    if (c.prefix === (c.version === 4 ? 32 : 128)) return; // a host address has no subnet route
    const dst = formatCIDR({ version: c.version, address: networkOf(c), prefix: c.prefix });
    const route: Route = { dst, type: 'unicast', dev: l.name, scope: c.version === 4 ? 'link' : 'global', src: addr.split('/')[0]! };
    this.routeMap.set(dst, { route, protocol: PROTO_KERNEL });
  }

  private flushIPv4Routes(dev: string): void {
    for (const [dst, s] of this.routeMap) if (s.route.dev === dev && !dst.includes(':')) this.routeMap.delete(dst);
  }

  private removeLink(name: string): void {
    const l = this.linkMap.get(name);
    if (!l) return;
    this.linkMap.delete(name);
    for (const [dst, s] of this.routeMap) if (s.route.dev === name) this.routeMap.delete(dst);
    this.neighMap.delete(name);
    this.fdbMap.delete(name);
    if (l.peer !== undefined && this.linkMap.has(l.peer)) this.removeLink(l.peer);
  }

  /** Longest-prefix match over the main table. */
  private lookup(ip: string): RouteState | undefined {
    const addr = parseIP(ip)!;
    let best: RouteState | undefined;
    let bestLen = -1;
    for (const s of this.routeMap.values()) {
      const c = parseCIDR(s.route.dst)!;
      if (c.version === addr.version && c.prefix > bestLen && cidrContainsIP(c, addr)) { best = s; bestLen = c.prefix; }
    }
    return best;
  }

  /** The device a gateway is reachable on (a link-scope route covering it), if any. */
  private resolveDev(via: string): string | undefined {
    const s = this.lookup(via);
    return s && s.route.type === 'unicast' && s.route.via === undefined ? s.route.dev : undefined;
  }

  private checkRoute(r: Route): string | null {
    if (r.type !== 'unicast') return null;
    if (r.dev !== undefined) {
      const l = this.linkMap.get(r.dev);
      if (!l) return `Cannot find device "${r.dev}"`;
      if (!l.adminUp) return r.via === undefined ? 'Error: Device for nexthop is not up.' : 'Error: Nexthop device is not up.';
    }
    if (r.via !== undefined && r.onlink !== true) {
      const dev = this.resolveDev(r.via);
      if (dev === undefined) return r.dev === undefined ? 'RTNETLINK answers: Network is unreachable' : 'Error: Nexthop has invalid gateway.';
      if (r.dev !== undefined && dev !== r.dev) return 'Error: Nexthop has invalid gateway.';
    }
    if (r.via === undefined && r.dev === undefined) return 'Error: Device for nexthop is not up.';
    return null;
  }

  private primaryAddress(dev: string, family: string): string | undefined {
    return this.linkMap.get(dev)?.addresses.find((a) => a.includes(family) && !a.startsWith('fe80:'))?.split('/')[0];
  }

  private anyAddress(family: string): string | undefined {
    for (const l of this.linkMap.values()) {
      if (l.name === 'lo') continue;
      const a = this.primaryAddress(l.name, family);
      if (a !== undefined) return a;
    }
    return undefined;
  }
}
