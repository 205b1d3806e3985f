// Sample messages covering every message type and every attribute: the round-trip tests use
// them, and the fuzz test mutates their encodings. Test support, private to the codec room.

import { parseCIDR } from '../../lib/ip.js';
import type { Message, UpdateMessage } from './messages.js';
import type { Nlri } from './nlri.js';
import { buildOpen } from './open.js';

export const pfx = (s: string, pathId?: number): Nlri => {
  const c = parseCIDR(s)!;
  return pathId === undefined ? c : { ...c, pathId };
};

export const FULL_UPDATE: UpdateMessage = {
  type: 'update',
  withdrawn: [pfx('10.1.0.0/16'), pfx('10.2.3.0/24'), pfx('0.0.0.0/0')],
  attributes: {
    origin: 1,
    asPath: [{ type: 'sequence', asns: [65001, 4200000001, 65002] }, { type: 'set', asns: [65010, 65011] }],
    nextHop: '192.0.2.1',
    med: 77,
    localPref: 200,
    atomicAggregate: true,
    aggregator: { as: 4200000009, address: '192.0.2.9' },
    communities: [0xffffff01, 65000 * 65536 + 100],
    originatorId: '10.0.0.7',
    clusterList: ['10.0.0.1', '10.0.0.2'],
    largeCommunities: [[4200000001, 1, 2], [65000, 0, 4294967295]],
    unknown: [{ code: 99, flags: 0xe0, value: new Uint8Array([1, 2, 3]) }],
  },
  nlri: [pfx('192.168.236.0/26'), pfx('192.168.236.3/32'), pfx('172.16.0.0/12')],
};

export const IPV6_UPDATE: UpdateMessage = {
  type: 'update',
  withdrawn: [],
  attributes: {
    mpUnreach: { afi: 2, safi: 1, withdrawn: [pfx('fd00:1::/64'), pfx('::/0')] },
    mpReach: { afi: 2, safi: 1, nextHops: ['fd00:99::2', 'fe80::1:2ff:fe03:405'], nlri: [pfx('fd00:65::/122'), pfx('2001:db8::/32'), pfx('fd00:65::1/128')] },
    origin: 0,
    asPath: [{ type: 'sequence', asns: [65002] }],
  },
  nlri: [],
};

/** Over 255 octets of communities: the Extended Length flag must be used. */
export const EXTENDED_LENGTH_UPDATE: UpdateMessage = {
  type: 'update',
  withdrawn: [],
  attributes: {
    origin: 0, asPath: [{ type: 'sequence', asns: [65001] }], nextHop: '192.0.2.1',
    communities: Array.from({ length: 100 }, (_, i) => 65000 * 65536 + i),
  },
  nlri: [pfx('10.9.0.0/16')],
};

export const SAMPLES: readonly Message[] = [
  buildOpen({
    as: 4200000001, bgpId: '10.0.0.1', holdTime: 240, families: [{ afi: 1, safi: 1 }, { afi: 2, safi: 1 }],
    routeRefresh: true, enhancedRouteRefresh: true, extendedMessage: true,
    gracefulRestart: { restarting: true, notification: true, time: 120, families: [{ afi: 1, safi: 1, forwarding: true }, { afi: 2, safi: 1, forwarding: false }] },
    addPath: [{ afi: 1, safi: 1, send: true, receive: true }], hostname: 'node-1',
  }),
  { type: 'open', version: 4, myAs: 65001, holdTime: 0, bgpId: '1.2.3.4', capabilities: {} },
  FULL_UPDATE,
  IPV6_UPDATE,
  EXTENDED_LENGTH_UPDATE,
  { type: 'update', withdrawn: [], attributes: {}, nlri: [] },
  { type: 'update', withdrawn: [], attributes: { mpUnreach: { afi: 2, safi: 1, withdrawn: [] } }, nlri: [] },
  { type: 'notification', code: 6, subcode: 2, data: new Uint8Array([3, 0x62, 0x79, 0x65]) },
  { type: 'notification', code: 4, subcode: 0, data: new Uint8Array() },
  { type: 'keepalive' },
  { type: 'route-refresh', afi: 1, safi: 1, subtype: 0 },
  { type: 'route-refresh', afi: 2, safi: 1, subtype: 1 },
  { type: 'route-refresh', afi: 2, safi: 1, subtype: 2 },
];
