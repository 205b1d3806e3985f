// The Netlink port on the real kernel, through iproute2 as a child process (node-libs.md §1):
// - reads are `ip -j …` dumps (routes of one protocol, links with details and addresses, permanent
//   neighbours, `bridge -j fdb`), parsed into the port's canonical values; beyond the port, whole
//   route tables and `ip route get` as the kernel lists them (kernel-route.ts), for `tortie trace`;
// - each write call is ONE `ip -force -batch -` (or `bridge -force -batch -`) process: ~13 µs per
//   route instead of ~3 ms per spawned `ip`; route writes that name no device (BGP's, via a
//   gateway) go to long-lived batch processes fed through stdin (_ip-batch-stream.ts), two by
//   default, so a stream of writes spawns nothing. `-force` carries on past a failing line and reports
//   `Command failed -:<line>`, which maps each error back to its item; deletes of things already
//   gone are not errors. Every value is checked before the batch is written, because iproute2
//   exits at the first line it cannot parse and silently drops the rest.
// With `netns`, every command runs in that named network namespace (`ip -n NS`, `bridge -n NS`).

import { randomBytes } from 'node:crypto';
import { TortieError } from '../../lib/errors.js';
import {
  canonicalFdb, canonicalIP, canonicalNeighbour, canonicalRoute, canonicalVxlan, checkDevName,
  type FdbEntry, type LinkInfo, type Neighbour, type Netlink, type NetlinkFailure, type Route, type VxlanDevice,
} from '../index.js';
import { IpBatchStream } from './_ip-batch-stream.js';
import { run, type RunResult } from './_run.js';
import {
  batchFailures, fdbDelLine, fdbFromJson, fdbReplaceLine, kernelRouteFromJson, linksFromJson, neighDelLine, neighReplaceLine,
  neighboursFromJson, parseBatchErrors, routeDelLine, routeFromJson, routeReplaceLine, vxlanLearning, type JsonLink,
} from './_iproute2-text.js';
import type { KernelRoute, RouteLookup } from './kernel-route.js';

export interface Iproute2Options {
  /** A named network namespace (`ip netns`) to work in instead of the current one. */
  readonly netns?: string;
  readonly ipBinary?: string;
  readonly bridgeBinary?: string;
  /** Long-lived `ip -batch` processes route writes are spread over (default 2: route insertion is kernel CPU time). */
  readonly routeWriters?: number;
}

type Tool = 'ip' | 'bridge';

const refused = (what: string, failures: readonly NetlinkFailure[]): TortieError =>
  new TortieError('TORTIE_ERR_DATAPLANE_IPROUTE',
    `The kernel refused ${failures.length} ${what} change(s); the rest were applied:\n${failures.map((f) => `  ${f.command}: ${f.error}`).join('\n')}`,
    { failures });

export class Iproute2Netlink implements Netlink {
  private readonly argv: Record<Tool, readonly string[]>;
  private readonly kinds = new Map<string, Promise<boolean>>();
  private readonly routeStreams: IpBatchStream[];

  constructor(opts: Iproute2Options = {}) {
    const ns = opts.netns === undefined ? [] : ['-n', opts.netns];
    this.argv = { ip: [opts.ipBinary ?? 'ip', ...ns], bridge: [opts.bridgeBinary ?? 'bridge', ...ns] };
    this.routeStreams = Array.from({ length: Math.max(1, opts.routeWriters ?? 2) }, () => new IpBatchStream(this.argv.ip));
  }

  // ---- routes -----------------------------------------------------------------------------

  async routes(protocol: number): Promise<Route[]> {
    const p = String(checkProtocol(protocol));
    const v6args = ['-j', '-6', 'route', 'show', 'table', 'main', 'proto', p];
    const [v4, v6] = await Promise.all([
      this.json<unknown[]>('ip', ['-j', 'route', 'show', 'table', 'main', 'proto', p]),
      this.exec('ip', v6args).then((r) => {
        if (r.code === 0) return JSON.parse(r.stdout || '[]') as unknown[];
        if (/not supported/i.test(r.stderr)) return []; // a kernel without IPv6
        throw this.readFailed(v6args, r);
      }),
    ]);
    return [...v4.map((j) => routeFromJson(j as object, 4)), ...v6.map((j) => routeFromJson(j as object, 6))];
  }

