// The BGP speaker the agent drives (BIRD's place in calico-node):
//
//   setConfig ─▶ router ID, AS, listener, RR cluster ID          ┌──▶ onRoutes(): best learned routes → agent → kernel
//   setPeers  ─▶ Peer per address (FSM, sockets, Adj-RIB-Outs) ──┤
//   setExports ─▶ Rib.originate / withdrawLocal ──▶ Loc-RIB ─────┴──▶ every Established peer (packed UPDATEs)
//
// Incoming connections are accepted only from configured peer addresses (anything else is
// closed at once); TCP MD5 keys are set on the listener per peer, so the kernel drops unsigned
// SYNs from those peers. `stop()` drops every connection without a NOTIFICATION so that peers
// keep our routes for our restart time (RFC 4724), and the agent leaves the kernel as it is.

import { createServer, isIP, type Server, type Socket } from 'node:net';
import { TortieError } from '../../lib/errors.js';
import { formatCIDR, parseCIDR, cidrContainsIP, type CIDR } from '../../lib/ip.js';
import { formatAsPath, formatNlri, ORIGIN_NAME, familyKey, type Family, type Nlri } from '../codec/index.js';
import type { Clock } from '../fsm/index.js';
import { Rib, routeKey, type BestChange, type BestResult, type ExportPolicy, type Path, type RouteKey } from '../rib/index.js';
import { plainAddress } from './connection.js';
import { Peer } from './peer.js';
import type { PeerHost } from './peer-host.js';
import { RealClock } from './real-clock.js';
import { setMd5Key } from './sockopt.js';
import type { LearnedChange, LearnedRoute, PeerSpec, RibRoute, SpeakerConfig, SpeakerStatus } from './types.js';

export interface SpeakerLogger {
  debug(o: object, msg?: string): void;
  info(o: object, msg?: string): void;
  warn(o: object, msg?: string): void;
}

export interface SpeakerOptions {
  readonly log?: SpeakerLogger;
  readonly clock?: Clock;
  /** How long after start to wait for every peer's End-of-RIB before calling the RIB complete. */
  readonly convergeTimeoutMs?: number;
  /** Coalesce route notifications for this long (ms). */
  readonly notifyDelayMs?: number;
}

const CHANGES_PER_CALL = 4096;

const NOOP: SpeakerLogger = { debug: () => {}, info: () => {}, warn: () => {} };
const COMMUNITY = (c: number): string => `${c >>> 16}:${c & 0xffff}`;

function toNlri(c: CIDR): Nlri { return { version: c.version, address: c.address, prefix: c.prefix }; }

export class BgpSpeaker {
  private cfg: SpeakerConfig | undefined;
  private rib: Rib | undefined;
  private readonly peers = new Map<string, Peer>();
  private servers: Server[] = [];
  private listening: string | null = null;
  private exports = new Map<string, CIDR>();
  private exportPools: CIDR[] = [];
  /** How many Loc-RIB best paths come from peers (the learned routes themselves are read from the RIB). */
  private learnedN = 0;
  private readonly listeners = new Set<() => void>();
  private readonly changeListeners = new Set<(changes: readonly LearnedChange[]) => void>();
  /** Prefixes whose learned route changed since the last notification (kept only for change listeners). */
  private readonly dirty = new Map<RouteKey, { readonly family: Family; readonly prefix: Nlri }>();
  private changesQueued = false;
  private readonly statusListeners = new Set<() => void>();
  private notifyTimer: NodeJS.Timeout | undefined;
  private flushQueued = false;
  private stopped = false;
  private convergedAt: number | null = null;
  private readonly startedAt = performance.now();
  private convergeTimer: NodeJS.Timeout | undefined;
  private readonly problems = new Set<string>();
  /** Convergence is judged only once the caller has said who the peers are. */
  private peersGiven = false;
  private readonly clock: Clock;
  private readonly log: SpeakerLogger;

  constructor(private readonly o: SpeakerOptions = {}) {
    this.clock = o.clock ?? new RealClock();
    this.log = o.log ?? NOOP;
  }

