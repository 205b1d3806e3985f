// What the agent tells the speaker (config, peers, exports) and what it gets back (learned best
// routes, peer status, the Loc-RIB). Plain data: the agent's pure BGP plan (src/calc/bgp-config.ts)
// produces the first part, `tortie node status` and `tortie bgp routes` print the second.

/** calicoctl's PEER TYPE column. */
export type PeerType = 'node-to-node mesh' | 'global' | 'node specific';

export interface SpeakerConfig {
  /** BGP identifier: the node's IPv4 address (Calico's `router id`). */
  readonly routerId: string;
  readonly asNumber: number;
  /** 179 unless BGPConfiguration `listenPort` says otherwise; 0 = do not listen. */
  readonly listenPort: number;
  /** BGPConfiguration `bindMode: NodeIP`: listen on this address only (default: every address). */
  readonly listenAddress?: string;
  /** Set when this node is a route reflector (Node `bgp.routeReflectorClusterID`). */
  readonly clusterId?: string;
  /** Our own restart time announced in the graceful-restart capability (BIRD default 120 s). */
  readonly restartTime?: number;
  /** The R bit: set on sessions that come up after this speaker restarted (RFC 4724 §3). */
  readonly restarting?: boolean;
}

export interface PeerSpec {
  /** BIRD protocol name as confd writes it: `Mesh_10_0_0_2`, `Node_…`, `Global_…`. */
  readonly name: string;
  readonly type: PeerType;
  readonly address: string;
  /** Remote port (179 unless `peerIP` says `ip:port` or the peer node listens elsewhere). */
  readonly port?: number;
  readonly asNumber: number;
  /** BGPPeer `localASNumber`: our AS on this session (default: the speaker's). */
  readonly localAsNumber?: number;
  /** Wait for the peer to connect (Calico: towards peers whose address is greater than ours). */
  readonly passive?: boolean;
  /** This iBGP peer is our route-reflector client (`rr client`). */
  readonly rrClient?: boolean;
  /** Seconds; BIRD: hold 240, keepalive 80. */
  readonly holdTime?: number;
  readonly keepaliveTime?: number;
  /** Our restart time announced to this peer (BGPPeer `maxRestartTime`, `nodeMeshMaxRestartTime`). */
  readonly restartTime?: number;
  /** TCP MD5 signature key (RFC 2385). */
  readonly password?: string;
  /** Local address to bind outgoing connections to (`source address`; BGPPeer sourceAddress UseNodeIP). */
  readonly sourceAddress?: string;
  /** BGPPeer `numAllowedLocalASNumbers` (allowas-in). */
  readonly allowAsIn?: number;
  /** BGPPeer `ttlSecurity`: GTSM, the number of hops to the peer (RFC 5082). */
  readonly ttlSecurity?: number;
  /**
   * Maximum number of paths accepted from the peer per address family (BIRD's per-channel
   * `import limit`); one more and the session is closed with Cease/1 (RFC 4486).
   */
  readonly maxPrefixes?: number;
  /** After the limit: `restart` (default) after `maxPrefixesRestartTime`, or `disable` until reconfigured. */
  readonly maxPrefixesAction?: 'restart' | 'disable';
  /** Seconds the session stays down after the limit (default 30, GoBGP's idle-hold-time-after-reset). */
  readonly maxPrefixesRestartTime?: number;
  readonly nextHopMode?: 'auto' | 'self' | 'keep';
  /** Timers for tests and unusual networks (seconds): connect retry, connect delay, error wait. */
  readonly connectRetry?: number;
  readonly connectDelay?: number;
  readonly errorWait?: readonly [number, number];
}

/** A best route learned from a peer: what the kernel should get. */
export interface LearnedRoute {
  /** CIDR text, e.g. `10.65.1.0/26`. */
  readonly prefix: string;
  readonly nextHop: string;
  /** The peer's address (and name) the best path came from. */
  readonly peer: string;
  readonly peerName: string;
  /** The best-path rule that decided (`only-path`, `local-pref`, `as-path-length`, …). */
  readonly decidedBy: string;
  /** Kept from a peer that is restarting (RFC 4724): still forwarded on, flushed if it does not come back. */
  readonly stale?: boolean;
}

/** A learned route that changed: what it is now, or null when no peer's path is best any more. */
export interface LearnedChange {
  readonly prefix: string;
  readonly route: LearnedRoute | null;
}

export interface PeerStatus {
  readonly name: string;
  readonly address: string;
  readonly port: number;
  readonly type: PeerType;
  readonly asNumber: number;
  /** BIRD's protocol state: `up` when Established, `start` while trying, `down` when stopped. */
  readonly state: 'up' | 'start' | 'down';
  /** The RFC 4271 FSM state. */
  readonly bgpState: string;
  /** When the state last changed (ISO time). */
  readonly since: string;
  /** calicoctl's INFO column: `Established`, `Active`, `Passive`, `Connect`, `Idle BGP Error: …`. */
  readonly info: string;
  readonly routerId?: string;
  readonly prefixes: { readonly received: number; readonly accepted: number; readonly advertised: number };
  readonly updates: { readonly received: number; readonly sent: number };
  /** Routes kept from before the peer restarted, until its End-of-RIB or its restart time. */
  readonly stale: number;
  readonly lastError?: string;
  /** Times the peer went over its max-prefix limit since the speaker started. */
  readonly maxPrefixHits?: number;
  /** Families switched off on this session by an RFC 7606 "AFI/SAFI disable" error (RFC 4760 §7). */
  readonly disabledFamilies?: readonly string[];
}

export interface SpeakerStatus {
  readonly routerId: string;
  readonly asNumber: number;
  readonly listening: string | null;
  readonly clusterId?: string;
  /** Every configured peer has sent End-of-RIB (or the wait ran out) since start. */
  readonly converged: boolean;
  readonly peers: readonly PeerStatus[];
  readonly problems: readonly string[];
}

/** One Loc-RIB entry, with the reason its best path won. */
export interface RibRoute {
  readonly prefix: string;
  readonly family: string;
  readonly nextHops: readonly string[];
  /** `local` for this node's own exports. */
  readonly from: string;
  readonly fromName?: string;
  readonly decidedBy: string;
  readonly ecmp: number;
  readonly asPath: string;
  readonly origin: string;
  readonly localPref?: number;
  readonly med?: number;
  readonly originatorId?: string;
  readonly clusterList?: readonly string[];
  readonly communities?: readonly string[];
}
