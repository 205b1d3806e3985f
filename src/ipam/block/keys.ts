// Calico's IPAM key layout in the datastore (calico.md §3; libcalico-go/lib/backend/model):
//   /calico/ipam/v2/assignment/ipv4/block/10.65.0.0-26       an AllocationBlock
//   /calico/ipam/v2/host/<node>/ipv4/block/10.65.0.0-26      a BlockAffinity of <node>
//   /calico/ipam/v2/handle/<handleID>                         an IPAMHandle
// A CIDR's '/' becomes '-' in keys.

import { formatCIDR, parseCIDR, type CIDR } from '../../lib/ip.js';

export const IPAM_ROOT = '/calico/ipam/v2/';
export const HANDLE_PREFIX = `${IPAM_ROOT}handle/`;

const cidrPart = (c: CIDR): string => formatCIDR(c).replace('/', '-');

export const blockPrefix = (version: 4 | 6): string => `${IPAM_ROOT}assignment/ipv${version}/block/`;
export const blockKey = (c: CIDR): string => `${blockPrefix(c.version)}${cidrPart(c)}`;

export const affinityPrefix = (node: string, version: 4 | 6): string => `${IPAM_ROOT}host/${node}/ipv${version}/block/`;
export const affinityKey = (node: string, c: CIDR): string => `${affinityPrefix(node, c.version)}${cidrPart(c)}`;
/** Every node's affinities: list this and parse with `parseAffinityKey`. */
export const ALL_AFFINITIES_PREFIX = `${IPAM_ROOT}host/`;

export const handleKey = (handle: string): string => `${HANDLE_PREFIX}${handle}`;

/** The CIDR at the end of a block or affinity key (`…/10.65.0.0-26`). */
function cidrOfKeyTail(tail: string): CIDR | null {
  const i = tail.lastIndexOf('-');
  return i < 0 ? null : parseCIDR(`${tail.slice(0, i)}/${tail.slice(i + 1)}`);
}

export function parseBlockKey(key: string): CIDR | null {
  const m = /^\/calico\/ipam\/v2\/assignment\/ipv[46]\/block\/([^/]+)$/.exec(key);
  return m ? cidrOfKeyTail(m[1]!) : null;
}

export function parseAffinityKey(key: string): { node: string; cidr: CIDR } | null {
  const m = /^\/calico\/ipam\/v2\/host\/([^/]+)\/ipv[46]\/block\/([^/]+)$/.exec(key);
  const cidr = m ? cidrOfKeyTail(m[2]!) : null;
  return m && cidr ? { node: m[1]!, cidr } : null;
}

export function parseHandleKey(key: string): string | null {
  return key.startsWith(HANDLE_PREFIX) ? key.slice(HANDLE_PREFIX.length) : null;
}
