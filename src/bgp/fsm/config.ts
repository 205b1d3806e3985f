// Per-peer defaults: what Calico's BIRD template gives every peer (reference/calico.md §7).

import type { FsmState, PeerConfig } from './types.js';

export const CALICO_DEFAULTS = {
  holdTime: 240,        // BIRD default
  keepalive: 80,        // BIRD default: hold / 3
  connectRetry: 5,      // `connect retry time 5`
  connectDelay: 2,      // `connect delay time 2`
  errorWait: [5, 30],   // `error wait time 5,30`
  errorForget: 300,     // BIRD default `error forget time`
  delayOpen: 0,
  passive: false,
  dampPeerOscillations: true,
} as const satisfies Partial<PeerConfig>;

export function peerConfig(c: Pick<PeerConfig, 'localAs' | 'localId' | 'peerAs' | 'open'> & Partial<PeerConfig>): PeerConfig {
  return { ...CALICO_DEFAULTS, ...c };
}

export function initialState(config: PeerConfig): FsmState {
  return { name: 'Idle', config, connectRetryCounter: 0, idleHoldTime: config.errorWait[0], automatic: false, timers: [] };
}
