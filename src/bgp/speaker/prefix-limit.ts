// A peer's max-prefix limit once it is hit (RFC 4486): the FSM event that ends the session — Cease
// "Maximum Number of Prefixes Reached" with AFI, SAFI and the limit, then Idle for the hold-down,
// or for good with the `disable` action (BIRD's `import limit … action restart|disable`) — and
// what `tortie node status` says meanwhile ("Idle max-prefix 100 exceeded (IPv4 unicast); retry
// in 27 s"). Connections from the peer are refused while its FSM is Idle (peer.ts `incoming`).

import { formatFamily, type Family } from '../codec/index.js';
import type { AutomaticStopEvent, Clock, FsmState } from '../fsm/index.js';
import { maxPrefixNotification } from '../rib/index.js';
import { DEFAULT_MAX_PREFIX_RESTART } from './peer-config.js';
import type { PeerSpec } from './types.js';

export interface Exceeded { readonly family: Family; readonly limit: number; readonly count: number }

export class PrefixLimit {
  /** Why the session is held down, and until when (clock ms; null: until the peer is reconfigured). */
  private held: { readonly why: string; readonly until: number | null } | undefined;
  /** Times the limit was hit since the speaker started. */
  hits = 0;

  constructor(private readonly spec: PeerSpec, private readonly clock: Clock) {}

  /** The limit was hit: the event for the FSM (RFC 4271 §8.1.2 event 8) and a line for the log. */
  reached(x: Exceeded): { event: AutomaticStopEvent; log: string } {
    const disable = this.spec.maxPrefixesAction === 'disable';
    const wait = this.spec.maxPrefixesRestartTime ?? DEFAULT_MAX_PREFIX_RESTART;
    const why = `max-prefix ${x.limit} exceeded (${formatFamily(x.family)})`;
    this.hits++;
    this.held = { why, until: disable ? null : this.clock.now() + wait * 1000 };
    return {
      event: {
        type: 'AutomaticStop', notification: maxPrefixNotification(x.family, x.limit), text: `BGP peer ${why}`,
        ...(disable ? { disable: true } : { holdDown: wait }),
      },
      log: `${x.count} ${formatFamily(x.family)} prefixes, over its limit of ${x.limit}; session closed, ${disable ? 'disabled until the peer is reconfigured' : `retry in ${wait} s`}`,
    };
  }

  /** The session left Idle: the hold-down is over. */
  clear(): void { this.held = undefined; }

  /** The status text while the FSM is held in Idle by the limit (its IdleHold running, or disabled), else undefined. */
  info(fsm: FsmState): string | undefined {
    const h = this.held;
    if (fsm.name !== 'Idle' || h === undefined) return undefined;
    if (h.until === null) return `${h.why}; disabled until the peer is reconfigured`;
    if (!fsm.timers.includes('IdleHold')) return undefined;
    return `${h.why}; retry in ${Math.max(0, Math.ceil((h.until - this.clock.now()) / 1000))} s`;
  }
}
