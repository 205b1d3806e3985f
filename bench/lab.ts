// npm run bench:lab — `tortie lab` end to end (issue 8), every figure next to a reference built in
// the same run:
//
//   1. lift    wall clock of `tortie lab up` (agents ready) and `lab down` with 2 and 10 nodes, in
//              alternating rounds with the bare underlay made by hand (the same `ip` commands as
//              src/lab/topology.ts: router namespace + bridge, node namespaces + veths) and
//              `ip netns del` of it                                            (bench/lab-net.ts)
//   2. reach   in a 10-node lab (BGP mesh; route reflectors when `lab up --help` offers
//              `--topology rr`): `lab pod add` returning → the pod answers pings from a pod on
//              every other node, against the floor of the same probe once the pod is reachable
//                                                                            (bench/lab-reach.ts)
//   3. perf    pod-to-pod iperf3 throughput and ping round trips across two nodes, lab without
//              encapsulation and with --encap vxlan, next to a bare veth pair, the Calico design
//              built by hand (the ideal) and flannel's bridge design (host-gw / VXLAN), all
//              standing at once, in mirrored rounds                       (bench/lab-perf.ts)
//
// Targets (reported, never fatal): lab throughput ≥ 0.95× the hand-built ideal in both modes, and
// above flannel's bridge + VXLAN. Root; everything lives in namespaces: labs tb… (`tortie lab`
// names theirs <lab>-…), hand-built ones tt-l…; all are removed at the end, also after a failure.
//
// Environment: BENCH_LAB_PARTS (up,reach,perf), BENCH_LAB_UP_SIZES (2,10), BENCH_LAB_UP_ROUNDS (3),
// BENCH_LAB_NODES (10), BENCH_LAB_PODS (20), BENCH_LAB_ROUNDS (6), BENCH_LAB_SECONDS (3 per iperf3
// run), BENCH_LAB_PINGS (100 per round, 10 ms apart).

import { spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { Labs, labFeatures, type LabFeatures } from './lab-cli.js';
import { Namespaces, underlay } from './lab-net.js';
import { measurePerf, median, pairedRatio, roundRatios, type SetupKey, type SetupResult } from './lab-perf.js';
import { stopProbes } from './lab-probe.js';
import { measureReach, type ReachResult, type ReachSample } from './lab-reach.js';
import { now, percentile } from './measure.js';

const env = (k: string, d: string): string => process.env[k] ?? d;
const PARTS = new Set(env('BENCH_LAB_PARTS', 'up,reach,perf').split(','));
const UP_SIZES = env('BENCH_LAB_UP_SIZES', '2,10').split(',').map(Number);
const UP_ROUNDS = Number(env('BENCH_LAB_UP_ROUNDS', '3'));
const NODES = Number(env('BENCH_LAB_NODES', '10'));
const PODS = Number(env('BENCH_LAB_PODS', '20'));
const ROUNDS = Number(env('BENCH_LAB_ROUNDS', '6'));
const SECONDS = Number(env('BENCH_LAB_SECONDS', '3'));
const PINGS = Number(env('BENCH_LAB_PINGS', '100'));
const PING_INTERVAL = 0.01;
const IDEAL_TARGET = 0.95;
const LABS = ['tbu', 'tbm', 'tbr', 'tbn', 'tbv'];

const log = (s: string): void => { process.stderr.write(`${s}\n`); };
const f = (v: number | null | undefined, d = 1): string => (v === null || v === undefined || Number.isNaN(v) ? '–' : v.toFixed(d));
const table = (head: string[], rows: string[][]): string => {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  return [head, ...rows].map((r) => r.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ')).join('\n');
};

// ---- 1. lab up / down against the bare underlay ------------------------------------------------

interface UpResult { nodes: number; labUpMs: number[]; labDownMs: number[]; refUpMs: number[]; refDownMs: number[] }

async function measureUp(labs: Labs, nss: Namespaces, upArgs: readonly string[]): Promise<UpResult[]> {
  const out: UpResult[] = [];
  // Warm-up (not measured): the first start of node, the agent and the CNI shim from a cold cache.
  await labs.bringUp('tbu', ['--nodes', '2', ...upArgs]);
  await labs.down('tbu');
  for (const n of UP_SIZES) {
    const r: UpResult = { nodes: n, labUpMs: [], labDownMs: [], refUpMs: [], refDownMs: [] };
    for (let i = 0; i < UP_ROUNDS; i++) {
      for (const side of i % 2 === 0 ? ['lab', 'ref'] : ['ref', 'lab']) {
        if (side === 'lab') {
          r.labUpMs.push((await labs.bringUp('tbu', ['--nodes', String(n), ...upArgs])).ms);
          r.labDownMs.push((await labs.down('tbu')).ms);
        } else {
          let t = now();
          const u = underlay(nss, 'tt-lu', n);
          r.refUpMs.push(now() - t);
          t = now();
          for (const x of [...u.nodes.map((y) => y.ns), u.router]) nss.del(x);
          r.refDownMs.push(now() - t);
        }
      }
    }
    log(`lab up/down ${n} nodes: up ${r.labUpMs.map((x) => f(x, 0)).join(', ')} ms; down ${r.labDownMs.map((x) => f(x, 0)).join(', ')} ms`);
    out.push(r);
  }
  return out;
}

// ---- main ---------------------------------------------------------------------------------------

interface Outcome { up?: UpResult[]; reach: Array<ReachResult | { lab: string; topology: string; error: string }>; perf?: SetupResult[]; errors: string[] }

async function run(labs: Labs, nss: Namespaces, features: LabFeatures): Promise<Outcome> {
  const bgpArgs = features.bgpFlag ? ['--bgp'] : [];
  const o: Outcome = { reach: [], errors: [] };
  const part = async (name: string, fn: () => Promise<void>): Promise<void> => {
    if (!PARTS.has(name)) return;
    try { await fn(); } catch (e) { o.errors.push(`${name}: ${(e as Error).message}`); log(`${name} failed: ${(e as Error).message}`); }
  };
  await part('up', async () => { o.up = await measureUp(labs, nss, bgpArgs); });
  await part('reach', async () => {
    const topologies: Array<{ lab: string; topology: string; args: string[] }> = [{ lab: 'tbm', topology: 'mesh', args: bgpArgs }];
    if (features.topologyRr) topologies.push({ lab: 'tbr', topology: 'rr', args: ['--topology', 'rr', ...bgpArgs] });
    for (const t of topologies) {
      try {
        o.reach.push(await measureReach(labs, t.lab, NODES, PODS, t.args, t.topology, log));
      } catch (e) {
        o.reach.push({ lab: t.lab, topology: t.topology, error: (e as Error).message });
        log(`reach ${t.topology} failed: ${(e as Error).message}`);
      } finally {
        await labs.down(t.lab).catch((e: Error) => o.errors.push(`lab down ${t.lab}: ${e.message}`));
      }
    }
  });
  await part('perf', async () => {
    try {
      o.perf = await measurePerf(labs, nss, { rounds: ROUNDS, seconds: SECONDS, pings: PINGS, pingInterval: PING_INTERVAL, upArgs: bgpArgs }, log);
    } finally {
      for (const l of ['tbn', 'tbv']) await labs.down(l).catch((e: Error) => o.errors.push(`lab down ${l}: ${e.message}`));
      nss.removeAll();
    }
  });
  return o;
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) { console.error('bench:lab needs root: it builds network namespaces'); process.exit(1); }
  for (const tool of [['ip', '-V'], ['iperf3', '--version'], ['ping', '-V'], ['bridge', '-V']]) {
    if (spawnSync(tool[0]!, tool.slice(1), { stdio: 'ignore' }).error) { console.error(`bench:lab needs ${tool[0]}`); process.exit(1); }
  }
  const load0 = loadavg();
  const t0 = now();
  const labs = new Labs();
  const nss = new Namespaces();
  let cleaned: Promise<string[]> | null = null;
  const cleanup = (): Promise<string[]> => (cleaned ??= (async () => {
    stopProbes();
    const failed = await labs.downAll(LABS, true);
    nss.removeAll(true);
    return failed;
  })());
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => { void cleanup().finally(() => process.exit(130)); });

  let features: LabFeatures = { bgpFlag: false, noBgpFlag: false, topologyRr: false };
  let outcome: Outcome = { reach: [], errors: [] };
  try {
    const leftovers = await labs.downAll(LABS); // leftovers of an interrupted run (lab down is idempotent)
    if (leftovers.length) throw new Error(`could not remove leftover labs: ${leftovers.join('; ')}`);
    features = await labFeatures();
    log(`lab up --help: ${features.bgpFlag ? '--bgp (passed)' : 'no --bgp flag'}${features.noBgpFlag ? ', --no-bgp' : ''}, --topology rr ${features.topologyRr ? 'offered' : 'not offered'}`);
    outcome = await run(labs, nss, features);
  } catch (e) {
    outcome.errors.push((e as Error).message);
  } finally {
    const failed = await cleanup();
    for (const x of failed) outcome.errors.push(`cleanup: lab down ${x}`);
  }
  report(outcome, features, load0, (now() - t0) / 1000);
}

