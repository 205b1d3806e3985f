// npm run bench:bgp — one iBGP session from a GoBGP sender carrying N prefixes (10,000 and
// 100,000 by default) to a receiver, in network namespaces; every receiver measured in the same run:
//   tortie        our speaker (child process) + RouteManager writing the kernel (as the agent does)
//   tortie-rib    our speaker without kernel programming (its RIB only, as `bird` below)
//   bird+kernel   BIRD 2 with its kernel protocol exporting the BGP routes
//   bird          BIRD 2 without a kernel protocol (its RIB only)
//   gobgp         gobgpd (its RIB only; it does not write the kernel)
// Times are from the session reaching Established (polled every 20 ms) to all N prefixes in the
// receiver's RIB, and to all N in the kernel FIB (polled every 100 ms) where the receiver writes
// it; CPU seconds and peak RSS (VmHWM) are the receiver process's own. Ratios are to BIRD.
// Targets (reported, not enforced): Loc-RIB ≤ 2× bird; kernel ≤ bird+kernel; RSS < 100 MB.
// The GoBGP sender is loaded once per size from a feeder (BIRD with N static routes, over eBGP,
// next hop set to the sender's address on the receiver's link) — its CLI adds ~100 routes/s on
// this machine and `gobgp mrt inject global` accepted our TABLE_DUMP_V2 files but injected
// nothing on GoBGP 3.10 — and stays up while each receiver in turn takes the iBGP session:
//   feeder (BIRD, AS 65100) 10.94.0.1 ── 10.94.0.2 sender (GoBGP) 10.95.0.1 ── 10.95.0.2 receiver
// Missing: the 10-node mesh vs route-reflector convergence part of issue 7.
// Needs root, bird2 and gobgpd. Prints a table and one `BENCH_JSON {...}` line.
// Knobs: BENCH_BGP_PREFIXES=100000 and BENCH_BGP_RECEIVERS=tortie,bird run a part;
// BENCH_BGP_DEBUG=1 prints our speaker's heap and keeps its log as /tmp/bench-bgp-<receiver>-<n>.log
// (with TT_DEBUG_ROUTES=1 it logs every kernel batch); TT_ROUTE_CHUNK / TT_ROUTE_PARALLEL /
// TT_ROUTE_WRITERS change the route pipeline (test/support/speaker-child.ts); TT_SPEAKER_NODE_ARGS
// passes node flags (test/support/bgp-lab.ts).

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { BgpLab, type SpeakerProc } from '../test/support/bgp-lab.js';

const SIZES = (process.env['BENCH_BGP_PREFIXES'] ?? '10000,100000').split(',').map(Number);
const RECEIVERS = (process.env['BENCH_BGP_RECEIVERS'] ?? 'tortie,tortie-rib,bird+kernel,bird,gobgp').split(',');
const TIMEOUT_MS = 180_000;
const SENDER = '10.95.0.1', RECEIVER = '10.95.0.2', FEEDER = '10.94.0.1', SENDER_UP = '10.94.0.2';

/** The i-th benchmark prefix: 20.0.0.0/24, 20.0.1.0/24, … (clear of the lab's 10.x links). */
const benchPrefix = (i: number): string => `${20 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}.0/24`;

interface Result { receiver: string; n: number; ribS: number | null; kernelS: number | null; cpuS: number; rssMB: number }

function procStats(pid: number): { cpuS: number; rssMB: number } {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(f[11]) + Number(f[12]); // utime + stime
    const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return { cpuS: ticks / 100, rssMB: hwm ? Number(hwm[1]) / 1024 : 0 };
  } catch { return { cpuS: NaN, rssMB: NaN }; }
}

