// What `tortie trace` reads from a live kernel, one network namespace at a time (null: the
// namespace this process runs in). Routes, `ip route get`, links, addresses, neighbours and FDB
// entries come through the dataplane's own iproute2 reader (Iproute2Netlink), so the trace sees
// the kernel exactly as the agent does; what only the trace reads — a /proc/sys value, the
// namespace ids, nftables rule counters — with `cat`, `ip -j netns list-id` and `nft -j`.
// Nothing is changed; a namespace or device that cannot be read reads as empty.

import { spawn } from 'node:child_process';
import type { FdbEntry, LinkInfo, Neighbour } from '../../dataplane/index.js';
import { Iproute2Netlink, type KernelRoute, type RouteLookup } from '../../dataplane/linux/index.js';

export type { KernelRoute, RouteLookup } from '../../dataplane/linux/index.js';

export interface NftRuleCounter { readonly comment: string; readonly packets: number; readonly bytes: number }

export interface KernelView {
  /** `ip route get DST [from SRC iif DEV]`: the kernel's own forwarding decision. */
  routeGet(netns: string | null, dst: string, opts?: { readonly from?: string; readonly iif?: string }): Promise<RouteLookup>;
  /** The main table. */
  routes(netns: string | null): Promise<readonly KernelRoute[]>;
  /** Every neighbour entry of `dev` with a link-layer address, learned or permanent. */
  neighbours(netns: string | null, dev: string): Promise<readonly Neighbour[]>;
  /** The remote (VTEP) FDB entries of `dev`. */
  fdb(netns: string | null, dev: string): Promise<readonly FdbEntry[]>;
  link(netns: string | null, dev: string): Promise<LinkInfo | null>;
  /** Interface addresses: ifname → addresses (without prefix length). */
  addresses(netns: string | null): Promise<ReadonlyMap<string, readonly string[]>>;
  /** A /proc/sys value, e.g. net/ipv4/conf/cali123/proxy_arp; null when absent. */
  sysctl(netns: string | null, path: string): Promise<string | null>;
  /** The names of the namespaces this one has ids for (`ip netns list-id`). */
  namespaceIds(netns: string | null): Promise<ReadonlyMap<number, string>>;
  /** The counted rules of one chain of table `inet tortie`; null when the chain is not there. */
  nftCounters(netns: string | null, chain: string): Promise<readonly NftRuleCounter[] | null>;
}

function exec(netns: string | null, argv: readonly string[]): Promise<{ ok: boolean; stdout: string; stderr: string }> {
  const full = netns === null ? argv : ['ip', 'netns', 'exec', netns, ...argv];
  return new Promise((resolve) => {
    const child = spawn(full[0]!, full.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => resolve({ ok: false, stdout: '', stderr: e.message }));
    child.on('close', (code) => resolve({ ok: code === 0, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString().trim() }));
  });
}

async function json<T>(netns: string | null, argv: readonly string[], fallback: T): Promise<T> {
  const r = await exec(netns, argv);
  if (!r.ok || r.stdout.trim() === '') return fallback;
  try { return JSON.parse(r.stdout) as T; } catch { return fallback; }
}

/** `p`, or `fallback` when the kernel cannot be read (no such namespace or device, no iproute2). */
const orElse = <T>(p: Promise<T>, fallback: T): Promise<T> => p.catch(() => fallback);

/** The kernel of this machine, read through its command-line tools. */
export class LiveKernel implements KernelView {
  private readonly readers = new Map<string | null, Iproute2Netlink>();

  private ip(netns: string | null): Iproute2Netlink {
    let r = this.readers.get(netns);
    if (!r) {
      r = new Iproute2Netlink(netns === null ? {} : { netns });
      this.readers.set(netns, r);
    }
    return r;
  }

  routeGet(netns: string | null, dst: string, opts: { from?: string; iif?: string } = {}): Promise<RouteLookup> {
    return this.ip(netns).routeLookup(dst, opts).catch((e: Error): RouteLookup => ({ ok: false, error: e.message }));
  }

  routes(netns: string | null): Promise<readonly KernelRoute[]> {
    return orElse(this.ip(netns).routeTable(), []);
  }

  neighbours(netns: string | null, dev: string): Promise<readonly Neighbour[]> {
    return orElse(this.ip(netns).neighbours(dev, { nud: 'any' }), []);
  }

  fdb(netns: string | null, dev: string): Promise<readonly FdbEntry[]> {
    return orElse(this.ip(netns).fdb(dev), []);
  }

  link(netns: string | null, dev: string): Promise<LinkInfo | null> {
    return orElse(this.ip(netns).link(dev), null);
  }

  async addresses(netns: string | null): Promise<ReadonlyMap<string, readonly string[]>> {
    const links = await orElse(this.ip(netns).links(), []);
    return new Map(links.map((l) => [l.name, l.addresses.map((a) => a.split('/')[0]!)]));
  }

  async sysctl(netns: string | null, path: string): Promise<string | null> {
    const r = await exec(netns, ['cat', `/proc/sys/${path}`]);
    return r.ok ? r.stdout.trim() : null;
  }

  async namespaceIds(netns: string | null): Promise<ReadonlyMap<number, string>> {
    const raw = await json<Array<{ nsid: number; name?: string }>>(netns, ['ip', '-j', 'netns', 'list-id'], []);
    return new Map(raw.filter((x) => x.name).map((x) => [x.nsid, x.name!]));
  }

  async nftCounters(netns: string | null, chain: string): Promise<readonly NftRuleCounter[] | null> {
    type Expr = { counter?: { packets: number; bytes: number } };
    type Item = { rule?: { comment?: string; expr?: Expr[] } };
    const r = await exec(netns, ['nft', '-j', 'list', 'chain', 'inet', 'tortie', chain]);
    if (!r.ok) return null;
    let items: Item[];
    try { items = (JSON.parse(r.stdout) as { nftables: Item[] }).nftables; } catch { return null; }
    const out: NftRuleCounter[] = [];
    for (const it of items) {
      const c = it.rule?.expr?.find((e) => e.counter)?.counter;
      if (it.rule && c) out.push({ comment: it.rule.comment ?? '', packets: c.packets, bytes: c.bytes });
    }
    return out;
  }
}
