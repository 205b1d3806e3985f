// The two small IPAM records beside blocks (Calico's JSON forms):
//   BlockAffinity  {state: pending | confirmed | pendingDeletion, deleted}   — a node's claim on a block
//   IPAMHandle     {block: {"<cidr>": count}, deleted}                        — what one handle holds where
// A pending affinity is an intent, not ownership: it counts for nothing until confirmed.

export type AffinityState = 'pending' | 'confirmed' | 'pendingDeletion';

export interface BlockAffinity {
  readonly state: AffinityState;
  readonly deleted: boolean;
}

export interface IPAMHandle {
  readonly block: Readonly<Record<string, number>>;
  readonly deleted: boolean;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function asAffinity(v: unknown): BlockAffinity | null {
  if (!isObject(v)) return null;
  const state = v['state'];
  // Calico's older records carry no state: they are confirmed.
  if (state !== undefined && state !== 'pending' && state !== 'confirmed' && state !== 'pendingDeletion') return null;
  return { state: (state as AffinityState | undefined) ?? 'confirmed', deleted: v['deleted'] === true };
}

export function asHandle(v: unknown): IPAMHandle | null {
  if (!isObject(v) || !isObject(v['block'])) return null;
  return { block: v['block'] as Record<string, number>, deleted: v['deleted'] === true };
}

/** The handle after `n` more (or, negative, fewer) addresses in block `cidr`; null when it holds none. */
export function adjustHandle(h: IPAMHandle | null, cidr: string, n: number): IPAMHandle | null {
  const block: Record<string, number> = { ...(h?.block ?? {}) };
  const count = (block[cidr] ?? 0) + n;
  if (count > 0) block[cidr] = count;
  else delete block[cidr];
  return Object.keys(block).length === 0 ? null : { block, deleted: false };
}
