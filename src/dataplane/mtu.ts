// MTU auto-detection, as Felix does it (calico.md §6, felix `findHostMTU`):
// - host MTU = the smallest MTU among links whose name matches `mtuIfacePattern` and that are up
//   (newer Felix skips down links, e.g. cloud ENIs not yet configured); none → 1460, the smallest
//   among common cloud providers;
// - pod MTU = host MTU minus the largest overhead among the encapsulations in use (IPIP 20,
//   VXLAN 50, VXLAN over IPv6 70, WireGuard 60/80), else the host MTU. 1500 → 1480 / 1450 / 1440.
// The result goes to /var/lib/tortie/mtu for the CNI plugin (linux/mtu-file.ts writes it).

import { TortieError } from '../lib/errors.js';

/** Felix's `MTUIfacePattern` default. */
export const DEFAULT_MTU_IFACE_PATTERN = '^((en|wl|ww|sl|ib)[Pcopsvx].*|(eth|wlan|wwan).*)';
export const FALLBACK_HOST_MTU = 1460;

export const ENCAP_OVERHEAD = { ipip: 20, vxlan: 50, vxlanV6: 70, wireguard: 60, wireguardV6: 80 } as const;
export type Encap = keyof typeof ENCAP_OVERHEAD;

export interface HostMtu {
  readonly mtu: number;
  /** The links that were considered; empty when the fallback was used. */
  readonly from: readonly string[];
}

export function hostMtu(links: ReadonlyArray<{ readonly name: string; readonly mtu: number; readonly up: boolean }>, pattern: string = DEFAULT_MTU_IFACE_PATTERN): HostMtu {
  let re: RegExp;
  try { re = new RegExp(pattern); } catch (e) {
    throw new TortieError('TORTIE_ERR_CONFIG_INVALID', `Invalid mtuIfacePattern ${JSON.stringify(pattern)}: ${(e as Error).message}`, { pattern });
  }
  const matching = links.filter((l) => re.test(l.name) && l.up && l.mtu > 0);
  if (matching.length === 0) return { mtu: FALLBACK_HOST_MTU, from: [] };
  return { mtu: Math.min(...matching.map((l) => l.mtu)), from: matching.map((l) => l.name) };
}

/** The pod (veth) MTU for this host MTU and the encapsulations in use. */
export function podMtu(host: number, encaps: Iterable<Encap> = []): number {
  let overhead = 0;
  for (const e of encaps) overhead = Math.max(overhead, ENCAP_OVERHEAD[e]);
  return host - overhead;
}
