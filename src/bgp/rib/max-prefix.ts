// RFC 4486 §4: the Cease NOTIFICATION for "Maximum Number of Prefixes Reached" carries AFI (2),
// SAFI (1) and the limit (4).

import { CEASE_SUB, ERR, notification, type Family, type NotificationMessage } from '../codec/index.js';

export function maxPrefixNotification(family: Family, limit: number): NotificationMessage {
  const [afi, safi] = family.split('/').map(Number);
  const d = new Uint8Array(7);
  d[0] = (afi! >> 8) & 0xff; d[1] = afi! & 0xff; d[2] = safi!;
  new DataView(d.buffer).setUint32(3, limit >>> 0);
  return notification(ERR.CEASE, CEASE_SUB.MAX_PREFIXES, d);
}