  async applyRoutes(protocol: number, del: readonly Route[], add: readonly Route[]): Promise<void> {
    checkProtocol(protocol);
    const lines = [...del.map((r) => routeDelLine(canonicalRoute(r), protocol)), ...add.map((r) => routeReplaceLine(canonicalRoute(r), protocol))];
    if (lines.length === 0) return;
    // A long-lived `ip` keeps the interface names it resolved: a route naming a device (a pod's
    // veth, re-created under the same name with a new index) gets a fresh process. Routes via a
    // gateway only (BGP's) go to the least busy long-lived writer.
    const { failures, fatal } = add.some((r) => r.dev !== undefined)
      ? await this.batch('ip', lines)
      : await this.routeStreams.reduce((x, y) => (y.backlog < x.backlog ? y : x)).write(lines);
    if (fatal !== null) failures.push({ command: '(rest of the batch)', error: fatal });
    if (failures.length > 0) throw refused('route', failures);
  }

  async routeGet(dst: string): Promise<{ dev: string; src?: string } | null> {
    const r = await this.routeLookup(dst);
    if (!r.ok || r.route.dev === undefined) return null; // unreachable, prohibited, blackholed
    return r.route.prefsrc === undefined ? { dev: r.route.dev } : { dev: r.route.dev, src: r.route.prefsrc };
  }

  /**
   * `ip route get DST [from SRC] [iif DEV]`: the kernel's whole forwarding decision (`type local`
   * for an address of this host), or the kernel's reason for having none. With `iif`, the lookup
   * is for a packet arriving on that interface, as forwarding sees it (`from` is then required
   * by the kernel).
   */
  async routeLookup(dst: string, opts: { readonly from?: string; readonly iif?: string } = {}): Promise<RouteLookup> {
    const args = ['-j', 'route', 'get', canonicalIP(dst, 'destination'),
      ...(opts.from !== undefined ? ['from', canonicalIP(opts.from, 'source')] : []),
      ...(opts.iif !== undefined ? ['iif', checkDevName(opts.iif)] : [])];
    const r = await this.exec('ip', args);
    if (r.code !== 0) return { ok: false, error: r.stderr.trim().replace(/^RTNETLINK answers: /, '') || `ip route get ${dst} failed` };
    const [j] = JSON.parse(r.stdout) as object[];
    return j ? { ok: true, route: kernelRouteFromJson(j) } : { ok: false, error: 'no answer' };
  }

  /**
   * Every route of a routing table as the kernel lists it (kernel-route.ts), whatever its
   * protocol: `main` by default, `all` for every table. IPv4 unless `family` is 6.
   */
  async routeTable(opts: { readonly table?: 'main' | 'all' | number; readonly family?: 4 | 6 } = {}): Promise<KernelRoute[]> {
    const table = opts.table ?? 'main';
    if (typeof table === 'number') checkTable(table);
    const all = await this.json<object[]>('ip', ['-j', ...(opts.family === 6 ? ['-6'] : []), 'route', 'show', 'table', String(table)]);
    return all.map(kernelRouteFromJson);
  }

  // ---- links ------------------------------------------------------------------------------

  async links(): Promise<LinkInfo[]> {
    return linksFromJson(await this.json('ip', ['-j', '-d', 'addr', 'show']));
  }

  /** One link with its details and addresses; null when there is none of that name. */
  async link(name: string): Promise<LinkInfo | null> {
    const j = await this.linkJson(name);
    return j === null ? null : linksFromJson([j])[0]!;
  }

  async deleteLink(name: string): Promise<void> {
    const { failures, fatal } = await this.batch('ip', [`link del ${checkDevName(name)}`]);
    if (fatal !== null) failures.push({ command: `link del ${name}`, error: fatal });
    if (failures.length > 0) throw refused('link', failures);
  }

  /**
   * Brings the VXLAN device to `spec`, like Felix's vxlan manager does for `vxlan.calico`: created
   * with `nolearning` (FDB and neighbour entries are static), then MTU, MAC, up, and exactly one
   * address of the tunnel's family. VNI, port and parent cannot change on a live device, so a
   * mismatch there (or a link of another kind under the name) means delete and create; the local
   * address and learning are changed in place, falling back to re-creating the device.
   */
  async ensureVxlan(spec: VxlanDevice): Promise<void> {
    const d = canonicalVxlan(spec);
    const have = await this.linkJson(d.name);
    const info = have ? linksFromJson([have])[0]! : null;
    const recreate = info !== null && (info.kind !== 'vxlan' || info.vxlan?.vni !== d.vni || info.vxlan.port !== d.port || info.vxlan.parent !== d.parent);
    if (info === null || recreate) return this.createVxlan(d, recreate);
    const lines: string[] = [];
    if (info.vxlan?.local !== d.local || vxlanLearning(have!)) lines.push(`link set ${d.name} type vxlan local ${d.local} nolearning`);
    // Only what differs: even an unchanged `address` flushes the device's neighbours (NETDEV_CHANGEADDR).
    if (info.mtu !== d.mtu) lines.push(`link set ${d.name} mtu ${d.mtu}`);
    if (info.mac !== d.mac) lines.push(`link set ${d.name} address ${d.mac}`);
    if (!info.up) lines.push(`link set ${d.name} up`);
    lines.push(...this.addressLines(d, info.addresses));
    if (lines.length === 0) return;
    const { failures, fatal } = await this.batch('ip', lines);
    if (failures.some((f) => f.command.includes(' type vxlan '))) return this.createVxlan(d, true); // kernel refused the in-place change
    if (fatal !== null) failures.push({ command: '(rest of the batch)', error: fatal });
    if (failures.length > 0) throw refused('VXLAN device', failures);
  }

