// `npm run bench:datastore`: Tortie's datastore layer next to the raw clients it is built on,
// measured in the same run, on loopback, for both backends.
//
//   embedded  SqliteStore            vs  better-sqlite3 transactions on the same schema shape
//   etcd      EtcdStore (etcd3)      vs  etcd3's own txn builder and watcher, same etcd server
//
// Measurements:
//   CAS seq   one loop of update(key, value, revision-of-previous-write) on one key
//   CAS ×16   16 such loops at once on distinct keys
//   watch     write start → event received, 500 writes ~5 ms apart (embedded: watcher in the
//             same process and in a child process; etcd: same process)
// Rates run in alternating rounds (tortie raw, raw tortie, raw tortie, tortie raw) after a warm-up.
//
// Arguments (optional) pick the backends: `npm run bench:datastore -- etcd`.
// Output: a table, then one line `BENCH_JSON {...}`. The target — Tortie keeps >= 70% of the raw
// CAS rate — is reported, never enforced: a benchmark is a measurement, not a test.

import { fork, type ChildProcess } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import Table from 'cli-table3';
import { Etcd3 } from 'etcd3';
import { EtcdStore } from '../src/datastore/etcd/index.js';
import type { Store } from '../src/datastore/ports.js';
import { SqliteStore } from '../src/datastore/sqlite/index.js';
import { EtcdServer } from '../test/support/etcd-server.js';
import { tempDir, type TempDir } from '../test/support/temp-dir.js';
import { RawSqlite, rawEtcdCas, rawEtcdCreate } from './datastore-raw.js';
import type { ChildMessage } from './datastore-watch-child.js';
import { Receiver, watchRawEtcd, watchRawSqlite, watchStore, type StopWatching } from './datastore-watch.js';
import { valueOf } from './datastore-workload.js';
import { alternate, latencies, now, sleep, within, type LatencyResult, type Loop, type RateResult } from './measure.js';

const CONFIG = {
  /** Measured rounds per layer, in the balanced order of measure.ts `alternate`. */
  rounds: 4,
  /** Seconds per round. etcd is fsync-bound (~1k CAS/s) and needs longer rounds. */
  embeddedSeconds: 0.5,
  etcdSeconds: 1,
  /**
   * Seconds of warm-up per layer. etcd needs ~1,000 calls before grpc-js and protobufjs are
   * optimised; with less, the first measured round (Tortie's) pays for the JIT of code both
   * layers share and ran ~25% slower in every run.
   */
  embeddedWarmupSeconds: 0.3,
  etcdWarmupSeconds: 1,
  concurrency: 16,
  watchWrites: 500,
  watchGapMs: 5,
  pollMs: 10,
  /** Tortie's CAS rate as a fraction of the raw client's. */
  target: 0.7,
} as const;

type Backend = 'embedded' | 'etcd';

interface RateRow { readonly backend: Backend; readonly measurement: string; readonly tortie: RateResult; readonly raw: RateResult }
interface LatencyRow { readonly backend: Backend; readonly measurement: string; readonly tortie: LatencyResult; readonly raw: LatencyResult }

/** A compare-and-swap write: returns the new mod revision. */
type Cas = (key: string, seq: number, revision: number) => number | Promise<number>;

/** One CAS loop on `key`, chaining each write on the revision the previous one returned. */
function casLoop(cas: Cas, revisions: Map<string, number>, key: string): Loop {
  return async (until) => {
    let rev = revisions.get(key)!;
    let n = 0;
    while (performance.now() < until) {
      const r = cas(key, n, rev);
      rev = typeof r === 'number' ? r : await r;
      n++;
    }
    revisions.set(key, rev);
    return n;
  };
}

function concurrentLoops(cas: Cas, revisions: Map<string, number>, keys: readonly string[]): Loop {
  const loops = keys.map((k) => casLoop(cas, revisions, k));
  return async (until) => (await Promise.all(loops.map((l) => l(until)))).reduce((s, n) => s + n, 0);
}

const tortieCas = (store: Store): Cas => async (key, seq, rev) => (await store.update(key, valueOf(seq), rev)).revision;

const casKeys = (prefix: string): { seq: string; concurrent: string[] } => ({
  seq: `${prefix}cas/seq`,
  concurrent: Array.from({ length: CONFIG.concurrency }, (_, i) => `${prefix}cas/c${String(i).padStart(2, '0')}`),
});