const senderConf = `
[global.config]
  as = 64512
  router-id = "${SENDER}"
  port = -1
[[neighbors]]
  [neighbors.config]
    neighbor-address = "${RECEIVER}"
    peer-as = 64512
  [neighbors.timers.config]
    connect-retry = 1
  [neighbors.transport.config]
    local-address = "${SENDER}"
[[neighbors]]
  [neighbors.config]
    neighbor-address = "${FEEDER}"
    peer-as = 65100
  [neighbors.timers.config]
    connect-retry = 1
  [neighbors.transport.config]
    local-address = "${SENDER_UP}"
`;
const feederConf = (n: number): string => `
router id ${FEEDER};
protocol device { scan time 10; }
protocol static { ipv4; ${Array.from({ length: n }, (_, i) => `route ${benchPrefix(i)} blackhole;`).join(' ')} }
protocol bgp sender { local ${FEEDER} as 65100; neighbor ${SENDER_UP} as 64512; passive on; ipv4 { import none; export all; next hop address ${SENDER}; }; }
`;
const gobgpReceiverConf = `
[global.config]
  as = 64512
  router-id = "${RECEIVER}"
  port = 179
[[neighbors]]
  [neighbors.config]
    neighbor-address = "${SENDER}"
    peer-as = 64512
  [neighbors.transport.config]
    passive-mode = true
`;
const birdConf = (kernel: boolean): string => `
router id ${RECEIVER};
protocol device { scan time 10; }
${kernel ? 'protocol kernel { ipv4 { import none; export all; }; scan time 10; merge paths off; }' : ''}
protocol bgp sender { local ${RECEIVER} as 64512; neighbor ${SENDER} as 64512; passive on; ipv4 { import all; export none; }; }
`;

async function poll(ms: number, every: number, f: () => boolean | Promise<boolean>): Promise<number | null> {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    if (await f()) return performance.now();
    await sleep(every);
  }
  return null;
}

// One dump per poll (a 100,000-route dump costs the kernel and `ip` real CPU, which the receiver
// being measured competes with).
const kernelCount = (ns: string, proto: string): number =>
  Number(execFileSync('sh', ['-c', `ip -n ${ns} -4 route show proto ${proto} | wc -l`], { encoding: 'utf8' }).trim() || 0);

async function loadSender(lab: BgpLab, s: string, f: string, n: number): Promise<{ sender: Awaited<ReturnType<BgpLab['gobgp']>>; feeder: Awaited<ReturnType<BgpLab['bird']>> }> {
  const sender = await lab.gobgp(s, `sender-${n}`, senderConf);
  const feeder = await lab.bird(f, `feeder-${n}`, feederConf(n));
  const loaded = await poll(300_000, 200, () => new RegExp(`Destination: ${n}\\b`).test(sender.gobgp('global', 'rib', 'summary', '-a', 'ipv4')));
  if (loaded === null) throw new Error(`the sender did not load ${n} prefixes`);
  return { sender, feeder };
}

async function one(lab: BgpLab, r: string, receiver: string, n: number): Promise<Result> {
  let child: ChildProcess;
  let established: () => boolean | Promise<boolean>;
  let ribCount: () => number | Promise<number>;
  let kernel: (() => number) | null = null;
  let sp: SpeakerProc | undefined;
  if (receiver.startsWith('tortie')) {
    sp = await lab.speaker(r, `${receiver}-${n}`);
    if (receiver === 'tortie') await sp.call('program', {});
    await sp.call('config', { config: { routerId: RECEIVER, asNumber: 64512, listenPort: 179 } });
    await sp.call('peers', { peers: [{ name: 'Global_sender', type: 'global', address: SENDER, asNumber: 64512, passive: true, sourceAddress: RECEIVER }] });
    child = sp.child;
    const peer = async () => (await sp!.call<{ peers: Array<{ state: string; prefixes: { accepted: number } }> }>('status')).peers[0]!;
    established = async () => (await peer()).state === 'up';
    ribCount = async () => (await peer()).prefixes.accepted;
    if (receiver === 'tortie') kernel = () => kernelCount(r, '80');
  } else if (receiver.startsWith('bird')) {
    const withKernel = receiver === 'bird+kernel';
    const b = await lab.bird(r, `${receiver}-${n}`, birdConf(withKernel));
    child = b.child;
    established = () => /Established/.test(b.birdc('show protocols sender'));
    ribCount = () => Number(/(\d+) of \d+ routes/.exec(b.birdc('show route count'))?.[1] ?? 0);
    if (withKernel) kernel = () => kernelCount(r, 'bird');
  } else {
    const g = await lab.gobgp(r, `receiver-${n}`, gobgpReceiverConf);
    child = g.child;
    established = () => /Establ/.test(g.gobgp('neighbor'));
    ribCount = () => Number(/Destination: (\d+)/.exec(g.gobgp('global', 'rib', 'summary', '-a', 'ipv4'))?.[1] ?? 0);
  }
  const t0 = await poll(30_000, 20, established);
  if (t0 === null) throw new Error(`${receiver}: the session did not come up`);
  const t1 = await poll(TIMEOUT_MS, 20, async () => (await ribCount()) >= n);
  const t2 = kernel ? await poll(TIMEOUT_MS, 100, () => kernel!() >= n) : null;
  const st = procStats(child.pid!);
  if (sp && process.env['BENCH_BGP_DEBUG']) {
    console.error(`${receiver} memory`, await sp.call('memory'));
    copyFileSync(sp.logFile, `/tmp/bench-bgp-${receiver}-${n}.log`);
  }
  if (sp) {
    // Graceful: leaves the kernel routes (flushed below). The child exits by itself; give it time
    // to (e.g. to write a --cpu-prof profile, see TT_SPEAKER_NODE_ARGS in bgp-lab) before a SIGTERM.
    const gone = new Promise((r) => child.once('exit', r));
    await sp.call('stop').catch(() => {});
    await Promise.race([gone, sleep(10_000)]);
  }
  await lab.kill(child);
  for (const proto of ['80', 'bird']) execFileSync('ip', ['-n', r, 'route', 'flush', 'proto', proto]);
  return { receiver, n, ribS: t1 === null ? null : (t1 - t0) / 1000, kernelS: t2 === null ? null : (t2 - t0) / 1000, ...st };
}

