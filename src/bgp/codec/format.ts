// One readable line per message part, for debug logs and fixture reviews.

import { formatAttributes, formatNlri } from './attributes.js';
import { formatCapabilities } from './capabilities.js';
import type { Message } from './messages.js';
import { formatNotification } from './notification.js';

export function formatMessage(m: Message): string[] {
  switch (m.type) {
    case 'open':
      return [`OPEN version ${m.version} AS ${m.myAs} hold ${m.holdTime} id ${m.bgpId}`, ...formatCapabilities(m.capabilities).map((c) => `  ${c}`)];
    case 'update': {
      const out = ['UPDATE'];
      if (m.withdrawn.length) out.push(`  withdrawn: ${m.withdrawn.map(formatNlri).join(' ')}`);
      for (const a of formatAttributes(m.attributes)) out.push(`  ${a}`);
      if (m.nlri.length) out.push(`  nlri: ${m.nlri.map(formatNlri).join(' ')}`);
      return out;
    }
    case 'notification': return [`NOTIFICATION ${formatNotification(m)}`];
    case 'keepalive': return ['KEEPALIVE'];
    case 'route-refresh': return [`ROUTE-REFRESH ${m.afi}/${m.safi}${['', ' BoRR', ' EoRR'][m.subtype] ?? ` subtype ${m.subtype}`}`];
  }
}
