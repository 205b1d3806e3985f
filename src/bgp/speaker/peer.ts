// One configured peer: its FSM on real time, the TCP connection(s), collision resolution,
// Adj-RIB-Outs per family and route refresh. Its UPDATEs into the RIB are InboundRoutes
// (inbound-routes.ts), graceful restart as helper is RestartHelper (graceful-restart.ts), its
// OPEN and timers come from peer-config.ts.
//
//   socket ─Framer─▶ decodeMessage ─eventOf─▶ FsmRunner ─actions─▶ connect / send / drop / established / down
//                          │ UPDATE (Established)                        │
//                          ▼                                             ▼
//              InboundRoutes ─▶ Rib.update ─▶ host.changes()      AdjRibOut per family ─▶ UPDATEs

import type { Socket } from 'node:net';
import {
  CEASE_SUB, DEFAULT_CONTEXT, REFRESH_SUBTYPE, cease, decodeMessage, encodeMessage, familyKey, formatFamily, formatNotification, peerAsOf,
  type CodecContext, type Family, type Frame, type Message, type Negotiated, type OpenMessage, type UpdateMessage, type WireError,
} from '../codec/index.js';
import { eventOf, FsmRunner, resolveCollision, type FsmAction, type FsmState, type PeerConfig } from '../fsm/index.js';
import { AdjRibOut, type BestChange, type PeerInfo } from '../rib/index.js';
import { Connection, connectTcp, secureAccepted } from './connection.js';
import { RestartHelper } from './graceful-restart.js';
import { InboundRoutes } from './inbound-routes.js';
import { fsmConfigOf } from './peer-config.js';
import type { PeerHost } from './peer-host.js';
import { PrefixLimit, type Exceeded } from './prefix-limit.js';
import type { PeerSpec, PeerStatus } from './types.js';


const PROBE_TIMEOUT_MS = 10_000;

export class Peer {
  readonly key: string;
  private fsm: FsmRunner;
  private conn: Connection | undefined;
  private pending: Socket | undefined;
  private readonly probes = new Set<Connection>();
  private negotiated: Negotiated | undefined;
  private info: PeerInfo | undefined;
  private readonly outs = new Map<Family, AdjRibOut>();
  private started = false;
  private lastState = 'Idle';
  private sinceMs = Date.now();
  private lastError: string | undefined;
  private readonly restart: RestartHelper;
  private readonly inbound: InboundRoutes;
  private readonly limit: PrefixLimit;
  updatesOut = 0;

  constructor(readonly spec: PeerSpec, private readonly host: PeerHost) {
    this.key = spec.address;
    this.restart = new RestartHelper(this.key, spec.name, host, () => host.touched(this));
    this.inbound = new InboundRoutes(this, host, this.restart);
    this.limit = new PrefixLimit(spec, host.clock);
    this.fsm = new FsmRunner(this.peerConfig(), host.clock, (a, s) => this.act(a, s));
  }

  get updatesIn(): number { return this.inbound.updates; }