  // ---- configuration -----------------------------------------------------------------------

  /** Router ID, AS and cluster ID changes restart every session; a listener change re-listens. */
  async setConfig(c: SpeakerConfig): Promise<void> {
    if (this.stopped) return;
    if (isIP(c.routerId) !== 4) throw new TortieError('TORTIE_ERR_BGP_CONFIG_INVALID', `BGP router ID ${JSON.stringify(c.routerId)} is not an IPv4 address`);
    const old = this.cfg;
    const reset = !old || old.routerId !== c.routerId || old.asNumber !== c.asNumber || old.clusterId !== c.clusterId;
    this.cfg = c;
    if (reset) {
      const specs = [...this.peers.values()].map((p) => p.spec);
      for (const p of this.peers.values()) p.stop('cease');
      this.peers.clear();
      this.rib = new Rib({ localAs: c.asNumber, routerId: c.routerId, ...(c.clusterId ? { clusterId: c.clusterId } : {}) });
      this.learnedN = 0;
      for (const [, cidr] of this.exports) this.rib.originate({ family: this.familyOf(cidr), prefix: toNlri(cidr), attributes: { origin: 0, asPath: [] }, nextHops: [] });
      if (old) this.log.info({ routerId: c.routerId, as: c.asNumber }, 'BGP: identity changed; sessions restarted');
      this.replacePeers(specs);
      this.scheduleNotify();
    } else {
      for (const p of this.peers.values()) p.refreshConfig();
    }
    if (!old || old.listenPort !== c.listenPort || old.listenAddress !== c.listenAddress) await this.listen();
    if (!this.convergeTimer && this.convergedAt === null) {
      this.convergeTimer = setTimeout(() => this.markConverged('timeout'), this.o.convergeTimeoutMs ?? (c.restartTime ?? 120) * 1000);
      this.convergeTimer.unref();
    }
  }

  /** Adds, removes and changes peers; a changed peer is restarted, an unchanged one left alone. */
  setPeers(specs: readonly PeerSpec[]): void {
    if (this.stopped) return;
    this.peersGiven = true;
    this.replacePeers(specs);
  }

  private replacePeers(specs: readonly PeerSpec[]): void {
    const host = this.hostOf();
    const want = new Map(specs.map((s) => [s.address, s] as const));
    for (const [key, p] of this.peers) {
      const s = want.get(key);
      if (s && JSON.stringify(s) === JSON.stringify(p.spec)) continue;
      p.stop('cease');
      this.peers.delete(key);
      this.log.info({ peer: key }, s ? 'BGP: peer changed; restarting its session' : 'BGP: peer removed');
    }
    for (const [key, s] of want) {
      if (this.peers.has(key)) continue;
      const p = new Peer(s, host);
      this.peers.set(key, p);
      p.start();
      this.log.info({ peer: key, name: s.name, as: s.asNumber, passive: s.passive === true }, 'BGP: peer added');
    }
    this.applyListenerKeys();
    this.checkConverged();
    this.notifyStatus();
  }

  /** This node's prefixes (its blocks, borrowed /32s) and the pools learned routes may be re-advertised from. */
  setExports(prefixes: readonly string[], pools: readonly string[] = []): void {
    const rib = this.rib;
    const next = new Map<string, CIDR>();
    for (const p of prefixes) { const c = parseCIDR(p); if (c) next.set(formatCIDR(c), c); }
    this.exportPools = pools.flatMap((p) => { const c = parseCIDR(p); return c ? [c] : []; });
    if (!rib || this.stopped) { this.exports = next; return; }
    const changes: BestChange[] = [];
    for (const [k, c] of this.exports) if (!next.has(k)) changes.push(...rib.withdrawLocal(this.familyOf(c), toNlri(c)));
    for (const [k, c] of next) if (!this.exports.has(k)) changes.push(...rib.originate({ family: this.familyOf(c), prefix: toNlri(c), attributes: { origin: 0, asPath: [] }, nextHops: [] }));
    this.exports = next;
    this.onChanges(changes);
  }

