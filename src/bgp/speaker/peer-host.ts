// What a Peer needs from the speaker that owns it: the configuration, the shared RIB, a clock,
// the export policy, and where to report Loc-RIB changes, state changes and End-of-RIB.

import type { Clock } from '../fsm/index.js';
import type { BestChange, ExportPolicy, Rib } from '../rib/index.js';
import type { Peer } from './peer.js';
import type { SpeakerConfig } from './types.js';

export interface PeerHost {
  readonly config: SpeakerConfig;
  readonly rib: Rib;
  readonly clock: Clock;
  readonly exportPolicy: ExportPolicy;
  /** Loc-RIB changes caused by this peer (the speaker fans them out and tells the agent). */
  changes(changes: readonly BestChange[]): void;
  /** Any change worth a status refresh (state, counters). */
  touched(peer: Peer): void;
  /** The peer's first End-of-RIB (all families) after start: used to decide convergence. */
  endOfRib(peer: Peer): void;
  /** Our graceful-restart R bit is still to be set in new OPENs. */
  restarting(): boolean;
  log(level: 'debug' | 'info' | 'warn', o: object, msg: string): void;
}