async function benchCas(
  backend: Backend, seconds: number, warmupSeconds: number,
  tortie: { store: Store; prefix: string },
  raw: { create: (key: string) => Promise<number>; cas: Cas; casAsync: Cas; prefix: string },
): Promise<RateRow[]> {
  const tKeys = casKeys(tortie.prefix), rKeys = casKeys(raw.prefix);
  const tRevs = new Map<string, number>(), rRevs = new Map<string, number>();
  for (const k of [tKeys.seq, ...tKeys.concurrent]) tRevs.set(k, (await tortie.store.create(k, valueOf(0))).revision);
  for (const k of [rKeys.seq, ...rKeys.concurrent]) rRevs.set(k, await raw.create(k));
  const opts = { rounds: CONFIG.rounds, seconds, warmupSeconds };
  const tc = tortieCas(tortie.store);
  const seq = await alternate(casLoop(tc, tRevs, tKeys.seq), casLoop(raw.cas, rRevs, rKeys.seq), opts);
  const conc = await alternate(concurrentLoops(tc, tRevs, tKeys.concurrent), concurrentLoops(raw.casAsync, rRevs, rKeys.concurrent), opts);
  return [
    { backend, measurement: 'CAS seq', tortie: seq.a, raw: seq.b },
    { backend, measurement: `CAS x${CONFIG.concurrency}`, tortie: conc.a, raw: conc.b },
  ];
}

/** The receiving end of one watch-latency run, in this process or in a child. */
interface Probe {
  readonly warm: Promise<void>;
  readonly done: Promise<ReadonlyMap<number, number>>;
  stop(): Promise<void>;
}

function localProbe(rx: Receiver, stop: StopWatching): Probe {
  return { warm: rx.warm, done: rx.done, stop };
}

/** Writes `watchWrites` values `watchGapMs` apart and matches them with the probe's receive times. */
async function watchLatency(write: (seq: number) => unknown, probe: Probe): Promise<LatencyResult> {
  try {
    // Warm-up writes until the watcher demonstrably receives (an etcd watch is created
    // asynchronously; a child process needs its first poll).
    let warmed = false;
    void probe.warm.then(() => { warmed = true; });
    const deadline = performance.now() + 10_000;
    while (!warmed) {
      if (performance.now() > deadline) throw new Error('The watcher received no warm-up event in 10 s');
      await write(-1);
      await Promise.race([probe.warm, sleep(50)]);
    }
    const sent: number[] = [];
    for (let seq = 0; seq < CONFIG.watchWrites; seq++) {
      sent.push(now());
      await write(seq);
      await sleep(CONFIG.watchGapMs);
    }
    const received = await within(probe.done, 10_000, 'the last watch events');
    return latencies(sent, received);
  } finally {
    await probe.stop();
  }
}

/** A writer chaining CAS writes on one key. */
async function chainedWriter(create: () => Promise<number>, cas: (seq: number, rev: number) => number | Promise<number>):
  Promise<(seq: number) => Promise<void>> {
  let rev = await create();
  return async (seq) => { rev = await cas(seq, rev); };
}

class Children {
  private readonly live = new Set<ChildProcess>();

  /** Forks the watch child and adapts its messages to a Probe. */
  async start(kind: 'tortie' | 'raw', path: string, prefix: string): Promise<Probe> {
    const script = new URL('./datastore-watch-child.js', import.meta.url).pathname;
    const child = fork(script, [kind, path, prefix, String(CONFIG.watchWrites), String(CONFIG.pollMs)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      execArgv: ['--enable-source-maps'],
    });
    this.live.add(child);
    child.once('exit', () => this.live.delete(child));
    let onReady!: () => void, onWarm!: () => void;
    let onDone!: (m: ReadonlyMap<number, number>) => void, onFail!: (e: unknown) => void;
    const ready = new Promise<void>((resolve) => { onReady = resolve; });
    const warm = new Promise<void>((resolve) => { onWarm = resolve; });
    const done = new Promise<ReadonlyMap<number, number>>((resolve, reject) => { onDone = resolve; onFail = reject; });
    done.catch(() => {});
    const failed = (e: Error): void => { onFail(e); };
    child.on('message', (m: ChildMessage) => {
      if (m.type === 'ready') onReady();
      else if (m.type === 'warm') onWarm();
      else if (m.type === 'done') onDone(new Map(m.received));
      else failed(new Error(`The watch child failed: ${m.message}`));
    });
    child.once('exit', (code) => failed(new Error(`The watch child exited with ${code}`)));
    await within(Promise.race([ready, done.then(() => {})]), 10_000, 'the watch child to start');
    return {
      warm, done,
      stop: async () => {
        if (child.exitCode === null && child.signalCode === null) {
          const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
          await Promise.race([exited, sleep(2000)]);
          this.kill(child);
        }
      },
    };
  }

  private kill(child: ChildProcess): void {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
  }

  killAll(): void {
    for (const c of this.live) this.kill(c);
  }
}

