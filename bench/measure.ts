// Timing helpers shared by the benchmarks: wall-clock timestamps that two processes can compare,
// rates measured in alternating rounds, and latency percentiles.

import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Milliseconds since the Unix epoch with sub-millisecond resolution. `performance.now()` alone is
 * relative to each process's own start; adding `timeOrigin` puts two processes on one clock.
 */
export const now = (): number => performance.timeOrigin + performance.now();

export { sleep };

/** Runs until `until` (a `performance.now()` value) and returns the number of operations done. */
export type Loop = (until: number) => Promise<number>;

export interface RateResult {
  /** Operations per second over all measured rounds. */
  readonly perSecond: number;
  readonly ops: number;
  readonly seconds: number;
  /** Per-round rates, for judging the spread. */
  readonly rounds: readonly number[];
  /** CPU time of this process (user + system) per operation, in microseconds. */
  readonly cpuMicrosPerOp: number;
}

async function timed(loop: Loop, seconds: number): Promise<{ ops: number; seconds: number; cpuMicros: number }> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  const ops = await loop(start + seconds * 1000);
  const used = process.cpuUsage(cpu);
  return { ops, seconds: (performance.now() - start) / 1000, cpuMicros: used.user + used.system };
}

/**
 * Measures two loops in alternating rounds after one warm-up each. Round i runs `a` first when i
 * has an even number of one bits (ab ba ba ab ba ab ab ba …, the Thue–Morse order), so that a
 * drift in machine load or in the server (etcd settling after start, WAL checkpoints) hits both
 * alike, whether it is linear or levels off early.
 */
export async function alternate(a: Loop, b: Loop, opts: { rounds: number; seconds: number; warmupSeconds: number }):
  Promise<{ a: RateResult; b: RateResult }> {
  await timed(a, opts.warmupSeconds);
  await timed(b, opts.warmupSeconds);
  const acc = { a: { ops: 0, seconds: 0, cpuMicros: 0, rounds: [] as number[] }, b: { ops: 0, seconds: 0, cpuMicros: 0, rounds: [] as number[] } };
  for (let i = 0; i < opts.rounds; i++) {
    const ones = i.toString(2).split('').filter((d) => d === '1').length;
    const order: Array<'a' | 'b'> = ones % 2 === 0 ? ['a', 'b'] : ['b', 'a'];
    for (const which of order) {
      const r = await timed(which === 'a' ? a : b, opts.seconds);
      const t = acc[which];
      t.ops += r.ops;
      t.seconds += r.seconds;
      t.cpuMicros += r.cpuMicros;
      t.rounds.push(r.ops / r.seconds);
    }
  }
  const done = (t: typeof acc.a): RateResult => ({
    perSecond: t.ops / t.seconds, ops: t.ops, seconds: t.seconds, rounds: t.rounds, cpuMicrosPerOp: t.cpuMicros / t.ops,
  });
  return { a: done(acc.a), b: done(acc.b) };
}

export interface LatencyResult {
  readonly p50: number;
  readonly p99: number;
  readonly mean: number;
  readonly max: number;
  /** Events received. */
  readonly n: number;
  /** Writes whose event never arrived (must be 0). */
  readonly missing: number;
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

/** Latencies from write-start times and receive times, both indexed by write sequence number. */
export function latencies(sent: readonly number[], received: ReadonlyMap<number, number>): LatencyResult {
  const ms: number[] = [];
  for (let seq = 0; seq < sent.length; seq++) {
    const r = received.get(seq);
    if (r !== undefined) ms.push(r - sent[seq]!);
  }
  ms.sort((x, y) => x - y);
  return {
    p50: percentile(ms, 50),
    p99: percentile(ms, 99),
    mean: ms.reduce((s, x) => s + x, 0) / (ms.length || 1),
    max: ms[ms.length - 1] ?? NaN,
    n: ms.length,
    missing: sent.length - ms.length,
  };
}

/** Rejects after `ms` with `what` in the message, unless `p` settles first. */
export async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
