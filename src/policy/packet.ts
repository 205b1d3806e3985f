// A packet as the evaluator sees it: the first packet of a connection (conntrack lets the rest
// through), from one address to another.

import type { IP } from '../lib/ip.js';

export interface Packet {
  readonly src: IP;
  readonly dst: IP;
  /** IP protocol number: 6 TCP, 17 UDP, 132 SCTP, 1 ICMP, 58 ICMPv6. */
  readonly protocol: number;
  /** Unknown for a trace (an ephemeral port); a rule that needs it does not match. */
  readonly srcPort?: number;
  readonly dstPort?: number;
  readonly icmpType?: number;
  readonly icmpCode?: number;
}

export const TCP = 6;
export const UDP = 17;
export const ICMP = 1;
export const ICMPV6 = 58;
export const SCTP = 132;
