// iproute2's text in both directions, without running anything: the batch lines we write, the
// JSON (`ip -j …`) we read, and the stderr of `ip -force -batch -` mapped back to the lines that
// failed. Private to the linux room; tested with captured output in iproute2-text.test.ts.

import { canonicalDst, canonicalRoute, type FdbEntry, type LinkInfo, type Neighbour, type NetlinkFailure, type Route } from '../index.js';
import type { KernelRoute } from './kernel-route.js';

// ---- batch lines ------------------------------------------------------------------------------

/** `route replace …` for a canonical route (scope omitted for IPv6, which ignores it). */
export function routeReplaceLine(r: Route, protocol: number): string {
  if (r.type !== 'unicast') return `route replace ${r.type} ${r.dst} proto ${protocol}`;
  // Concatenated, not joined from an array: a full BGP table is 100,000 of these.
  let line = `route replace ${r.dst}`;
  if (r.via !== undefined) line += ` via ${r.via}`;
  if (r.dev !== undefined) line += ` dev ${r.dev}`;
  if (r.onlink) line += ' onlink';
  if (r.scope !== undefined && !r.dst.includes(':')) line += ` scope ${r.scope}`;
  if (r.src !== undefined) line += ` src ${r.src}`;
  return `${line} proto ${protocol}`;
}

/** `route del` names our protocol: the kernel then refuses to delete a route someone else owns. */
export const routeDelLine = (r: Route, protocol: number): string => `route del ${r.dst} proto ${protocol}`;

export const neighReplaceLine = (n: Neighbour): string => `neigh replace ${n.ip} lladdr ${n.mac} dev ${n.dev} nud permanent`;
export const neighDelLine = (n: Neighbour): string => `neigh del ${n.ip} dev ${n.dev}`;
export const fdbReplaceLine = (f: FdbEntry): string => `fdb replace ${f.mac} dev ${f.dev} dst ${f.dst} self permanent`;
export const fdbDelLine = (f: FdbEntry): string => `fdb del ${f.mac} dev ${f.dev} dst ${f.dst} self`;

// ---- batch errors -----------------------------------------------------------------------------

export interface BatchErrors {
  /** Failures iproute2 attributed to a line (1-based). */
  readonly lines: ReadonlyArray<{ readonly line: number; readonly error: string }>;
  /** Error text after the last attributed failure: the batch stopped there (a parse error, or a
   *  command such as `ip neigh` that exits on a kernel error even under -force). */
  readonly fatal: string | null;
}

/**
 * Splits the stderr of `-force -batch -`: each failure prints its message lines, then
 * `Command failed -:<line>` (node-libs.md §1).
 */
export function parseBatchErrors(stderr: string): BatchErrors {
  const lines: Array<{ line: number; error: string }> = [];
  let buf: string[] = [];
  for (const l of stderr.split('\n')) {
    const m = /^Command failed (?:-|\S+):(\d+)\s*$/.exec(l);
    if (m) { lines.push({ line: Number(m[1]), error: buf.join('\n').trim() || 'failed' }); buf = []; }
    else if (l.trim() !== '') buf.push(l);
  }
  return { lines, fatal: buf.length > 0 ? buf.join('\n').trim() : null };
}

/** The kernel's "it is not there" answers to a delete: the delete is already done. */
export const isAbsent = (error: string): boolean =>
  /No such process|No such file or directory|Cannot find device|does not exist/.test(error);

/** Maps a batch's errors to failures, dropping deletes of things that are already gone. */
export function batchFailures(batch: readonly string[], errs: BatchErrors): NetlinkFailure[] {
  const out: NetlinkFailure[] = [];
  for (const { line, error } of errs.lines) {
    const command = batch[line - 1] ?? `line ${line}`;
    if (/^(route|neigh|fdb|link|addr) del\b/.test(command) && isAbsent(error)) continue;
    out.push({ command, error });
  }
  return out;
}

// ---- JSON reads -------------------------------------------------------------------------------

interface JsonRoute {
  type?: string; dst?: string; gateway?: string; dev?: string; scope?: string; prefsrc?: string;
  flags?: string[]; nexthops?: unknown[];
}