async function benchEmbedded(dir: TempDir, children: Children): Promise<{ rates: RateRow[]; latencies: LatencyRow[] }> {
  const store = new SqliteStore({ path: join(dir.path, 'cas-tortie.db'), pollMs: CONFIG.pollMs });
  const raw = new RawSqlite(join(dir.path, 'cas-raw.db'));
  let rates: RateRow[];
  try {
    const text = (seq: number): string => JSON.stringify(valueOf(seq));
    rates = await benchCas('embedded', CONFIG.embeddedSeconds, CONFIG.embeddedWarmupSeconds, { store, prefix: '/t/' }, {
      prefix: '/r/',
      create: async (key) => raw.create(key, text(0)),
      // The raw client is synchronous: the sequential loop calls it without awaiting; the
      // concurrent loops yield once per write so that they interleave.
      cas: (key, seq, rev) => raw.cas(key, text(seq), rev),
      casAsync: async (key, seq, rev) => raw.cas(key, text(seq), rev),
    });
  } finally {
    await store.close();
    raw.close();
  }

  const tPath = join(dir.path, 'watch-tortie.db'), rPath = join(dir.path, 'watch-raw.db');
  const tStore = new SqliteStore({ path: tPath, pollMs: CONFIG.pollMs });
  const rDb = new RawSqlite(rPath);
  try {
    const prefix = '/watch/';
    const tWrite = await chainedWriter(
      async () => (await tStore.create(`${prefix}k`, valueOf(0))).revision,
      async (seq, rev) => (await tStore.update(`${prefix}k`, valueOf(seq), rev)).revision);
    const rWrite = await chainedWriter(
      async () => rDb.create(`${prefix}k`, JSON.stringify(valueOf(0))),
      (seq, rev) => rDb.cas(`${prefix}k`, JSON.stringify(valueOf(seq)), rev));

    let rx = new Receiver(CONFIG.watchWrites);
    const tSame = await watchLatency(tWrite, localProbe(rx, await watchStore(tStore, prefix, rx)));
    rx = new Receiver(CONFIG.watchWrites);
    const rSame = await watchLatency(rWrite, localProbe(rx, watchRawSqlite(rPath, prefix, CONFIG.pollMs, rx)));
    const tCross = await watchLatency(tWrite, await children.start('tortie', tPath, prefix));
    const rCross = await watchLatency(rWrite, await children.start('raw', rPath, prefix));
    return {
      rates,
      latencies: [
        { backend: 'embedded', measurement: 'watch, same process', tortie: tSame, raw: rSame },
        { backend: 'embedded', measurement: 'watch, other process', tortie: tCross, raw: rCross },
      ],
    };
  } finally {
    await tStore.close();
    rDb.close();
  }
}

async function benchEtcd(endpoint: string): Promise<{ rates: RateRow[]; latencies: LatencyRow[] }> {
  const store = await EtcdStore.open({ endpoints: [endpoint] });
  // The raw client as a program would make it: defaults (etcd3's own retry and circuit breaker).
  const client = new Etcd3({ hosts: endpoint });
  try {
    const text = (seq: number): string => JSON.stringify(valueOf(seq));
    const rawCas: Cas = (key, seq, rev) => rawEtcdCas(client, key, text(seq), rev);
    const rates = await benchCas('etcd', CONFIG.etcdSeconds, CONFIG.etcdWarmupSeconds, { store, prefix: '/t/' }, {
      prefix: '/r/', create: (key) => rawEtcdCreate(client, key, text(0)), cas: rawCas, casAsync: rawCas,
    });

    const tPrefix = '/t/watch/', rPrefix = '/r/watch/';
    const tWrite = await chainedWriter(
      async () => (await store.create(`${tPrefix}k`, valueOf(0))).revision,
      async (seq, rev) => (await store.update(`${tPrefix}k`, valueOf(seq), rev)).revision);
    const rWrite = await chainedWriter(
      () => rawEtcdCreate(client, `${rPrefix}k`, text(0)),
      (seq, rev) => rawEtcdCas(client, `${rPrefix}k`, text(seq), rev));
    let rx = new Receiver(CONFIG.watchWrites);
    const t = await watchLatency(tWrite, localProbe(rx, await watchStore(store, tPrefix, rx)));
    rx = new Receiver(CONFIG.watchWrites);
    const r = await watchLatency(rWrite, localProbe(rx, await watchRawEtcd(client, rPrefix, rx)));
    return { rates, latencies: [{ backend: 'etcd', measurement: 'watch, same process', tortie: t, raw: r }] };
  } finally {
    await store.close();
    client.close();
  }
}

const fmtRate = (x: number): string => `${Math.round(x).toLocaleString('en-US')}/s`;
const fmtMs = (x: number): string => `${x < 1 ? x.toFixed(3) : x.toFixed(2)} ms`;
const ratio = (a: number, b: number): number => a / b;