  get port(): number { return this.spec.port ?? 179; }
  get established(): boolean { return this.fsm.state.name === 'Established'; }
  /** True once the peer sent End-of-RIB for every family, or never will (down, no session yet counts as not). */
  get initialSyncDone(): boolean { return this.inbound.initialSyncDone; }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.fsm.dispatch({ type: 'ManualStart' });
    this.noteState();
  }

  /**
   * `cease`: a NOTIFICATION (Cease, de-configured) and the routes go at once. `graceful`: the
   * connection is dropped without a word, as a crash would, so the peer keeps our routes for our
   * restart time (RFC 4724) while this process restarts; our kernel keeps its routes too.
   */
  stop(mode: 'cease' | 'graceful'): void {
    if (mode === 'cease') {
      if (this.fsm.state.name !== 'Idle') this.fsm.dispatch({ type: 'ManualStop', text: 'Peer de-configured' });
    } else {
      this.conn?.abort();
      this.conn = undefined;
    }
    this.pending?.destroy();
    this.pending = undefined;
    for (const p of this.probes) p.abort();
    this.probes.clear();
    this.fsm.dispose();
    this.restart.stop();
    this.started = false;
    this.host.changes(this.host.rib.dropPeer(this.key, true));
  }

  /** Our R bit or timers changed: later OPENs use the new config (the session is not reset). */
  refreshConfig(): void {
    this.fsm.setConfig(this.peerConfig());
  }

  /** An accepted connection from this peer's address. */
  incoming(sock: Socket): void {
    try { secureAccepted(sock, this.spec.ttlSecurity); } catch (e) {
      this.host.log('warn', { peer: this.key, err: (e as Error).message }, 'BGP: cannot secure an incoming connection; refused');
      sock.destroy();
      return;
    }
    const st = this.fsm.state.name;
    if (!this.started || st === 'Idle') { sock.destroy(); return; }
    if ((st === 'Connect' || st === 'Active') && this.conn === undefined && this.pending === undefined) {
      this.conn = this.wrap(sock, false);
      this.dispatch({ type: 'TcpConnectionConfirmed' });
      return;
    }
    // A second connection while ours is in use or still connecting (both sides may connect at
    // once): wait for its OPEN, then resolve the collision (RFC 4271 §6.8).
    const probe = this.wrap(sock, false);
    this.probes.add(probe);
    const t = setTimeout(() => { if (this.probes.delete(probe)) probe.abort(); }, PROBE_TIMEOUT_MS);
    t.unref();
  }

  /** Offers Loc-RIB changes to the Adj-RIB-Outs; `flush` sends them. */
  offer(changes: readonly BestChange[]): void {
    for (const out of this.outs.values()) out.offerChanges(changes);
  }

  flush(): void {
    if (!this.established || !this.negotiated) return;
    for (const out of this.outs.values()) this.sendAll(out.flush());
  }

  status(): PeerStatus {
    const st = this.fsm.state.name;
    const adjIn = this.info ? this.safe(() => this.host.rib.adjRibInSize(this.key)) : 0;
    const stale = this.info ? this.safe(() => this.host.rib.staleCount(this.key)) : 0;
    let advertised = 0;
    for (const o of this.outs.values()) advertised += o.advertisedCount;
    const label = st === 'Active' && this.spec.passive ? 'Passive' : st;
    const state: PeerStatus['state'] = !this.started ? 'down' : st === 'Established' ? 'up' : 'start';
    const out: PeerStatus = {
      name: this.spec.name, address: this.spec.address, port: this.port, type: this.spec.type, asNumber: this.spec.asNumber,
      state, bgpState: st, since: new Date(this.sinceMs).toISOString(),
      info: this.heldInfo() ?? (st === 'Established' || !this.lastError ? label : `${label} ${this.lastError}`),
      prefixes: { received: adjIn + this.inbound.rejectedCount, accepted: adjIn, advertised },
      updates: { received: this.updatesIn, sent: this.updatesOut },
      stale,
    };
    const extra: Record<string, unknown> = {};
    if (this.negotiated) extra.routerId = this.negotiated.peerId;
    if (this.lastError) extra.lastError = this.lastError;
    if (this.limit.hits > 0) extra.maxPrefixHits = this.limit.hits;
    const off = this.inbound.disabledFamilies;
    if (st === 'Established' && off.length > 0) extra.disabledFamilies = off.map(formatFamily);
    return { ...out, ...extra };
  }

  private heldInfo(): string | undefined {
    const why = this.limit.info(this.fsm.state);
    return why === undefined ? undefined : `Idle ${why}`;
  }

  // ---- the FSM's actions -------------------------------------------------------------------

  private act(a: FsmAction, s: FsmState): void {
    switch (a.type) {
      case 'connect': this.connect(); break;
      case 'send': this.send(a.message); break;
      case 'dropConnection':
        this.conn?.close();
        this.conn = undefined;
        this.pending?.destroy();
        this.pending = undefined;
        break;
      case 'established': this.onEstablished(a.negotiated, a.peerOpen); break;
      case 'down': this.onDown(a, s); break;
      default: break;
    }
  }

  private connect(): void {
    this.pending?.destroy();
    let s: Socket;
    try {
      s = connectTcp({
        address: this.spec.address, port: this.port, ...(this.spec.sourceAddress ? { localAddress: this.spec.sourceAddress } : {}),
        ...(this.spec.password ? { password: this.spec.password } : {}), ...(this.spec.ttlSecurity ? { ttlSecurity: this.spec.ttlSecurity } : {}),
      });
    } catch (e) {
      this.lastError = `Socket: ${(e as Error).message}`;
      queueMicrotask(() => this.dispatch({ type: 'TcpConnectionFails' }));
      return;
    }
    this.pending = s;
    s.once('connect', () => {
      if (this.pending !== s) { s.destroy(); return; }
      this.pending = undefined;
      this.conn = this.wrap(s, true);
      this.dispatch({ type: 'TcpCRAcked' });
    });
    s.once('error', (e) => {
      if (this.pending !== s) return;
      this.pending = undefined;
      s.destroy();
      this.lastError = `Socket: ${e.message.replace(/^connect /, '')}`;
      this.dispatch({ type: 'TcpConnectionFails' });
    });
  }

  private wrap(sock: Socket, outbound: boolean): Connection {
    const c: Connection = new Connection(sock, outbound, (f) => this.onFrame(c, f), (why) => this.onClosed(c, why));
    return c;
  }

  private onClosed(c: Connection, why: string): void {
    if (this.probes.delete(c)) return;
    if (c !== this.conn) return;
    this.conn = undefined;
    if (!this.lastError || this.established) this.lastError = `Socket: ${why}`;
    this.dispatch({ type: 'TcpConnectionFails' });
  }

  private dispatch(e: Parameters<FsmRunner['dispatch']>[0]): void {
    this.fsm.dispatch(e);
    this.noteState();
  }

  private noteState(): void {
    const n = this.fsm.state.name;
    if (n !== this.lastState) {
      this.lastState = n;
      if (n !== 'Idle') this.limit.clear();
      this.sinceMs = Date.now();
      this.host.log(n === 'Established' ? 'info' : 'debug', { peer: this.key, state: n }, `BGP peer ${this.spec.name} ${n}`);
      this.host.touched(this);
    }
  }

  private send(m: Message): void {
    const ctx: CodecContext = this.fsm.state.negotiated?.encode ?? this.negotiated?.encode ?? DEFAULT_CONTEXT;
    this.conn?.send(encodeMessage(m, ctx));
    if (m.type === 'notification') this.lastError = `BGP Error: ${formatNotification(m)}`;
  }

  private sendAll(updates: readonly UpdateMessage[]): void {
    if (!this.negotiated || !this.conn) return;
    for (const u of updates) this.conn.send(encodeMessage(u, this.negotiated.encode));
    if (updates.length) { this.updatesOut += updates.length; this.host.touched(this); }
  }

  // ---- incoming messages -------------------------------------------------------------------

  private onFrame(c: Connection, f: Frame): void {
    if (c !== this.conn) { this.probeFrame(c, f); return; }
    if (!f.ok) { this.dispatch({ type: 'BGPHeaderErr', error: f.error }); return; }
    const ctx = this.fsm.state.negotiated?.decode ?? DEFAULT_CONTEXT;
    const r = decodeMessage(f.bytes, ctx);
    if (r.ok && r.message.type === 'notification') this.lastError = `BGP Error: ${formatNotification(r.message)} (received)`;
    if (!r.ok) this.host.log('warn', { peer: this.key, code: r.error.code, subcode: r.error.subcode }, `BGP: ${r.error.reason}`);
    this.dispatch(eventOf(r));
    if (!r.ok || !this.established) return;
    if (r.message.type === 'update') this.onUpdate(r.message, r.problems);
    else if (r.message.type === 'route-refresh') this.onRefresh(r.message.afi, r.message.safi, r.message.subtype);
  }

  private onUpdate(u: UpdateMessage, problems: readonly WireError[] | undefined): void {
    const exceeded = this.inbound.apply(u, problems);
    if (exceeded) this.maxPrefixReached(exceeded);
    this.host.touched(this);
  }

  /**
   * Over its max-prefix limit (prefix-limit.ts): the session goes with Cease/1, its routes dropped
   * as it goes (we sent a NOTIFICATION, so graceful restart keeps none, RFC 4724 §4).
   */
  private maxPrefixReached(x: Exceeded): void {
    const { event, log } = this.limit.reached(x);
    this.host.log('warn', { peer: this.key, family: x.family, limit: x.limit, count: x.count }, `BGP peer ${this.spec.name}: ${log}`);
    this.dispatch(event);
  }

  /** RFC 2918 / RFC 7313: send the family's Adj-RIB-Out again (between BoRR and EoRR when enhanced). */
  private onRefresh(afi: number, safi: number, subtype: number): void {
    const family = familyKey(afi, safi);
    const n = this.negotiated;
    if (!n || !this.info || subtype !== REFRESH_SUBTYPE.REQUEST || !n.families.includes(family)) return;
    const fresh = new AdjRibOut(this.info, [family], n.encode, this.host.rib.config, this.host.exportPolicy);
    for (const r of this.host.rib.bestPaths()) fresh.offer(r.family, r.prefix, r.best.best);
    this.outs.set(family, fresh);
    const msgs: Message[] = [];
    if (n.enhancedRouteRefresh) msgs.push({ type: 'route-refresh', afi, safi, subtype: REFRESH_SUBTYPE.BORR });
    msgs.push(...fresh.flush());
    if (n.enhancedRouteRefresh) msgs.push({ type: 'route-refresh', afi, safi, subtype: REFRESH_SUBTYPE.EORR });
    for (const m of msgs) this.conn?.send(encodeMessage(m, n.encode));
    this.host.log('debug', { peer: this.key, family }, 'BGP: answered a route refresh');
  }

  // ---- collision (RFC 4271 §6.8) and a restarting peer's new connection (RFC 4724 §4.2) -----

  private probeFrame(c: Connection, f: Frame): void {
    if (!this.probes.delete(c)) return;
    const r = f.ok ? decodeMessage(f.bytes, DEFAULT_CONTEXT) : undefined;
    if (!r?.ok || r.message.type !== 'open') { c.abort(); return; }
    const open = r.message;
    const st = this.fsm.state.name;
    const dumpNew = (): void => { c.send(encodeMessage(cease(CEASE_SUB.COLLISION_RESOLUTION), DEFAULT_CONTEXT)); c.close(); };
    if (st === 'Established') {
      // The peer opened a new session while ours still looks up: it restarted (RFC 4724 §4.2) —
      // only when it does graceful restart; otherwise the Established connection wins.
      if (!this.negotiated?.peerGracefulRestart) { dumpNew(); return; }
      this.host.log('info', { peer: this.key }, 'BGP: the peer restarted (new connection while Established); keeping its routes as stale');
      const old = this.conn;
      this.conn = undefined;
      old?.abort();
      this.lastError = 'Socket: the peer restarted';
      this.fsm.dispatch({ type: 'TcpConnectionFails' });
      this.adopt(c, open);
      return;
    }
    if ((st === 'Connect' || st === 'Active') && this.conn === undefined) {
      // Our own connect has not got anywhere yet: take the peer's.
      this.pending?.destroy();
      this.pending = undefined;
      this.adopt(c, open);
      return;
    }
    if (st !== 'OpenSent' && st !== 'OpenConfirm') { dumpNew(); return; }
    const v = resolveCollision({ state: st, outbound: this.conn?.outbound ?? true }, { state: 'OpenConfirm', outbound: false }, {
      localId: this.host.config.routerId, remoteId: open.bgpId, localAs: this.spec.localAsNumber ?? this.host.config.asNumber, remoteAs: peerAsOf(open),
    });
    if (v.dump !== 'a') { dumpNew(); return; }
    this.host.log('debug', { peer: this.key, rule: v.rule }, 'BGP: connection collision; keeping the incoming connection');
    this.send(cease(CEASE_SUB.COLLISION_RESOLUTION));
    this.conn?.close();
    this.conn = undefined;
    this.adopt(c, open);
  }

  /** Continues the session on `c`, whose OPEN already arrived. */
  private adopt(c: Connection, open: OpenMessage): void {
    this.fsm.restart({ ...this.fsm.state, name: 'Active', automatic: true, peerOpen: undefined, negotiated: undefined });
    this.conn = c;
    this.dispatch({ type: 'TcpConnectionConfirmed' });
    this.dispatch({ type: 'BGPOpen', open });
  }

  // ---- up and down -------------------------------------------------------------------------

  private onEstablished(n: Negotiated, open: OpenMessage): void {
    this.negotiated = n;
    this.lastError = undefined;
    const conn = this.conn!;
    conn.setMaxLength(n.maxLength);
    const local = conn.localAddress;
    const info: PeerInfo = {
      id: this.key, address: this.spec.address, routerId: n.peerId, as: n.peerAs, localAs: this.spec.localAsNumber ?? this.host.config.asNumber,
      rrClient: this.spec.rrClient === true,
      ...(local.includes(':') ? { localAddress6: local, localAddress: this.host.config.routerId } : { localAddress: local }),
      nextHopMode: this.spec.nextHopMode ?? 'auto',
    };
    this.info = info;
    const rib = this.host.rib;
    rib.addPeer(info, {
      ...(this.spec.allowAsIn !== undefined ? { allowAsIn: this.spec.allowAsIn } : {}),
      ...(this.spec.maxPrefixes !== undefined ? { maxPrefix: this.spec.maxPrefixes } : {}),
    });
    this.inbound.established(open, n);
    this.restart.established(open, n);
    this.outs.clear();
    const msgs: UpdateMessage[] = [];
    for (const fam of n.families) {
      const out = new AdjRibOut(info, [fam], n.encode, rib.config, this.host.exportPolicy);
      this.outs.set(fam, out);
      msgs.push(...out.initialDump(rib));
    }
    this.sendAll(msgs);
    if (this.inbound.initialSyncDone) this.host.endOfRib(this);
  }

  private onDown(a: Extract<FsmAction, { type: 'down' }>, _s: FsmState): void {
    if (a.received) this.lastError = `BGP Error: ${formatNotification(a.received)} (received)`;
    else if (a.sent) this.lastError = `BGP Error: ${formatNotification(a.sent)}`;
    else if (!this.lastError) this.lastError = a.reason;
    this.host.log(a.wasEstablished ? 'info' : 'debug', { peer: this.key, reason: a.reason, error: this.lastError }, `BGP peer ${this.spec.name} down`);
    const n = this.negotiated;
    this.negotiated = undefined;
    this.outs.clear();
    this.refreshConfig();
    if (!a.wasEstablished || !this.info) return;
    if (!this.restart.down(n, !!a.sent || !!a.received, this.started)) this.host.changes(this.host.rib.dropPeer(this.key));
    this.inbound.down();
    this.host.touched(this);
  }

  private safe(f: () => number): number { try { return f(); } catch { return 0; } }

  private peerConfig(): PeerConfig {
    return fsmConfigOf(this.spec, this.host.config, this.host.restarting());
  }
}
