// bench:lab part 3: pod-to-pod TCP throughput (iperf3) and ping round trips across two nodes, the
// lab next to the hand-built references of bench/lab-net.ts, all standing at once and measured in
// many short rounds whose order mirrors every other round (a b c … c b a …), so that a drift of
// the machine hits every setup alike. The lab runs next to the two setups it is compared with, and
// a ratio is the median of the per-round ratios: neighbours in time share the machine's mood (a
// 2-CPU machine shared with other work swings by 2× within a minute).

import type { Labs } from './lab-cli.js';
import { bareVeth, calicoIdeal, flannel, type Namespaces, type Pair } from './lab-net.js';
import { iperf, pingRtt, waitReachable } from './lab-probe.js';
import { percentile } from './measure.js';

export type SetupKey = 'bare' | 'ideal-none' | 'flannel-none' | 'lab-none' | 'ideal-vxlan' | 'flannel-vxlan' | 'lab-vxlan';

export const SETUPS: ReadonlyArray<{ key: SetupKey; label: string }> = [
  { key: 'bare', label: 'bare veth pair (physical limit)' },
  { key: 'ideal-none', label: 'ideal, no encap (Calico design by hand)' },
  { key: 'flannel-none', label: 'flannel host-gw (bridge + routes)' },
  { key: 'lab-none', label: 'tortie lab, no encap' },
  { key: 'ideal-vxlan', label: 'ideal, VXLAN (Calico design by hand)' },
  { key: 'flannel-vxlan', label: 'flannel VXLAN (bridge + flannel.1)' },
  { key: 'lab-vxlan', label: 'tortie lab, --encap vxlan' },
];

/** The order of a round: each lab between the ideal and flannel of its mode. */
const MEASURE_ORDER: readonly SetupKey[] = ['bare', 'ideal-none', 'lab-none', 'flannel-none', 'flannel-vxlan', 'lab-vxlan', 'ideal-vxlan'];

export interface SetupResult {
  readonly key: SetupKey;
  readonly label: string;
  /** Why the setup could not be measured; the other fields are then empty. */
  readonly error?: string;
  readonly gbps: number[];
  readonly gbpsMedian: number;
  readonly retransmits: number;
  readonly rttP50: number;
  readonly rttP99: number;
  readonly pings: number;
  readonly lost: number;
  /** iperf3 runs that failed twice (their round counts as NaN). */
  readonly failures: string[];
}

export interface PerfOptions { readonly rounds: number; readonly seconds: number; readonly pings: number; readonly pingInterval: number; readonly upArgs: readonly string[] }

/** The middle value (the mean of the two middle ones for an even count: rounds are few). */
export const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b), m = s.length >> 1;
  return s.length === 0 ? NaN : s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function labPair(labs: Labs, lab: string, args: readonly string[]): Promise<Pair> {
  await labs.bringUp(lab, ['--nodes', '2', ...args]);
  await labs.podAdd(lab, 'default/a', 'node1');
  await labs.podAdd(lab, 'default/b', 'node2');
  const st = await labs.status(lab);
  const a = st.pods.find((p) => p.name === 'default/a'), b = st.pods.find((p) => p.name === 'default/b');
  if (!a || !b) throw new Error(`${lab}: pods a and b are missing from lab status`);
  return { clientNs: a.netns, serverNs: b.netns, serverIp: b.ip };
}

export async function measurePerf(labs: Labs, nss: Namespaces, o: PerfOptions, log: (s: string) => void): Promise<SetupResult[]> {
  const build: Record<SetupKey, () => Promise<Pair>> = {
    'bare': async () => bareVeth(nss, 'tt-lb'),
    'ideal-none': async () => calicoIdeal(nss, 'tt-li', 'none'),
    'flannel-none': async () => flannel(nss, 'tt-lg', 'none'),
    'lab-none': () => labPair(labs, 'tbn', o.upArgs),
    'ideal-vxlan': async () => calicoIdeal(nss, 'tt-lv', 'vxlan'),
    'flannel-vxlan': async () => flannel(nss, 'tt-lf', 'vxlan'),
    'lab-vxlan': () => labPair(labs, 'tbv', ['--encap', 'vxlan', ...o.upArgs]),
  };
  const pairs = new Map<SetupKey, Pair>();
  const errors = new Map<SetupKey, string>();
  for (const key of MEASURE_ORDER) {
    const s = SETUPS.find((x) => x.key === key)!;
    try {
      const p = await build[s.key]();
      await waitReachable(p, 60);
      await iperf(p, 1); // warm-up: ARP, neighbour entries, conntrack, page cache of iperf3
      pairs.set(s.key, p);
    } catch (e) {
      errors.set(s.key, (e as Error).message);
      log(`${s.key}: not measured: ${(e as Error).message}`);
    }
  }
  const acc = new Map<SetupKey, { gbps: number[]; retransmits: number; rtt: number[]; pings: number; lost: number; failures: string[] }>();
  for (const k of pairs.keys()) acc.set(k, { gbps: [], retransmits: 0, rtt: [], pings: 0, lost: 0, failures: [] });
  for (let r = 0; r < o.rounds; r++) {
    const order = [...pairs.keys()];
    if (r % 2 === 1) order.reverse();
    for (const k of order) {
      const p = pairs.get(k)!, a = acc.get(k)!;
      // One retry: a single failed iperf3 run (a port still in TIME_WAIT, a slow start) costs one sample, not the part.
      const t = await iperf(p, o.seconds).catch(() => iperf(p, o.seconds, 5202)).catch((e: Error) => { a.failures.push(e.message); return { gbps: NaN, retransmits: 0 }; });
      a.gbps.push(t.gbps);
      a.retransmits += t.retransmits;
      const rtt = await pingRtt(p, o.pings, o.pingInterval);
      a.rtt.push(...rtt.samples);
      a.pings += o.pings;
      a.lost += rtt.lost;
    }
    log(`perf round ${r + 1}/${o.rounds}: ${order.map((k) => `${k} ${acc.get(k)!.gbps.at(-1)!.toFixed(1)}`).join(', ')} Gbit/s`);
  }
  return SETUPS.map((s) => {
    const a = acc.get(s.key);
    if (!a) return { key: s.key, label: s.label, error: errors.get(s.key) ?? 'not built', gbps: [], gbpsMedian: NaN, retransmits: 0, rttP50: NaN, rttP99: NaN, pings: 0, lost: 0, failures: [] };
    const rtt = [...a.rtt].sort((x, y) => x - y);
    return {
      key: s.key, label: s.label, gbps: a.gbps, gbpsMedian: median(a.gbps.filter((x) => !Number.isNaN(x))), retransmits: a.retransmits,
      rttP50: percentile(rtt, 50), rttP99: percentile(rtt, 99), pings: a.pings, lost: a.lost, failures: a.failures,
    };
  });
}

/** Per-round throughput ratios a/b (round i of one against round i of the other). */
export function roundRatios(a: SetupResult | undefined, b: SetupResult | undefined): number[] {
  if (!a || !b || a.gbps.length === 0 || a.gbps.length !== b.gbps.length) return [];
  return a.gbps.map((x, i) => x / b.gbps[i]!).filter((x) => !Number.isNaN(x));
}

/** The median of the per-round ratios a/b; null when either was not measured. */
export function pairedRatio(a: SetupResult | undefined, b: SetupResult | undefined): number | null {
  const r = roundRatios(a, b);
  return r.length === 0 ? null : median(r);
}