function report(rates: RateRow[], lats: LatencyRow[], startedAt: number, loadAtStart: number[]): void {
  const table = new Table({
    head: ['backend', 'measurement', 'tortie', 'raw', 'tortie/raw', `target >= ${CONFIG.target.toFixed(2)}`],
    colAligns: ['left', 'left', 'right', 'right', 'right', 'left'],
    style: { head: [], border: [] }, // no colour codes: the output goes to logs
  });
  const order: Backend[] = ['embedded', 'etcd'];
  for (const backend of order) {
    for (const r of rates.filter((x) => x.backend === backend)) {
      const q = ratio(r.tortie.perSecond, r.raw.perSecond);
      table.push([backend, r.measurement, fmtRate(r.tortie.perSecond), fmtRate(r.raw.perSecond), q.toFixed(2), q >= CONFIG.target ? 'met' : 'MISSED']);
    }
    for (const l of lats.filter((x) => x.backend === backend)) {
      const lost = l.tortie.missing + l.raw.missing > 0 ? ` (lost: tortie ${l.tortie.missing}, raw ${l.raw.missing})` : '';
      for (const p of ['p50', 'p99'] as const) {
        table.push([backend, `${l.measurement} ${p}${lost}`, fmtMs(l.tortie[p]), fmtMs(l.raw[p]), ratio(l.tortie[p], l.raw[p]).toFixed(2), '(lower is better)']);
      }
    }
  }
  console.log(table.toString());
  const targets = rates.map((r) => {
    const q = ratio(r.tortie.perSecond, r.raw.perSecond);
    return { backend: r.backend, measurement: r.measurement, ratio: q, min: CONFIG.target, met: q >= CONFIG.target };
  });
  const missed = targets.filter((t) => !t.met);
  console.log(missed.length === 0
    ? `Target met: Tortie keeps >= ${CONFIG.target * 100}% of the raw CAS rate on every row.`
    : `Target missed on: ${missed.map((t) => `${t.backend} ${t.measurement} (${(t.ratio * 100).toFixed(0)}%)`).join(', ')}.`);
  const json = {
    bench: 'datastore',
    date: new Date().toISOString(),
    seconds: (performance.now() - startedAt) / 1000,
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', loadavgAtStart: loadAtStart, loadavgAtEnd: loadavg(), node: process.version },
    config: CONFIG,
    cas: rates.map((r) => ({
      backend: r.backend, measurement: r.measurement, unit: 'ops/s',
      tortie: r.tortie.perSecond, raw: r.raw.perSecond, ratio: ratio(r.tortie.perSecond, r.raw.perSecond),
      tortieRounds: r.tortie.rounds, rawRounds: r.raw.rounds, tortieOps: r.tortie.ops, rawOps: r.raw.ops,
      // The bench process's CPU per write: for etcd the client's share (the server is another process).
      tortieCpuMicrosPerOp: r.tortie.cpuMicrosPerOp, rawCpuMicrosPerOp: r.raw.cpuMicrosPerOp,
    })),
    watch: lats.map((l) => ({
      backend: l.backend, measurement: l.measurement, unit: 'ms', tortie: l.tortie, raw: l.raw,
      ratio: { p50: ratio(l.tortie.p50, l.raw.p50), p99: ratio(l.tortie.p99, l.raw.p99) },
    })),
    targets,
  };
  console.log(`BENCH_JSON ${JSON.stringify(json)}`);
}

async function main(backends: readonly string[]): Promise<void> {
  const unknown = backends.filter((b) => b !== 'embedded' && b !== 'etcd');
  if (unknown.length > 0) throw new Error(`Unknown backend ${unknown.join(', ')}: give embedded, etcd or nothing (both)`);
  const run = (b: Backend): boolean => backends.length === 0 || backends.includes(b);
  const startedAt = performance.now();
  const loadAtStart = loadavg();
  const dir = tempDir('bench');
  const children = new Children();
  let etcd: EtcdServer | null = null;
  let cleaned = false;
  const cleanup = async (): Promise<void> => {
    if (cleaned) return;
    cleaned = true;
    children.killAll();
    await etcd?.stop();
    dir.remove();
  };
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => { void cleanup().finally(() => process.exit(130)); });
  }
  const rates: RateRow[] = [];
  const lats: LatencyRow[] = [];
  try {
    if (run('embedded')) {
      console.error('embedded: CAS and watch…');
      const e = await benchEmbedded(dir, children);
      rates.push(...e.rates);
      lats.push(...e.latencies);
    }
    if (run('etcd')) {
      console.error('etcd: starting a server on loopback…');
      etcd = await EtcdServer.start();
      console.error('etcd: CAS and watch…');
      const t = await benchEtcd(etcd.endpoint);
      rates.push(...t.rates);
      lats.push(...t.latencies);
    }
  } finally {
    await cleanup();
  }
  report(rates, lats, startedAt, loadAtStart);
}

await main(process.argv.slice(2));