  private async createVxlan(d: VxlanDevice, deleteFirst: boolean): Promise<void> {
    const lines = [
      ...(deleteFirst ? [`link del ${d.name}`] : []),
      `link add ${d.name} mtu ${d.mtu} address ${d.mac} type vxlan id ${d.vni} dstport ${d.port} local ${d.local} dev ${d.parent} nolearning`,
      `link set ${d.name} up`,
      `addr replace ${d.address} dev ${d.name}`,
    ];
    const { failures, fatal } = await this.batch('ip', lines);
    if (fatal !== null) failures.push({ command: '(rest of the batch)', error: fatal });
    if (failures.length > 0) throw refused('VXLAN device', failures);
  }

  // Exactly one address of the tunnel address's family (link-local IPv6 addresses are the kernel's).
  // The new one goes on before the old one comes off: a device left without IPv4 addresses has
  // its ARP table flushed, permanent entries included.
  private addressLines(d: VxlanDevice, addresses: readonly string[]): string[] {
    const v6 = d.address.includes(':');
    const out: string[] = [];
    if (!addresses.includes(d.address)) out.push(`addr replace ${d.address} dev ${d.name}`);
    for (const a of addresses) {
      if (a.includes(':') !== v6 || a.toLowerCase().startsWith('fe80:')) continue;
      if (a !== d.address) out.push(`addr del ${a} dev ${d.name}`);
    }
    return out;
  }

  private async linkJson(name: string): Promise<JsonLink | null> {
    const r = await this.exec('ip', ['-j', '-d', 'addr', 'show', 'dev', checkDevName(name)]);
    if (r.code !== 0) {
      if (/does not exist|Cannot find device/.test(r.stderr)) return null;
      throw this.readFailed(['-j', '-d', 'addr', 'show', 'dev', name], r);
    }
    const [j] = JSON.parse(r.stdout) as JsonLink[];
    return j ?? null;
  }

  /**
   * Whether the kernel can make links of `kind`: creates a throwaway link with a unique `tt-k…`
   * name and deletes it in the same batch. (On a kernel that has ipip, its first use also creates
   * the namespace's fallback `tunl0`, which is the kernel's and harmless.)
   */
  supportsLinkKind(kind: 'ipip' | 'vxlan'): Promise<boolean> {
    let p = this.kinds.get(kind);
    if (!p) {
      p = this.probeKind(kind);
      this.kinds.set(kind, p);
      p.catch(() => this.kinds.delete(kind));
    }
    return p;
  }

  private async probeKind(kind: 'ipip' | 'vxlan'): Promise<boolean> {
    const name = `tt-k${randomBytes(4).toString('hex')}`;
    const args = kind === 'vxlan' ? ' id 1 dstport 4789' : '';
    const { failures, fatal } = await this.batch('ip', [`link add ${name} type ${kind}${args}`, `link del ${name}`]);
    const addFailed = failures.find((f) => f.command.startsWith('link add'));
    if (!addFailed && fatal === null) return true;
    const err = addFailed?.error ?? fatal ?? '';
    if (/Unknown device type|not supported|No such device|Protocol not supported/i.test(err)) return false;
    throw refused('probe link', addFailed ? [addFailed] : [{ command: `link add ${name} type ${kind}`, error: err }]);
  }

  // ---- neighbours and FDB -----------------------------------------------------------------

  /**
   * The permanent neighbours of `dev` (the ones the agent writes); with `{ nud: 'any' }`, every
   * entry that has a link-layer address, learned ones too (what forwarding would use now).
   */
  async neighbours(dev: string, opts: { readonly nud?: 'permanent' | 'any' } = {}): Promise<Neighbour[]> {
    const any = opts.nud === 'any';
    const r = await this.exec('ip', ['-j', 'neigh', 'show', 'dev', checkDevName(dev), ...(any ? [] : ['nud', 'permanent'])]);
    if (r.code !== 0) {
      if (/Cannot find device|does not exist/.test(r.stderr)) return [];
      throw this.readFailed(['neigh', 'show', 'dev', dev], r);
    }
    return neighboursFromJson(dev, JSON.parse(r.stdout || '[]') as [], any).map(canonicalNeighbour);
  }

