// What the agent knows of the cluster: the syncer's key/value updates, decoded and indexed. The
// value decides existence (null = gone), never the kind of update, so the state after a set of
// updates does not depend on their order (calico.md §3: consumers tolerate coalescing, reordering
// and spurious deletes). Values that cannot be decoded count as absent and are reported — Felix's
// ValidationFilter does the same: one bad object must not stop the node.

import { allKinds, parseResourceKey, type KindDef, type Resource } from '../model/index.js';
import { affinityKey, asAffinity, asBlock, parseAffinityKey, parseBlockKey, type AllocationBlock } from '../ipam/block/index.js';
import { formatCIDR, parseCIDR } from '../lib/ip.js';

export interface KeyUpdate {
  readonly key: string;
  /** The decoded JSON value, or null when the key no longer exists. */
  readonly value: unknown;
}

const kindsByPlural = new Map<string, KindDef>(allKinds().map((k) => [k.plural, k] as const));

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function asResource(v: unknown, kind: KindDef): Resource | null {
  if (!isObject(v) || v['kind'] !== kind.kind || !isObject(v['metadata']) || typeof v['metadata']['name'] !== 'string') return null;
  return {
    apiVersion: String(v['apiVersion'] ?? ''),
    kind: kind.kind,
    metadata: v['metadata'] as unknown as Resource['metadata'],
    spec: isObject(v['spec']) ? v['spec'] : {},
    ...(v['status'] !== undefined ? { status: v['status'] } : {}),
  };
}

export class ClusterState {
  /** kind → key → resource. */
  private readonly resources = new Map<string, Map<string, Resource>>();
  /** block CIDR → block. */
  readonly blocks = new Map<string, AllocationBlock>();
  /** affinity key → {node, cidr}, confirmed ones only. */
  private readonly affinities = new Map<string, { node: string; cidr: string }>();
  /** Keys whose values could not be decoded (key → why). */
  readonly undecodable = new Map<string, string>();

  apply(updates: Iterable<KeyUpdate>): void {
    for (const u of updates) this.applyOne(u);
  }

  private applyOne({ key, value }: KeyUpdate): void {
    this.undecodable.delete(key);
    const rk = parseResourceKey(key);
    if (rk) {
      const kind = kindsByPlural.get(rk.plural);
      if (!kind) return; // a kind Tortie does not use (e.g. Calico's KubeControllersConfiguration)
      let byKey = this.resources.get(kind.kind);
      if (!byKey) this.resources.set(kind.kind, (byKey = new Map()));
      if (value === null) { byKey.delete(key); return; }
      const r = asResource(value, kind);
      if (r) byKey.set(key, r);
      else { byKey.delete(key); this.undecodable.set(key, `not a ${kind.kind}`); }
      return;
    }
    const blockCidr = parseBlockKey(key);
    if (blockCidr) {
      const cidr = formatCIDR(blockCidr);
      if (value === null) { this.blocks.delete(cidr); return; }
      const b = asBlock(value);
      if (b && !b.deleted) this.blocks.set(cidr, b);
      else { this.blocks.delete(cidr); if (!b) this.undecodable.set(key, 'not an IPAM block'); }
      return;
    }
    const aff = parseAffinityKey(key);
    if (aff) {
      const a = value === null ? null : asAffinity(value);
      if (a && a.state === 'confirmed' && !a.deleted) this.affinities.set(key, { node: aff.node, cidr: formatCIDR(aff.cidr) });
      else this.affinities.delete(key);
      if (value !== null && !a) this.undecodable.set(key, 'not a block affinity');
    }
  }

  list(kind: string): Resource[] {
    return [...(this.resources.get(kind)?.values() ?? [])];
  }

  get(kind: string, name: string, namespace?: string): Resource | undefined {
    for (const r of this.resources.get(kind)?.values() ?? []) {
      if (r.metadata.name === name && (namespace === undefined || r.metadata.namespace === namespace)) return r;
    }
    return undefined;
  }

  /** Block CIDRs with a confirmed affinity to `node`. */
  affineBlocks(node: string): string[] {
    return [...this.affinities.values()].filter((a) => a.node === node).map((a) => a.cidr).sort();
  }

  /** The node a block is confirmed-affine to (the affinity record and the block must agree). */
  ownerOf(cidr: string): string | null {
    const b = this.blocks.get(cidr);
    const node = b?.affinity?.startsWith('host:') ? b.affinity.slice(5) : null;
    const c = parseCIDR(cidr);
    return node !== null && c !== null && this.affinities.has(affinityKey(node, c)) ? node : null;
  }
}
