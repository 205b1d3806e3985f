// What we advertise to one peer for a prefix, given the Loc-RIB's best path (RFC 4271 §9.1.3,
// RFC 4456 §6-8, RFC 1997 well-known communities), or null for nothing.

import { familyKey, IPV6_UNICAST, prependAs, type PathAttributes } from '../codec/index.js';
import { isExternal, type Path, type PeerInfo, type RibConfig } from './types.js';

/** Decides per prefix whether the path may go to this peer (Calico's export filters, BGPFilter). */
export type ExportPolicy = (path: Path, peer: PeerInfo) => boolean;

export interface Advertised {
  readonly attributes: PathAttributes;
  readonly nextHops: readonly string[];
}

const NO_EXPORT = 0xffffff01;
const NO_ADVERTISE = 0xffffff02;
const DEFAULT_LOCAL_PREF = 100;

export function exportPath(best: Path, target: PeerInfo, cfg: RibConfig, policy?: ExportPolicy): Advertised | null {
  const src = best.peer;
  if (src?.id === target.id) return null; // never back to where it came from
  const a = best.attributes;
  const toExternal = isExternal(target);
  if (a.communities?.includes(NO_ADVERTISE)) return null;
  if (toExternal && a.communities?.includes(NO_EXPORT)) return null;
  let reflected = false;
  if (src && !isExternal(src) && !toExternal) {
    // RFC 4456 §6: iBGP-learned paths go to iBGP peers only through a route reflector — from a
    // client to everyone, from a non-client to clients only.
    if (cfg.clusterId === undefined) return null;
    if (!src.rrClient && !target.rrClient) return null;
    const originator = a.originatorId ?? src.routerId;
    if (originator === target.routerId) return null; // it would drop it anyway (§8)
    reflected = true;
  }
  if (policy && !policy(best, target)) return null;

  const out: Record<string, unknown> = { ...a };
  delete out.mpReach; delete out.mpUnreach; delete out.nextHop; delete out.as4Path; delete out.as4Aggregator;
  if (toExternal) {
    out.asPath = prependAs(a.asPath, target.localAs);
    delete out.localPref;
    delete out.originatorId;
    delete out.clusterList;
    // RFC 4271 §5.1.4: a MED learned from a neighbouring AS is not passed to other ASes.
    if (src) delete out.med;
  } else {
    out.asPath = a.asPath ?? [];
    out.localPref = a.localPref ?? DEFAULT_LOCAL_PREF;
    if (reflected) {
      out.originatorId = a.originatorId ?? src!.routerId;
      out.clusterList = [cfg.clusterId!, ...(a.clusterList ?? [])];
    } else {
      delete out.originatorId;
      delete out.clusterList;
    }
  }
  if (out.origin === undefined) out.origin = 0;
  const mode = target.nextHopMode ?? 'auto';
  const self = !src || mode === 'self' || (mode === 'auto' && toExternal) || best.nextHops.length === 0;
  const v6 = best.family === IPV6_UNICAST || best.family === familyKey(2, 2);
  let nextHops: string[];
  if (self) {
    const own = v6 ? target.localAddress6 : target.localAddress;
    if (own === undefined) return null; // no address of ours on this session: cannot advertise
    nextHops = v6 && target.localLinkLocal6 ? [own, target.localLinkLocal6] : [own];
  } else {
    // Keeping the next hop: the link-local part is only meaningful on the link it came from.
    nextHops = v6 ? best.nextHops.slice(0, 1) : [...best.nextHops];
  }
  return { attributes: out as PathAttributes, nextHops };
}