  // ---- outputs -----------------------------------------------------------------------------

  /** Called (coalesced) whenever the learned routes change (read them with `learnedRoutes()`) or convergence is reached. */
  onRoutes(cb: () => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  /**
   * Called (coalesced, before `onRoutes` callbacks) with each prefix whose learned route changed
   * since the last call — its route now, or null when it is gone — so a consumer such as the
   * kernel programmer works on the difference, not on the whole table.
   */
  onLearnedChanges(cb: (changes: readonly LearnedChange[]) => void): () => void {
    this.changeListeners.add(cb);
    return () => this.changeListeners.delete(cb);
  }

  /** Called when a peer's state or counters change. */
  onStatus(cb: () => void): () => void {
    this.statusListeners.add(cb);
    return () => this.statusListeners.delete(cb);
  }

  /** Every best path learned from a peer, sorted by prefix. */
  learnedRoutes(): LearnedRoute[] {
    const out: LearnedRoute[] = [];
    for (const r of this.rib?.bestPaths() ?? []) {
      const l = this.learnedOf(formatNlri(r.prefix), r.best);
      if (l) out.push(l);
    }
    return out.sort((a, b) => (a.prefix < b.prefix ? -1 : a.prefix > b.prefix ? 1 : 0));
  }

  get learnedCount(): number { return this.learnedN; }

  /** Every peer sent its End-of-RIB since start (or the restart time ran out): the learned set is complete. */
  get converged(): boolean { return this.convergedAt !== null; }

  status(): SpeakerStatus {
    const c = this.cfg;
    return {
      routerId: c?.routerId ?? '', asNumber: c?.asNumber ?? 0, listening: this.listening,
      ...(c?.clusterId ? { clusterId: c.clusterId } : {}),
      converged: this.converged,
      peers: [...this.peers.values()].map((p) => p.status()).sort((a, b) => (a.address < b.address ? -1 : 1)),
      problems: [...this.problems],
    };
  }

  /** The Loc-RIB, each entry with the rule that made its best path win. */
  routes(filter: { peer?: string } = {}): RibRoute[] {
    const out: RibRoute[] = [];
    for (const r of this.rib?.bestPaths() ?? []) {
      const b = r.best.best;
      if (filter.peer !== undefined && b.peer?.address !== filter.peer && this.peers.get(b.peer?.address ?? '')?.spec.name !== filter.peer) continue;
      out.push(this.ribRoute(r.family, r.prefix, b, r.best.decidedBy, r.best.ecmp.length));
    }
    return out.sort((a, b) => (a.prefix < b.prefix ? -1 : a.prefix > b.prefix ? 1 : 0));
  }

  /** Drops every session without a NOTIFICATION (peers keep our routes: graceful restart) and closes the listener. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.notifyTimer) clearTimeout(this.notifyTimer);
    if (this.convergeTimer) clearTimeout(this.convergeTimer);
    for (const p of this.peers.values()) p.stop('graceful');
    this.peers.clear();
    await this.closeServers();
  }

  // ---- internals ---------------------------------------------------------------------------

  private hostOf(): PeerHost {
    const self = this;
    if (!this.cfg || !this.rib) throw new TortieError('TORTIE_ERR_BGP_CONFIG_INVALID', 'BGP peers were given before the speaker\'s configuration (setConfig first)');
    return {
      get config() { return self.cfg!; },
      get rib() { return self.rib!; },
      clock: this.clock,
      exportPolicy: this.exportPolicy,
      changes: (ch) => this.onChanges(ch),
      touched: () => this.notifyStatus(),
      endOfRib: () => this.checkConverged(),
      restarting: () => this.cfg?.restarting === true && this.convergedAt === null,
      log: (level, o, msg) => this.log[level](o, msg),
    };
  }

  /**
   * Calico's calico_export_to_bgp_peers: our own exports always; a learned route only when it is
   * inside an enabled pool that does not disable BGP export (reflection and eBGP re-advertising
   * follow RFC 4456 / RFC 4271 in the RIB's exportPath).
   */
  private readonly exportPolicy: ExportPolicy = (path: Path) => {
    if (!path.peer) return true;
    const ip = { version: path.prefix.version, value: path.prefix.address };
    return this.exportPools.some((p) => p.version === path.prefix.version && p.prefix <= path.prefix.prefix && cidrContainsIP(p, ip));
  };

  private familyOf(c: CIDR): Family { return familyKey(c.version === 4 ? 1 : 2, 1); }

  private onChanges(changes: readonly BestChange[]): void {
    if (this.stopped || changes.length === 0) return;
    let learnedChanged = false;
    const track = this.changeListeners.size > 0;
    for (const c of changes) {
      const was = c.before?.best.peer !== undefined, is = c.after?.best.peer !== undefined;
      if (!was && !is) continue;
      this.learnedN += (is ? 1 : 0) - (was ? 1 : 0);
      learnedChanged = true;
      if (track) this.dirty.set(routeKey(c.family, c.prefix), c);
    }
    // Change listeners hear of the changes once the socket reads at hand are done — not a timer
    // later (no timer runs during a full table's burst of reads), and not in the middle of it.
    if (this.dirty.size > 0 && !this.changesQueued) {
      this.changesQueued = true;
      setImmediate(() => { this.changesQueued = false; if (!this.stopped) this.tellChanges(); });
    }
    for (const p of this.peers.values()) p.offer(changes);
    if (!this.flushQueued) {
      this.flushQueued = true;
      setImmediate(() => {
        this.flushQueued = false;
        for (const p of this.peers.values()) p.flush();
      });
    }
    if (learnedChanged) this.scheduleNotify();
  }

  private scheduleNotify(): void {
    if (this.notifyTimer || this.stopped) return;
    this.notifyTimer = setTimeout(() => {
      this.notifyTimer = undefined;
      this.tellChanges();
      for (const cb of this.listeners) cb();
    }, this.o.notifyDelayMs ?? 20);
    this.notifyTimer.unref();
  }

  /** Hands the changed prefixes to the change listeners, a slice at a time (a full table is not built as one array). */
  private tellChanges(): void {
    if (this.dirty.size === 0) return;
    const dirty = [...this.dirty.values()];
    this.dirty.clear();
    for (let i = 0; i < dirty.length; i += CHANGES_PER_CALL) {
      const changes: LearnedChange[] = [];
      for (const { family, prefix } of dirty.slice(i, i + CHANGES_PER_CALL)) {
        const best = this.rib?.best(family, prefix);
        const text = formatNlri(prefix);
        changes.push({ prefix: text, route: best ? this.learnedOf(text, best) : null });
      }
      for (const cb of this.changeListeners) cb(changes);
    }
  }

  private notifyStatus(): void {
    for (const cb of this.statusListeners) cb();
  }

  private checkConverged(): void {
    if (this.convergedAt !== null || !this.cfg || !this.peersGiven) return;
    // Passive peers that never connect must not hold the node's routing hostage: the timeout covers them.
    if ([...this.peers.values()].every((p) => p.initialSyncDone)) this.markConverged('end-of-rib');
  }

  private markConverged(why: 'end-of-rib' | 'timeout'): void {
    if (this.convergedAt !== null || this.stopped) return;
    this.convergedAt = performance.now();
    if (this.convergeTimer) clearTimeout(this.convergeTimer);
    this.log.info({ why, ms: Math.round(this.convergedAt - this.startedAt), routes: this.learnedN }, 'BGP: initial routing table complete');
    for (const p of this.peers.values()) p.refreshConfig(); // the R bit is off from now on
    this.scheduleNotify();
    this.notifyStatus();
  }

  private learnedOf(prefix: string, r: BestResult): LearnedRoute | null {
    const b = r.best;
    if (!b.peer) return null;
    const peer = this.peers.get(b.peer.id);
    return { prefix, nextHop: b.nextHops[0] ?? b.peer.address, peer: b.peer.address, peerName: peer?.spec.name ?? b.peer.address, decidedBy: r.decidedBy };
  }

  private ribRoute(family: Family, prefix: Nlri, b: Path, decidedBy: string, ecmp: number): RibRoute {
    const a = b.attributes;
    const peer = b.peer ? this.peers.get(b.peer.id) : undefined;
    const out: Record<string, unknown> = {
      prefix: formatNlri(prefix), family, nextHops: b.nextHops, from: b.peer?.address ?? 'local', decidedBy, ecmp,
      asPath: formatAsPath(a.asPath ?? []), origin: ORIGIN_NAME[a.origin ?? 2],
    };
    if (peer) out.fromName = peer.spec.name;
    if (a.localPref !== undefined) out.localPref = a.localPref;
    if (a.med !== undefined) out.med = a.med;
    if (a.originatorId !== undefined) out.originatorId = a.originatorId;
    if (a.clusterList !== undefined) out.clusterList = a.clusterList;
    if (a.communities !== undefined) out.communities = a.communities.map(COMMUNITY);
    return out as unknown as RibRoute;
  }

  private async listen(): Promise<void> {
    await this.closeServers();
    const c = this.cfg!;
    if (c.listenPort === 0) { this.listening = null; return; }
    const addrs = c.listenAddress ? [c.listenAddress] : ['0.0.0.0', '::'];
    const bound: string[] = [];
    for (const host of addrs) {
      const server = createServer({ pauseOnConnect: false }, (s) => this.accept(s));
      try {
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen({ host, port: c.listenPort, ipv6Only: host === '::' }, () => { server.off('error', reject); resolve(); });
        });
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        if (host === '::' && (err.code === 'EAFNOSUPPORT' || err.code === 'EADDRNOTAVAIL')) continue; // no IPv6 here
        this.problems.add(`Cannot listen for BGP on ${host}:${c.listenPort}: ${err.message}`);
        this.log.warn({ host, port: c.listenPort, err: err.message }, 'BGP: cannot listen; only outgoing sessions will work');
        continue;
      }
      server.on('error', (e) => this.log.warn({ err: e.message }, 'BGP listener error'));
      this.servers.push(server);
      bound.push(`${host.includes(':') ? `[${host}]` : host}:${c.listenPort}`);
    }
    this.listening = bound.length ? bound.join(' ') : null;
    if (bound.length) {
      this.problems.forEach((p) => { if (p.startsWith('Cannot listen')) this.problems.delete(p); });
    }
    this.applyListenerKeys();
  }

  /** Per-peer TCP MD5 keys on the listeners (removed for peers without a password). */
  private applyListenerKeys(): void {
    for (const server of this.servers) {
      const fd = (server as unknown as { _handle?: { fd?: number } })._handle?.fd;
      const addr = server.address();
      if (fd === undefined || fd < 0 || addr === null || typeof addr === 'string') continue;
      const fam: 4 | 6 = addr.family === 'IPv6' ? 6 : 4;
      for (const p of this.peers.values()) {
        if ((isIP(p.spec.address) === 6) !== (fam === 6)) continue;
        if (!p.spec.password) continue;
        try { setMd5Key(fd, fam, p.spec.address, p.spec.password); } catch (e) {
          const msg = `BGP password for ${p.spec.name} cannot be set: ${(e as Error).message}`;
          if (!this.problems.has(msg)) this.log.warn({ peer: p.key }, msg);
          this.problems.add(msg);
        }
      }
    }
  }

  private accept(s: Socket): void {
    const from = plainAddress(s.remoteAddress);
    const peer = this.stopped ? undefined : this.peers.get(from);
    if (!peer) {
      this.log.debug({ from }, 'BGP: connection from an address that is not a configured peer; closed');
      s.destroy();
      return;
    }
    s.on('error', () => {});
    peer.incoming(s);
  }

  private async closeServers(): Promise<void> {
    const servers = this.servers;
    this.servers = [];
    await Promise.all(servers.map((srv) => new Promise<void>((r) => srv.close(() => r()))));
  }
}