// ---- output -------------------------------------------------------------------------------------

function report(o: Outcome, features: LabFeatures, load0: number[], seconds: number): void {
  const out: string[] = [];
  const targets: Array<{ what: string; value: number | null; target: string; met: boolean | null }> = [];
  out.push(`bench:lab — ${cpus().length} CPUs; BGP ${features.bgpFlag ? 'on (--bgp passed)' : features.noBgpFlag ? 'on by default' : 'off (no --bgp flag)'}`);

  if (o.up) {
    out.push('', `1. lab up (agents ready) / lab down, wall clock of the CLI, median of ${UP_ROUNDS} alternating rounds (ms); reference: the same underlay by hand (ip netns add + ip -batch) / ip netns del`);
    out.push(table(['nodes', 'lab up', 'rounds', 'underlay by hand', 'ratio', 'lab down', 'rounds', 'ip netns del', 'ratio'], o.up.map((r) => [
      String(r.nodes), f(median(r.labUpMs), 0), r.labUpMs.map((x) => f(x, 0)).join('/'), f(median(r.refUpMs), 0), f(median(r.labUpMs) / median(r.refUpMs)),
      f(median(r.labDownMs), 0), r.labDownMs.map((x) => f(x, 0)).join('/'), f(median(r.refDownMs), 0), f(median(r.labDownMs) / median(r.refDownMs)),
    ])));
  }

  const stat = (xs: readonly ReachSample[], k: 'reachMs' | 'floorMs' | 'podAddMs'): { p50: number; p99: number; missing: number } => {
    const v = xs.map((s) => s[k]).filter((x): x is number => x !== null).sort((a, b) => a - b);
    return { p50: percentile(v, 50), p99: percentile(v, 99), missing: xs.length - v.length };
  };
  if (PARTS.has('reach')) {
    out.push('', `2. pod add → reachable (ping answered) from a pod on every other node (ms); floor = the same probe once the pod is reachable`);
    const rows: string[][] = [];
    for (const r of o.reach) {
      if ('error' in r) { rows.push([`${r.topology} (${r.lab})`, 'FAILED', '', '', '', '', '', '', '', '']); continue; }
      for (const [what, xs] of [['first pod on a node (new block)', r.firstPod], ['pod in a known block', r.knownBlock]] as const) {
        const a = stat(xs, 'reachMs'), fl = stat(xs, 'floorMs'), add = stat(xs, 'podAddMs');
        rows.push([`${r.topology}: ${what}`, String(xs.length), f(a.p50), f(a.p99), String(a.missing), f(fl.p50), f(fl.p99), f(a.p50 / fl.p50, 2), f(a.p50 - fl.p50), f(add.p50, 0)]);
      }
    }
    if (!features.topologyRr) rows.push(['rr: not available (lab up --help offers no --topology rr)', '', '', '', '', '', '', '', '', '']);
    out.push(table(['', 'pods', 'p50', 'p99', 'missing', 'floor p50', 'floor p99', 'ratio p50', 'p50 − floor', 'pod add CLI p50'], rows));
    for (const r of o.reach) {
      if ('error' in r) { out.push(`${r.topology}: FAILED: ${r.error}`); continue; }
      out.push(`${r.topology}: ${r.nodes} nodes, lab up ${f(r.upMs / 1000)} s; ${r.bgpSettledMs === null ? 'BGP off' : `BGP all Established ${f(r.bgpSettledMs / 1000)} s after lab up returned`}; `
        + `routers ${r.routers}; peers per node: ${[...new Set(r.peers)].join(', ')}`);
      for (const n of r.notes) out.push(`note: ${n}`);
    }
  }

  if (o.perf) {
    const by = new Map(o.perf.map((s) => [s.key, s] as const));
    out.push('', `3. pod-to-pod across two nodes: iperf3 TCP ${SECONDS} s × ${ROUNDS} mirrored rounds, ping ${PINGS} × ${PING_INTERVAL * 1000} ms per round (all rounds pooled);`
      + ' ratios are medians of the per-round ratios');
    out.push(table(['setup', 'Gbit/s med', 'rounds', 'retr', 'rtt p50 µs', 'rtt p99 µs', 'lost', 'vs ideal', 'vs bare'], o.perf.map((s) => {
      const mode = s.key.endsWith('vxlan') ? 'vxlan' : 'none';
      return s.error ? [s.label, 'FAILED', '', '', '', '', '', '', ''] : [
        s.label, f(s.gbpsMedian, 2), s.gbps.map((x) => f(x, 1)).join('/'), String(s.retransmits), f(s.rttP50 * 1000, 0), f(s.rttP99 * 1000, 0), String(s.lost),
        s.key === 'bare' ? '' : f(pairedRatio(s, by.get(`ideal-${mode}` as SetupKey)), 3), f(pairedRatio(s, by.get('bare')), 3),
      ];
    })));
    for (const s of o.perf) {
      if (s.error) out.push(`${s.key}: FAILED: ${s.error}`);
      for (const x of s.failures) out.push(`${s.key}: an iperf3 round failed: ${x}`);
    }
    for (const mode of ['none', 'vxlan'] as const) {
      const lab = by.get(`lab-${mode}`), ideal = by.get(`ideal-${mode}`), fl = by.get(`flannel-${mode}`), bare = by.get('bare');
      const vi = pairedRatio(lab, ideal), vf = pairedRatio(lab, fl);
      targets.push({ what: `lab/ideal throughput, ${mode}`, value: vi, target: `≥ ${IDEAL_TARGET}`, met: vi === null ? null : vi >= IDEAL_TARGET });
      targets.push({ what: `lab/flannel throughput, ${mode}`, value: vf, target: mode === 'vxlan' ? '> 1 (ahead of bridge + VXLAN)' : '> 1 (info: host-gw)', met: vf === null ? null : vf > 1 });
      out.push(`${mode}: lab/ideal ${f(vi, 3)} (rounds ${roundRatios(lab, ideal).map((x) => f(x, 2)).join(' ')}; ratio of medians ${f(lab && ideal ? lab.gbpsMedian / ideal.gbpsMedian : null, 3)}), `
        + `lab/flannel ${f(vf, 3)} (rounds ${roundRatios(lab, fl).map((x) => f(x, 2)).join(' ')}), ideal/bare ${f(pairedRatio(ideal, bare), 3)}, `
        + `rtt p50 lab/ideal ${f(lab && ideal ? lab.rttP50 / ideal.rttP50 : null, 2)}`);
    }
  }

  out.push('');
  for (const t of targets) out.push(`target: ${t.what} ${f(t.value, 3)} ${t.target}: ${t.met === null ? 'NOT MEASURED' : t.met ? 'MET' : 'MISSED'}`);
  for (const e of o.errors) out.push(`error: ${e}`);
  const load1 = loadavg();
  out.push(`machine: ${cpus().length} CPUs, load average ${load0.map((x) => x.toFixed(2)).join(' ')} at start, ${load1.map((x) => x.toFixed(2)).join(' ')} at end; ${seconds.toFixed(0)} s in all`);
  process.stdout.write(`${out.join('\n')}\n`);
  process.stdout.write(`BENCH_JSON ${JSON.stringify({
    bench: 'lab', cpus: cpus().length, features, seconds,
    settings: { upSizes: UP_SIZES, upRounds: UP_ROUNDS, nodes: NODES, pods: PODS, rounds: ROUNDS, iperfSeconds: SECONDS, pings: PINGS, pingIntervalS: PING_INTERVAL },
    up: o.up ?? null,
    reach: o.reach.map((r) => ('error' in r ? r : {
      ...r,
      firstPodStats: { reach: stat(r.firstPod, 'reachMs'), floor: stat(r.firstPod, 'floorMs'), podAdd: stat(r.firstPod, 'podAddMs') },
      knownBlockStats: { reach: stat(r.knownBlock, 'reachMs'), floor: stat(r.knownBlock, 'floorMs'), podAdd: stat(r.knownBlock, 'podAddMs') },
    })),
    rrAvailable: features.topologyRr,
    perf: o.perf ?? null, targets, errors: o.errors, loadStart: load0, loadEnd: load1,
  })}\n`);
}

await main();
