// RFC 4271 §6.8 connection collision detection, as a pure function over two connections to the
// same peer. The session layer asks it when an OPEN arrives while another connection exists.

import { ipv4Number } from '../codec/index.js';
import type { StateName } from './types.js';

export interface ConnectionView {
  readonly state: StateName;
  /** We initiated this connection (connect), rather than accepted it. */
  readonly outbound: boolean;
}

export type CollisionVerdict =
  | { readonly dump: 'a' | 'b'; readonly rule: 'established-wins' | 'higher-id-keeps-its-connection' | 'higher-as-keeps-its-connection' }
  | { readonly dump: null; readonly rule: 'no-collision' | 'undecided' };

/**
 * `localId`/`remoteId` are BGP identifiers (the remote one from an OPEN already received on one of
 * the connections). RFC 4271 §6.8: keep the connection initiated by the speaker with the higher
 * identifier. An Established connection always wins (BIRD; §6.8 "collision with existing
 * BGP connection that is in the Established state"). With equal identifiers (possible between
 * ASes, RFC 6286 §2.3) the speaker with the larger AS keeps its connection.
 */
export function resolveCollision(a: ConnectionView, b: ConnectionView,
  ids: { localId: string; remoteId: string; localAs?: number; remoteAs?: number }): CollisionVerdict {
  const live = (s: StateName): boolean => s === 'OpenSent' || s === 'OpenConfirm' || s === 'Established';
  if (!live(a.state) || !live(b.state) || a.outbound === b.outbound) return { dump: null, rule: 'no-collision' };
  if (a.state === 'Established') return { dump: 'b', rule: 'established-wins' };
  if (b.state === 'Established') return { dump: 'a', rule: 'established-wins' };
  const l = ipv4Number(ids.localId), r = ipv4Number(ids.remoteId);
  let keepOutbound: boolean;
  let rule: 'higher-id-keeps-its-connection' | 'higher-as-keeps-its-connection' = 'higher-id-keeps-its-connection';
  if (l !== r) keepOutbound = l > r;
  else if (ids.localAs !== undefined && ids.remoteAs !== undefined && ids.localAs !== ids.remoteAs) {
    keepOutbound = ids.localAs > ids.remoteAs;
    rule = 'higher-as-keeps-its-connection';
  } else return { dump: null, rule: 'undecided' };
  const dumpA = a.outbound !== keepOutbound;
  return { dump: dumpA ? 'a' : 'b', rule };
}