const fmt = (x: number | null, d = 2): string => (x === null || Number.isNaN(x) ? '—' : x.toFixed(d));

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) { console.error('bench:bgp needs root'); process.exit(1); }
  const lab = new BgpLab('bb');
  const results: Result[] = [];
  try {
    const f = lab.ns('f'), s = lab.ns('s'), r = lab.ns('r');
    lab.link(s, `${SENDER}/24`, r, `${RECEIVER}/24`);
    lab.link(f, `${FEEDER}/24`, s, `${SENDER_UP}/24`);
    for (const n of SIZES) {
      const t = performance.now();
      const { sender, feeder } = await loadSender(lab, s, f, n);
      console.error(`sender loaded with ${n} prefixes in ${((performance.now() - t) / 1000).toFixed(1)} s`);
      for (const receiver of RECEIVERS) {
        const res = await one(lab, r, receiver, n);
        results.push(res);
        console.error(`${receiver} ${n}: rib ${fmt(res.ribS)} s, kernel ${fmt(res.kernelS)} s, cpu ${fmt(res.cpuS)} s, rss ${fmt(res.rssMB, 1)} MB`);
      }
      await lab.kill(sender.child);
      await lab.kill(feeder.child);
    }
  } finally {
    await lab.destroy();
  }
  const ref = (n: number, who: string): Result | undefined => results.find((x) => x.n === n && x.receiver === who);
  const ratio = (a: number | null | undefined, b: number | null | undefined): string => (a && b ? `${(a / b).toFixed(2)}×` : '—');
  const head = ['receiver', 'prefixes', 'Loc-RIB s', 'kernel s', 'CPU s', 'peak RSS MB', 'RIB vs bird', 'kernel vs bird+kernel'];
  const rows = results.map((x) => [x.receiver, String(x.n), fmt(x.ribS), fmt(x.kernelS), fmt(x.cpuS), fmt(x.rssMB, 1),
    ratio(x.ribS, ref(x.n, 'bird')?.ribS), x.kernelS === null ? '—' : ratio(x.kernelS, ref(x.n, 'bird+kernel')?.kernelS)]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  console.log(line(head));
  for (const row of rows) console.log(line(row));
  const targets = SIZES.map((n) => {
    const t = ref(n, 'tortie'), b = ref(n, 'bird'), bk = ref(n, 'bird+kernel');
    return { n, ribWithin2xBird: !!(t?.ribS && b?.ribS && t.ribS <= 2 * b.ribS), kernelNoLaterThanBird: !!(t?.kernelS && bk?.kernelS && t.kernelS <= bk.kernelS), rssUnder100MB: !!(t && t.rssMB < 100) };
  });
  console.log(`targets: ${targets.map((t) => `${t.n}: Loc-RIB ≤ 2× bird ${t.ribWithin2xBird ? 'yes' : 'NO'}, kernel ≤ bird ${t.kernelNoLaterThanBird ? 'yes' : 'NO'}, RSS < 100 MB ${t.rssUnder100MB ? 'yes' : 'NO'}`).join('; ')}`);
  console.log(`BENCH_JSON ${JSON.stringify({ bench: 'bgp', results, targets })}`);
}

void main().catch((e: unknown) => { console.error(e); process.exit(1); });