  async applyNeighbours(dev: string, del: readonly Neighbour[], add: readonly Neighbour[]): Promise<void> {
    checkDevName(dev);
    const dels = del.map((n) => canonicalNeighbour({ ...n, dev }));
    const adds = add.map((n) => canonicalNeighbour({ ...n, dev }));
    // `ip neigh` exits at its first kernel error even under -force, dropping the lines after it;
    // so deletes are limited to entries that exist, and a stopped batch is judged by a re-read.
    let deletable = dels;
    if (dels.length > 0) {
      const present = new Set((await this.neighbours(dev)).map((n) => n.ip));
      deletable = dels.filter((n) => present.has(n.ip));
    }
    const { failures, fatal } = await this.batch('ip', [...deletable.map(neighDelLine), ...adds.map(neighReplaceLine)]);
    if (fatal !== null) {
      const now = new Map((await this.neighbours(dev)).map((n) => [n.ip, n.mac]));
      for (const n of deletable) if (now.has(n.ip)) failures.push({ command: neighDelLine(n), error: fatal });
      for (const n of adds) if (now.get(n.ip) !== n.mac) failures.push({ command: neighReplaceLine(n), error: fatal });
    }
    if (failures.length > 0) throw refused('neighbour', failures);
  }

  async fdb(dev: string): Promise<FdbEntry[]> {
    const r = await this.exec('bridge', ['-j', 'fdb', 'show', 'dev', checkDevName(dev)]);
    if (r.code !== 0) {
      if (/Cannot find device|does not exist/.test(r.stderr)) return [];
      throw this.readFailed(['fdb', 'show', 'dev', dev], r);
    }
    return fdbFromJson(dev, JSON.parse(r.stdout || '[]') as []).map(canonicalFdb);
  }

  async applyFdb(dev: string, del: readonly FdbEntry[], add: readonly FdbEntry[]): Promise<void> {
    checkDevName(dev);
    const lines = [
      ...del.map((f) => fdbDelLine(canonicalFdb({ ...f, dev }))),
      ...add.map((f) => fdbReplaceLine(canonicalFdb({ ...f, dev }))),
    ];
    const { failures, fatal } = await this.batch('bridge', lines);
    if (fatal !== null) failures.push({ command: '(rest of the batch)', error: fatal });
    if (failures.length > 0) throw refused('FDB', failures);
  }

  // ---- running iproute2 -------------------------------------------------------------------

  private async exec(tool: Tool, args: readonly string[], input?: string): Promise<RunResult> {
    const argv = [...this.argv[tool], ...args];
    try {
      return await run(argv, input);
    } catch (e) {
      throw new TortieError('TORTIE_ERR_DATAPLANE_IPROUTE', `Cannot run ${argv[0]}: ${(e as Error).message}`, { failures: [] }, { cause: e });
    }
  }

  private async json<T>(tool: Tool, args: readonly string[]): Promise<T> {
    const r = await this.exec(tool, args);
    if (r.code !== 0) throw this.readFailed(args, r);
    return JSON.parse(r.stdout || '[]') as T;
  }

  private readFailed(args: readonly string[], r: RunResult): TortieError {
    const command = args.filter((a) => a !== '-j').join(' ');
    return new TortieError('TORTIE_ERR_DATAPLANE_IPROUTE', `${command} failed: ${r.stderr.trim() || `exit status ${r.code}`}`,
      { failures: [{ command, error: r.stderr.trim() }] });
  }

  /** One `-force -batch -` process for all `lines`; failures exclude deletes of absent things. */
  private async batch(tool: Tool, lines: readonly string[]): Promise<{ failures: NetlinkFailure[]; fatal: string | null }> {
    if (lines.length === 0) return { failures: [], fatal: null };
    const r = await this.exec(tool, ['-force', '-batch', '-'], `${lines.join('\n')}\n`);
    if (r.code === 0) return { failures: [], fatal: null };
    const errs = parseBatchErrors(r.stderr);
    const fatal = errs.fatal ?? (errs.lines.length === 0 ? `${tool} exited with status ${r.code}` : null);
    return { failures: batchFailures(lines, errs), fatal };
  }
}

function checkTable(t: number): number {
  if (!Number.isInteger(t) || t < 0 || t > 0xffffffff) {
    throw new TortieError('TORTIE_ERR_DATAPLANE_INVALID', `Invalid routing table ${JSON.stringify(t)}: expected an integer from 0 to 4294967295`, { value: t });
  }
  return t;
}

function checkProtocol(p: number): number {
  if (!Number.isInteger(p) || p < 0 || p > 255) {
    throw new TortieError('TORTIE_ERR_DATAPLANE_INVALID', `Invalid route protocol ${JSON.stringify(p)}: expected an integer from 0 to 255`, { value: p });
  }
  return p;
}
