// BGPPeer (calico.md §1, §7; Calico's api/.../v3/bgppeer.go and the CEL rules of its CRD): who
// peers (`node`, `nodeSelector`, or every node) with whom (`peerIP` + `asNumber`, Calico nodes
// chosen by `peerSelector`, or local workloads chosen by `localWorkloadSelector`).
// Unset `sourceAddress` means UseNodeIP, unset `reversePeering` means Auto, unset
// `maxRestartTime` means BIRD's 120s; Calico stores none of these defaults.
//
// `maxPrefixes`, `maxPrefixesAction` and `maxPrefixesRestartTime` are Tortie's: Calico's BGPPeer
// has no prefix limit (none in its API up to the v3.34 development branch, and confd renders no
// BIRD `import limit`).
// The limit counts the paths accepted from the peer per address family, as BIRD's channel
// `import limit N action restart|disable` and GoBGP's `max-prefixes` do; over it the session is
// closed with Cease "Maximum Number of Prefixes Reached" (RFC 4486) and, with Restart (the
// default), opened again after maxPrefixesRestartTime (default 30s).

import { z } from 'zod';
import { parseIP, type IP } from '../../lib/ip.js';
import { asNumber, dnsSubdomain, duration, durationMs, intIn, ipAddress, selector } from '../fields.js';
import { show } from '../issues.js';
import { defineKind } from '../kind.js';
import { bgpPassword } from './bgp-configuration.js';

/** `10.0.0.1`, `10.0.0.1:1790` or `[fd00::1]:1790` → address and optional port; null if none of these. */
export function parsePeerIP(s: string): { ip: IP; port?: number } | null {
  const v4 = /^([0-9.]+):(\d{1,5})$/.exec(s);
  const v6 = /^\[([0-9a-fA-F:.]+)\]:(\d{1,5})$/.exec(s);
  const m = v4 ?? v6;
  if (m) {
    const ip = parseIP(m[1]!);
    const port = Number(m[2]);
    if (ip === null || (v4 && ip.version !== 4) || port < 1 || port > 65535) return null;
    return { ip, port };
  }
  const ip = parseIP(s);
  return ip === null ? null : { ip };
}

const peerIP = () => z.string().max(64).refine((s) => parsePeerIP(s) !== null, {
  error: (i) => `${show(i.input)} is not a peer address: use an IP, "<IPv4>:<port>" or "[<IPv6>]:<port>" (port 1–65535)`,
});

