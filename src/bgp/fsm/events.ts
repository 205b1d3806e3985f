// From a decoded message (or decode error) to the FSM event it is (RFC 4271 §8.1.4-8.1.5).

import { ERR, OPEN_SUB, type DecodeResult } from '../codec/index.js';
import type { FsmEvent } from './types.js';

export function eventOf(r: DecodeResult): FsmEvent {
  if (!r.ok) {
    if (r.error.code === ERR.HEADER) return { type: 'BGPHeaderErr', error: r.error };
    if (r.error.code === ERR.OPEN) return { type: 'BGPOpenMsgErr', error: r.error };
    return { type: 'UpdateMsgErr', error: r.error }; // UPDATE and ROUTE-REFRESH errors alike
  }
  const m = r.message;
  switch (m.type) {
    case 'open': return { type: 'BGPOpen', open: m };
    case 'keepalive': return { type: 'KeepAliveMsg' };
    case 'notification':
      return m.code === ERR.OPEN && m.subcode === OPEN_SUB.UNSUPPORTED_VERSION
        ? { type: 'NotifMsgVerErr', notification: m } : { type: 'NotifMsg', notification: m };
    case 'update': case 'route-refresh': return { type: 'UpdateMsg' };
  }
}
