// A PeerSpec (what the agent asked for) and the speaker's config as the FSM's PeerConfig: the
// OPEN we send (families, route refresh, graceful restart with our restart time and R bit) and
// the timers, with BIRD's defaults (hold 240 s, keepalive 80 s, restart time 120 s).

import { IPV4_UNICAST, IPV6_UNICAST, type Family } from '../codec/index.js';
import { peerConfig, type PeerConfig } from '../fsm/index.js';
import type { PeerSpec, SpeakerConfig } from './types.js';

export const DEFAULT_RESTART = 120;
/**
 * Seconds a session stays down after the peer went over its max-prefix limit, unless the
 * BGPPeer says otherwise: GoBGP's idle-hold-time-after-reset, and the most BIRD waits with
 * Calico's `error wait time 5,30`.
 */
export const DEFAULT_MAX_PREFIX_RESTART = 30;

/** The session's own address family first. */
const familiesFor = (address: string): Family[] => (address.includes(':') ? [IPV6_UNICAST, IPV4_UNICAST] : [IPV4_UNICAST, IPV6_UNICAST]);
const split = (f: Family): { afi: number; safi: number } => { const [afi, safi] = f.split('/').map(Number); return { afi: afi!, safi: safi! }; };

export function fsmConfigOf(s: PeerSpec, cfg: SpeakerConfig, restarting: boolean): PeerConfig {
  const families = familiesFor(s.address).map(split);
  const keepalive = s.keepaliveTime ?? 80;
  const holdTime = s.holdTime ?? (s.keepaliveTime !== undefined ? Math.max(3, s.keepaliveTime * 3) : 240);
  return peerConfig({
    localAs: s.localAsNumber ?? cfg.asNumber, localId: cfg.routerId, peerAs: s.asNumber,
    open: {
      families, routeRefresh: true, enhancedRouteRefresh: true,
      gracefulRestart: {
        restarting, notification: false, time: Math.min(4095, Math.round(s.restartTime ?? cfg.restartTime ?? DEFAULT_RESTART)),
        families: families.map((f) => ({ ...f, forwarding: true })),
      },
    },
    holdTime, keepalive: Math.min(keepalive, Math.floor(holdTime / 3) || keepalive),
    passive: s.passive === true,
    ...(s.connectRetry !== undefined ? { connectRetry: s.connectRetry } : {}),
    ...(s.connectDelay !== undefined ? { connectDelay: s.connectDelay } : {}),
    ...(s.errorWait !== undefined ? { errorWait: s.errorWait } : {}),
  });
}