export const bgpPeerSpec = z.strictObject({
  node: dnsSubdomain().optional(),
  nodeSelector: selector().optional(),
  peerIP: peerIP().optional(),
  asNumber: asNumber().optional(),
  localASNumber: asNumber().optional(),
  peerSelector: selector().optional(),
  localWorkloadSelector: selector().optional(),
  /** Deprecated by nextHopMode; applies to eBGP sessions only. */
  keepOriginalNextHop: z.boolean().optional(),
  nextHopMode: z.enum(['Auto', 'Self', 'Keep']).optional(),
  password: bgpPassword().optional(),
  sourceAddress: z.enum(['UseNodeIP', 'None']).optional(),
  maxRestartTime: duration().optional(),
  keepaliveTime: duration().optional(),
  numAllowedLocalASNumbers: z.number().int().min(0).max(2147483647).optional(),
  /** GTSM: the number of hops to the peer. */
  ttlSecurity: z.number().int().min(0).max(255).optional(),
  /** Gateway the peer is reached by: a static /32 (/128) route to peerIP is added through it. */
  reachableBy: ipAddress().optional(),
  /** BGPFilter names, applied in order. */
  filters: z.array(dnsSubdomain()).optional(),
  reversePeering: z.enum(['Auto', 'Manual']).optional(),
  /** Tortie: the most paths accepted from the peer per address family (the Cease data holds 4 octets). */
  maxPrefixes: intIn(1, 4294967295).optional(),
  /** Tortie: after the limit, reconnect after maxPrefixesRestartTime (Restart, default) or stay down (Disable). */
  maxPrefixesAction: z.enum(['Restart', 'Disable']).optional(),
  maxPrefixesRestartTime: duration().optional(),
}).transform((s, ctx) => {
  const issue = (path: string, message: string, input: unknown): void => { ctx.addIssue({ code: 'custom', path: [path], message, input }); };
  const set = (v: string | undefined): v is string => v !== undefined && v !== '';
  const hasAS = s.asNumber !== undefined && s.asNumber !== 0;
  if (set(s.node) && set(s.nodeSelector)) issue('nodeSelector', `cannot be set together with node ${show(s.node)}: choose one way to pick the local nodes`, s.nodeSelector);
  if (set(s.peerIP) && set(s.peerSelector)) issue('peerSelector', `cannot be set together with peerIP ${show(s.peerIP)}: peer with one address or with the selected nodes`, s.peerSelector);
  if (set(s.peerSelector) && hasAS) issue('asNumber', `${show(s.asNumber)} cannot be set with peerSelector: the AS number comes from each selected node`, s.asNumber);
  if (set(s.localWorkloadSelector)) {
    if (set(s.peerIP)) issue('peerIP', 'must be empty when localWorkloadSelector is set', s.peerIP);
    if (set(s.peerSelector)) issue('peerSelector', 'must be empty when localWorkloadSelector is set', s.peerSelector);
    if (!hasAS) issue('asNumber', 'is required when localWorkloadSelector is set', s.asNumber);
  }
  // Calico accepts a peerIP without an AS number and renders a session BIRD cannot start.
  if (set(s.peerIP) && !set(s.peerSelector) && !set(s.localWorkloadSelector) && !hasAS) issue('asNumber', `is required with peerIP ${show(s.peerIP)}`, s.asNumber);
  if (!set(s.peerIP) && !set(s.peerSelector) && !set(s.localWorkloadSelector)) {
    issue('peerIP', 'is required: set peerIP (with asNumber), peerSelector or localWorkloadSelector', s.peerIP);
  }
  if (s.reachableBy !== undefined) {
    const peer = set(s.peerIP) ? parsePeerIP(s.peerIP) : null;
    const via = parseIP(s.reachableBy);
    if (!set(s.peerIP)) issue('reachableBy', 'must be empty when peerIP is empty', s.reachableBy);
    else if (peer && via && peer.ip.version !== via.version) {
      issue('reachableBy', `${show(s.reachableBy)} is IPv${via.version} but peerIP ${show(s.peerIP)} is IPv${peer.ip.version}`, s.reachableBy);
    }
  }
  if (s.maxPrefixes === undefined) {
    if (s.maxPrefixesAction !== undefined) issue('maxPrefixesAction', 'needs maxPrefixes: the action applies when the peer goes over that limit', s.maxPrefixesAction);
    if (s.maxPrefixesRestartTime !== undefined) issue('maxPrefixesRestartTime', 'needs maxPrefixes: the session is held down after the peer goes over that limit', s.maxPrefixesRestartTime);
  } else if (s.maxPrefixesRestartTime !== undefined) {
    if (s.maxPrefixesAction === 'Disable') issue('maxPrefixesRestartTime', 'cannot be set with maxPrefixesAction Disable: a disabled session is not restarted', s.maxPrefixesRestartTime);
    else if (durationMs(s.maxPrefixesRestartTime) < 1000) issue('maxPrefixesRestartTime', `${show(s.maxPrefixesRestartTime)} is shorter than 1s: a peer over its limit would reconnect at once`, s.maxPrefixesRestartTime);
  }
  if (s.keepOriginalNextHop === true && s.nextHopMode !== undefined) {
    issue('keepOriginalNextHop', `cannot be set together with nextHopMode ${show(s.nextHopMode)}; keepOriginalNextHop is deprecated, use nextHopMode: Keep`, s.keepOriginalNextHop);
  }
  return s;
});

export type BGPPeerSpec = z.output<typeof bgpPeerSpec>;

export const BGPPeer = defineKind({
  kind: 'BGPPeer', plural: 'bgppeers', shortNames: ['bgpp', 'bgpps', 'bp', 'bps'], namespaced: false,
  spec: bgpPeerSpec,
});
