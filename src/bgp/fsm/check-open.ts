// Is a received OPEN acceptable for this peer (RFC 4271 §6.2, RFC 6286, RFC 5492)? Either the
// NOTIFICATION to answer with, or the negotiated session.

import {
  AS_TRANS, buildOpen, ERR, negotiate, notification, OPEN_SUB, peerAsOf,
  type Negotiated, type NotificationMessage, type OpenMessage,
} from '../codec/index.js';
import type { PeerConfig } from './types.js';

export const localOpenOf = (c: PeerConfig): OpenMessage =>
  buildOpen({ ...c.open, as: c.localAs, bgpId: c.localId, holdTime: c.holdTime });

export type OpenVerdict =
  | { readonly ok: true; readonly negotiated: Negotiated }
  | { readonly ok: false; readonly notification: NotificationMessage; readonly reason: string };

const fail = (subcode: number, reason: string, data?: Uint8Array): OpenVerdict =>
  ({ ok: false, notification: notification(ERR.OPEN, subcode, data), reason });

export function checkOpen(c: PeerConfig, open: OpenMessage): OpenVerdict {
  const peerAs = peerAsOf(open);
  const four = open.capabilities.fourOctetAs;
  // RFC 6793 §4.1: a 4-octet AS travels as AS_TRANS in My AS.
  if (peerAs !== c.peerAs || (four !== undefined && four > 0xffff && open.myAs !== AS_TRANS)) {
    return fail(OPEN_SUB.BAD_PEER_AS, `The peer says it is AS ${peerAs}, expected AS ${c.peerAs}`,
      new Uint8Array([(open.myAs >> 8) & 0xff, open.myAs & 0xff]));
  }
  // RFC 6286 §2.2: within an AS the identifiers must differ.
  if (peerAs === c.localAs && open.bgpId === c.localId) {
    return fail(OPEN_SUB.BAD_BGP_IDENTIFIER, `The peer uses our own BGP identifier ${c.localId}`);
  }
  const local = localOpenOf(c);
  const negotiated = negotiate(local, open, { keepalive: c.keepalive, external: peerAs !== c.localAs });
  if (negotiated.families.length === 0) {
    return fail(OPEN_SUB.UNSUPPORTED_CAPABILITY, 'The peer shares no address family with us');
  }
  return { ok: true, negotiated };
}
