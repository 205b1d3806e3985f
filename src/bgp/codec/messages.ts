// The five message types as data (RFC 4271 §4, RFC 2918 / RFC 7313 ROUTE-REFRESH).

import type { Capabilities } from './capabilities.js';
import type { PathAttributes } from './attributes.js';
import type { Nlri } from './nlri.js';
import type { WireError } from './wire-error.js';

export interface OpenMessage {
  readonly type: 'open';
  readonly version: number;
  /** The 2-octet My Autonomous System field: AS_TRANS when the real AS needs 4 octets (RFC 6793). */
  readonly myAs: number;
  readonly holdTime: number;
  readonly bgpId: string;
  readonly capabilities: Capabilities;
}

export interface UpdateMessage {
  readonly type: 'update';
  /** IPv4 unicast withdrawals (other families travel in `attributes.mpUnreach`). */
  readonly withdrawn: readonly Nlri[];
  readonly attributes: PathAttributes;
  /** IPv4 unicast reachable prefixes (other families travel in `attributes.mpReach`). */
  readonly nlri: readonly Nlri[];
}

export interface NotificationMessage {
  readonly type: 'notification';
  readonly code: number;
  readonly subcode: number;
  readonly data: Uint8Array;
}

export interface KeepaliveMessage { readonly type: 'keepalive' }

/** RFC 7313 §3.2 subtypes: 0 a plain refresh request, 1 Beginning of Route Refresh, 2 End of Route Refresh. */
export const REFRESH_SUBTYPE = { REQUEST: 0, BORR: 1, EORR: 2 } as const;

export interface RouteRefreshMessage {
  readonly type: 'route-refresh';
  readonly afi: number;
  readonly safi: number;
  /** Others than 0..2 are decoded but must be ignored by the receiver (RFC 7313 §5). */
  readonly subtype: number;
}

export type Message = OpenMessage | UpdateMessage | NotificationMessage | KeepaliveMessage | RouteRefreshMessage;

/**
 * The outcome of decoding one message. A decoded UPDATE may still carry `problems` of rank below
 * session reset (RFC 7606): discarded attributes, or an error that makes the whole UPDATE a
 * withdrawal (`treat-as-withdraw`) or that disables a family (`afi-safi-disable`).
 */
export type DecodeResult =
  | { readonly ok: true; readonly message: Message; readonly problems: readonly WireError[] }
  | { readonly ok: false; readonly error: WireError };