/** One `ip -j route show` entry as a canonical Route (see route-canonical.ts for the rules). */
export function routeFromJson(j: JsonRoute, family: 4 | 6): Route {
  const dst = canonicalDst(j.dst === undefined || j.dst === 'default' ? (family === 4 ? '0.0.0.0/0' : '::/0') : j.dst);
  const type = j.type ?? 'unicast';
  if (type === 'blackhole' || type === 'unreachable' || type === 'prohibit') return { dst, type };
  // Anything else with our protocol (multipath, throw, local…) is not a shape we write: report a
  // route without device or gateway, which equals no valid desired route, so it gets replaced.
  if (type !== 'unicast' || j.nexthops !== undefined) return { dst, type: 'unicast', scope: 'global' };
  const r: { -readonly [K in keyof Route]: Route[K] } = { dst, type: 'unicast' };
  if (j.dev !== undefined) r.dev = j.dev;
  if (j.gateway !== undefined) r.via = j.gateway;
  if (j.flags?.includes('onlink')) r.onlink = true;
  // iproute2 prints the scope only when it is not "universe" (global).
  r.scope = (j.scope ?? 'global') as Route['scope'];
  if (j.prefsrc !== undefined) r.src = j.prefsrc;
  // IPv6 ignores scope: canonicalRoute normalises it, and normalises addresses.
  return canonicalRoute(r);
}

interface JsonKernelRoute extends JsonRoute { protocol?: string; metric?: number; table?: string | number }

/** One `ip -j route show` or `ip -j route get` entry as the kernel lists it (kernel-route.ts): the fields as printed. */
export function kernelRouteFromJson(j: JsonKernelRoute): KernelRoute {
  const r: { -readonly [K in keyof KernelRoute]: KernelRoute[K] } = { dst: j.dst ?? 'default' };
  if (j.type !== undefined) r.type = j.type;
  if (j.gateway !== undefined) r.gateway = j.gateway;
  if (j.dev !== undefined) r.dev = j.dev;
  if (j.protocol !== undefined) r.protocol = String(j.protocol);
  if (j.scope !== undefined) r.scope = j.scope;
  if (j.prefsrc !== undefined) r.prefsrc = j.prefsrc;
  if (j.metric !== undefined) r.metric = j.metric;
  if (j.flags !== undefined) r.flags = j.flags;
  if (j.table !== undefined) r.table = String(j.table);
  return r;
}

export interface JsonLink {
  ifindex: number; ifname: string; flags?: string[]; mtu: number; address?: string; link_netnsid?: number;
  linkinfo?: { info_kind?: string; info_data?: { id?: number; port?: number; local?: string; link?: string } };
  addr_info?: Array<{ family?: string; local?: string; prefixlen?: number }>;
}

/** `ip -j -d addr show`: links with their details and addresses in one dump. */
export function linksFromJson(arr: readonly JsonLink[]): LinkInfo[] {
  return arr.map((j) => {
    const flags = j.flags ?? [];
    const info: { -readonly [K in keyof LinkInfo]: LinkInfo[K] } = {
      name: j.ifname, index: j.ifindex, mtu: j.mtu, mac: (j.address ?? '').toLowerCase(),
      // Usable: administratively up and with carrier (a veth whose peer is down has no LOWER_UP).
      up: flags.includes('UP') && flags.includes('LOWER_UP'),
      addresses: (j.addr_info ?? []).filter((a) => a.local !== undefined && a.prefixlen !== undefined).map((a) => `${a.local}/${a.prefixlen}`),
    };
    const kind = j.linkinfo?.info_kind;
    if (kind !== undefined) info.kind = kind;
    if (j.link_netnsid !== undefined) info.linkNetnsId = j.link_netnsid;
    const d = j.linkinfo?.info_data;
    if (kind === 'vxlan' && d) {
      const v: { vni: number; port: number; local?: string; parent?: string } = { vni: d.id ?? 0, port: d.port ?? 0 };
      if (d.local !== undefined) v.local = d.local;
      if (d.link !== undefined) v.parent = d.link;
      info.vxlan = v;
    }
    return info;
  });
}

/** Whether a vxlan link learns source MACs (`ip -j -d` info_data.learning); Tortie wants nolearning. */
export const vxlanLearning = (j: JsonLink): boolean => (j.linkinfo?.info_data as { learning?: boolean } | undefined)?.learning === true;

/** `ip -j neigh show dev D nud permanent` (or, with `anyState`, every entry that has a link-layer address). */
export function neighboursFromJson(dev: string, arr: ReadonlyArray<{ dst?: string; lladdr?: string; state?: string[] }>, anyState = false): Neighbour[] {
  return arr.filter((n) => n.dst !== undefined && n.lladdr !== undefined && (anyState || (n.state ?? ['PERMANENT']).includes('PERMANENT')))
    .map((n) => ({ dev, ip: n.dst!, mac: n.lladdr!.toLowerCase() }));
}

/** `bridge -j fdb show dev D`: the remote (VTEP) entries, i.e. those with a `dst`. */
export function fdbFromJson(dev: string, arr: ReadonlyArray<{ mac?: string; dst?: string }>): FdbEntry[] {
  return arr.filter((f) => f.mac !== undefined && f.dst !== undefined).map((f) => ({ dev, mac: f.mac!.toLowerCase(), dst: f.dst! }));
}
