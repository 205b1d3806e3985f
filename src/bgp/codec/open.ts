// Building our OPEN and negotiating a session from the two OPENs (RFC 4271 §4.2, RFC 5492,
// RFC 6793 §3, RFC 8654 §3, RFC 7911 §4, RFC 4760 §8).

import type { AddPathFamily, AfiSafi, Capabilities, GracefulRestartCapability } from './capabilities.js';
import { AS_TRANS, BGP_VERSION, MAX_EXTENDED_MESSAGE_LENGTH, MAX_MESSAGE_LENGTH, familyKey, type Family } from './constants.js';
import type { CodecContext } from './context.js';
import type { OpenMessage } from './messages.js';

export interface LocalOpenSettings {
  readonly as: number;
  readonly bgpId: string;
  /** Seconds; 0 disables keepalives, otherwise at least 3. BIRD's default is 240. */
  readonly holdTime: number;
  readonly families: readonly AfiSafi[];
  readonly routeRefresh?: boolean;
  readonly enhancedRouteRefresh?: boolean;
  readonly extendedMessage?: boolean;
  readonly gracefulRestart?: GracefulRestartCapability;
  /** Calico's BIRD config says `add paths on` (send and receive). */
  readonly addPath?: readonly AddPathFamily[];
  readonly hostname?: string;
}

export function buildOpen(s: LocalOpenSettings): OpenMessage {
  const caps: Record<string, unknown> = {
    multiprotocol: s.families.map((f) => ({ afi: f.afi, safi: f.safi })),
    fourOctetAs: s.as,
  };
  if (s.routeRefresh !== false) caps.routeRefresh = true;
  if (s.enhancedRouteRefresh) caps.enhancedRouteRefresh = true;
  if (s.extendedMessage) caps.extendedMessage = true;
  if (s.gracefulRestart) caps.gracefulRestart = s.gracefulRestart;
  if (s.addPath && s.addPath.length > 0) caps.addPath = s.addPath;
  if (s.hostname) caps.fqdn = { hostname: s.hostname, domain: '' };
  return {
    type: 'open', version: BGP_VERSION, myAs: s.as > 0xffff ? AS_TRANS : s.as, holdTime: s.holdTime,
    bgpId: s.bgpId, capabilities: caps as Capabilities,
  };
}

/** The AS an OPEN speaks for: the 4-octet capability when present (RFC 6793 §4.1), else My AS. */
export const peerAsOf = (o: OpenMessage): number => o.capabilities.fourOctetAs ?? o.myAs;

/** Families an OPEN announces; none announced means IPv4 unicast only (RFC 4760 §8 / RFC 2858). */
export const familiesOf = (o: OpenMessage): Family[] =>
  o.capabilities.multiprotocol ? [...new Set(o.capabilities.multiprotocol.map((f) => familyKey(f.afi, f.safi)))] : [familyKey(1, 1)];

export interface Negotiated {
  readonly peerAs: number;
  readonly peerId: string;
  /** min(ours, theirs): 0 means no hold timer and no keepalives (RFC 4271 §4.2). */
  readonly holdTime: number;
  /** Seconds between KEEPALIVEs: our configured value capped at a third of the hold time. */
  readonly keepalive: number;
  readonly fourOctetAs: boolean;
  readonly extendedMessage: boolean;
  readonly maxLength: number;
  /** Families both sides announced. */
  readonly families: readonly Family[];
  readonly addPathReceive: ReadonlySet<Family>;
  readonly addPathSend: ReadonlySet<Family>;
  readonly routeRefresh: boolean;
  readonly enhancedRouteRefresh: boolean;
  /** The peer's graceful-restart capability, if it sent one. */
  readonly peerGracefulRestart?: GracefulRestartCapability;
  /** For decoding what the peer sends, and encoding what we send. */
  readonly decode: CodecContext;
  readonly encode: CodecContext;
}

export function negotiate(local: OpenMessage, remote: OpenMessage, opts: { keepalive?: number; external: boolean }): Negotiated {
  const holdTime = Math.min(local.holdTime, remote.holdTime);
  const third = Math.floor(holdTime / 3);
  const keepalive = holdTime === 0 ? 0 : Math.max(1, Math.min(opts.keepalive ?? third, third));
  const lc = local.capabilities, rc = remote.capabilities;
  const fourOctetAs = lc.fourOctetAs !== undefined && rc.fourOctetAs !== undefined;
  const extendedMessage = lc.extendedMessage === true && rc.extendedMessage === true;
  const maxLength = extendedMessage ? MAX_EXTENDED_MESSAGE_LENGTH : MAX_MESSAGE_LENGTH;
  const theirs = new Set(familiesOf(remote));
  const families = familiesOf(local).filter((f) => theirs.has(f));
  // RFC 7911 §4: we receive path IDs where we said receive and they said send, and vice versa.
  const ap = (caps: Capabilities, dir: 'send' | 'receive'): Set<Family> =>
    new Set((caps.addPath ?? []).filter((f) => f[dir]).map((f) => familyKey(f.afi, f.safi)));
  const lr = ap(lc, 'receive'), ls = ap(lc, 'send'), rr = ap(rc, 'receive'), rs = ap(rc, 'send');
  const addPathReceive = new Set([...lr].filter((f) => rs.has(f) && families.includes(f)));
  const addPathSend = new Set([...ls].filter((f) => rr.has(f) && families.includes(f)));
  const base = { fourOctetAs, maxLength, external: opts.external };
  const out: Negotiated = {
    peerAs: peerAsOf(remote), peerId: remote.bgpId, holdTime, keepalive, fourOctetAs, extendedMessage, maxLength,
    families, addPathReceive, addPathSend,
    routeRefresh: (lc.routeRefresh === true) && (rc.routeRefresh === true || rc.ciscoRouteRefresh === true),
    enhancedRouteRefresh: lc.enhancedRouteRefresh === true && rc.enhancedRouteRefresh === true,
    decode: { ...base, addPath: addPathReceive },
    encode: { ...base, addPath: addPathSend },
  };
  return rc.gracefulRestart ? { ...out, peerGracefulRestart: rc.gracefulRestart } : out;
}
