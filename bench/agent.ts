// npm run bench:agent — the node agent end to end (issue 5): the time from a WorkloadEndpoint write
// to its route and policy being in the kernel, and the time to program a whole node from nothing.
//
//   outer process ── creates tt-bench-agent (the node) and tt-bench-agent-pods (the pods' veth ends)
//                └─▶ itself again inside the node (`ip netns exec … --inside`), so iproute2, nft and
//                    /proc/sys act on that namespace; both namespaces are removed at the end
//   inside:  SQLite store (tt-bench-agent-… temp dir): Node, IPPool (/22 blocks), 20 namespaces,
//            P policies, IPAM blocks, E WorkloadEndpoints whose host veths (cali…) exist
//            writer connection ──▶ store ◀── the real Agent (Syncer → ClusterState → computeDesired →
//            (a second connection, as            DataplaneDriver over Iproute2Netlink, SysctlFs, NftCli)
//             the CNI plugin's: the agent
//             notices it by its 10 ms poll)
//
// Per size E (100, 1,000, 10,000 endpoints by default; 1,000 policies):
//   first start   the agent on an empty dataplane (the process's first run of that size: JIT cold)
//   latency       S endpoints added one at a time (interfaces pre-created), S label changes of
//                 existing endpoints (element-only nft patches), S deletions: from the write call
//                 to the resolution of the driver apply that carries it (bench/agent-probe.ts)
//   restart       a new agent on the already programmed dataplane: what it writes, how long
//   cold start    from Agent.start() on an empty dataplane (routes flushed, nft ruleset flushed,
//   vs floor      sysctls at defaults) to its first complete apply, in alternating rounds
//                 (Thue–Morse order) with the floor: `ip -batch FILE` + `nft -f FILE` of the very
//                 state the agent computed; `sysctl -p FILE` of its sysctls is timed apart.
// Targets: cold start within 2× the floor; p99 add latency under 200 ms at 1,000 endpoints. A
// missed target is reported, never fatal. Prints tables and one `BENCH_JSON {...}` line. Root.
//
// Environment: BENCH_AGENT_SIZES (100,1000,10000), BENCH_AGENT_POLICIES (1000),
// BENCH_AGENT_SAMPLES (100 per kind and size), BENCH_AGENT_ROUNDS (3),
// BENCH_AGENT_CPU_PROF=DIR (the inside process runs with --cpu-prof into DIR),
// BENCH_AGENT_PROFILE=DIR (a CPU profile of each size's latency phase alone, DIR/latency-<E>.cpuprofile),
// BENCH_AGENT_NODE_FLAGS="…" (extra node flags for the inside process, e.g. GC settings).

import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import * as inspector from 'node:inspector/promises';
import { loadavg, cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent, type Logger } from '../src/agent/index.js';
import { AgentMetrics } from '../src/agent/metrics.js';
import { computeDesired, type CalcContext, type DesiredDataplane } from '../src/calc/index.js';
import { DataplaneDriver, renderRuleset } from '../src/dataplane/index.js';
import { Iproute2Netlink, NftCli, SysctlFs } from '../src/dataplane/linux/index.js';
import { SqliteStore } from '../src/datastore/sqlite/index.js';
import { IpamService } from '../src/ipam/service/index.js';
import { endpointStatusKey, WorkloadEndpoint, type Resource } from '../src/model/index.js';
import { diffRulesets } from '../src/policy/index.js';
import { MAX_BATCH, ResourceClient } from '../src/resources/index.js';
import { ScratchNetns } from '../test/support/scratch-netns.js';
import { tempDir } from '../test/support/temp-dir.js';
import { hasRoute, Probe, ProbedDriver, Timeline, timedNetlink, timedNft, timedSysctl, type ApplyRecord, type Observation } from './agent-probe.js';
import { createPodInterfaces, createUplink, kernelFingerprint, resetKernel, runFloor, writeFloorFiles, type FloorFiles, type FloorTimes } from './agent-kernel.js';
import { APPS, endpoint, endpointName, infrastructure, NAMESPACES, NODE, NODE_CIDR, policy, ifaceOfEndpoint } from './agent-world.js';
import { now, percentile, sleep, within } from './measure.js';

const NS = 'tt-bench-agent';
const PODS_NS = 'tt-bench-agent-pods';
const SIZES = (process.env['BENCH_AGENT_SIZES'] ?? '100,1000,10000').split(',').map(Number).sort((a, b) => a - b);
const POLICIES = Number(process.env['BENCH_AGENT_POLICIES'] ?? 1000);
const SAMPLES = Number(process.env['BENCH_AGENT_SAMPLES'] ?? 100);
const ROUNDS = Number(process.env['BENCH_AGENT_ROUNDS'] ?? 3);
const LATENCY_TARGET_MS = 200;
const LATENCY_TARGET_SIZE = 1000;
const RATIO_TARGET = 2;

const CALC: CalcContext = { nodeName: NODE, uplink: 'eth0', hostMtu: 1500, ipipSupported: false, programNoEncapRoutes: false };

const median = (xs: readonly number[]): number => percentile([...xs].sort((a, b) => a - b), 50);
const range = (a: number, b: number): number[] => Array.from({ length: Math.max(0, b - a) }, (_, i) => a + i);

// ---- outer: the namespace, and this script again inside it ------------------------------------

async function outer(): Promise<void> {
  if (process.getuid?.() !== 0) { console.error('bench:agent needs root: it works inside its own network namespace (tt-bench-agent)'); process.exit(1); }
  for (const tool of ['ip', 'nft', 'sysctl']) {
    if (spawnSync(tool, ['-V'], { stdio: 'ignore' }).error) { console.error(`bench:agent needs ${tool}`); process.exit(1); }
  }
  const ns = new ScratchNetns(NS);
  const pods = new ScratchNetns(PODS_NS);
  try {
    ns.create();
    // The pods' ends of the veths live in one sink namespace without IPv6 (its addrconf work for
    // 10,000 interfaces in one namespace took 13 s and is no part of a node).
    pods.create().exec('sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1');
    const prof = process.env['BENCH_AGENT_CPU_PROF'];
    const flags = (process.env['BENCH_AGENT_NODE_FLAGS'] ?? '').split(' ').filter(Boolean);
    const child = spawn('ip', ['netns', 'exec', NS, process.execPath, '--enable-source-maps', ...flags, ...(prof ? ['--cpu-prof', '--cpu-prof-dir', prof] : []),
      '--max-old-space-size=4096', fileURLToPath(import.meta.url), '--inside'], { stdio: 'inherit' });
    // Only our own child is signalled (`ip netns exec` execs node: the PID is the bench's).
    const forward = (sig: NodeJS.Signals): void => { if (child.exitCode === null) child.kill(sig); };
    process.on('SIGINT', () => forward('SIGINT'));
    process.on('SIGTERM', () => forward('SIGTERM'));
    process.exitCode = await new Promise<number>((resolve) => child.on('exit', (c, sig) => resolve(c ?? (sig ? 128 : 1))));
  } finally {
    ns.remove();
    pods.remove();
  }
}

// ---- inside: the agent in its namespace --------------------------------------------------------

interface Started {
  readonly agent: Agent;
  readonly store: SqliteStore;
  readonly driver: ProbedDriver;
  readonly metrics: AgentMetrics;
  /** Agent.start() → first apply resolved. */
  readonly first: ApplyRecord;
  readonly startMs: number;
}

const logged = new Map<string, number>();
const log: Logger = {
  info: () => {}, debug: () => {},
  warn: (o, m) => { const k = `warn: ${m ?? ''} ${JSON.stringify(o).slice(0, 200)}`; logged.set(k, (logged.get(k) ?? 0) + 1); },
  error: (o, m) => { const k = `error: ${m ?? ''} ${JSON.stringify(o).slice(0, 200)}`; logged.set(k, (logged.get(k) ?? 0) + 1); },
};

async function startAgent(storePath: string, probe: Probe): Promise<Started> {
  const store = new SqliteStore({ path: storePath });
  const timeline = new Timeline();
  const inner = new DataplaneDriver({
    netlink: timedNetlink(new Iproute2Netlink(), timeline), sysctl: timedSysctl(new SysctlFs(), timeline), nft: timedNft(new NftCli(), timeline),
  });
  const driver = new ProbedDriver(inner, timeline, probe);
  const metrics = new AgentMetrics();
  const agent = new Agent({
    nodeName: NODE, store, resources: new ResourceClient(store), driver, calc: CALC, metrics, log, version: 'bench',
    refreshMs: 2_000_000_000, // the periodic kernel refresh is measured on its own, not mixed into the latencies
  });
  const take = agent.state.apply.bind(agent.state);
  agent.state.apply = (updates) => { take(updates); probe.seen(updates); };
  const first = probe.nextApply(() => true);
  const t0 = now();
  agent.start();
  const rec = await within(first, 900_000, 'the agent\'s first apply');
  return { agent, store, driver, metrics, first: rec, startMs: rec.end - t0 };
}

async function stopAgent(s: Started): Promise<void> {
  await s.agent.stop();
  await s.store.close();
}

/** Waits until the agent has reported every local endpoint (its background status writes are done). */
async function settleStatuses(store: SqliteStore, n: number): Promise<number> {
  const prefix = endpointStatusKey(NODE, '', '').replace(/\/\/\/status$/, '/');
  const t0 = now();
  for (;;) {
    const count = (await store.list(prefix)).items.length;
    if (count === n) return now() - t0;
    if (now() - t0 > 180_000) throw new Error(`the agent reported ${count} of ${n} endpoint statuses after 180 s`);
    await sleep(200);
  }
}

/**
 * With BENCH_AGENT_PROFILE=DIR, a CPU profile of the latency phase alone (the agent shares this
 * process): returns the function that stops it and writes DIR/<name>.cpuprofile.
 */
async function startProfile(): Promise<((name: string) => Promise<void>) | null> {
  const dir = process.env['BENCH_AGENT_PROFILE'];
  if (!dir) return null;
  const session = new inspector.Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  return async (name) => {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(join(dir, `${name}.cpuprofile`), JSON.stringify(profile));
    session.disconnect();
  };
}

interface Summary {
  readonly n: number; readonly missing: number; readonly wrong: number;
  readonly p50: number; readonly p99: number; readonly mean: number; readonly max: number;
  /** Medians of the parts. */
  readonly writeMs: number; readonly noticeMs: number; readonly toApplyMs: number; readonly applyMs: number;
  readonly nftMs: number; readonly sysctlMs: number; readonly routesMs: number;
  /** How the nft side was programmed, counted over the samples' applies. */
  readonly policyKinds: Record<string, number>;
  readonly p90: number;
  /** The three slowest samples, split like the medians (for judging the tail). */
  readonly worst: ReadonlyArray<Record<string, number>>;
}

function policyKind(changes: readonly string[]): string {
  const c = changes.find((x) => x.startsWith('policy: '));
  return c ? c.slice(8).split(' ')[0]! : 'none';
}

function summarise(obs: ReadonlyArray<Observation | null>): Summary {
  const ok = obs.filter((o): o is Observation => o !== null);
  const ms = ok.map((o) => o.totalMs).sort((a, b) => a - b);
  const kinds: Record<string, number> = {};
  for (const o of ok) { const k = policyKind(o.apply.changes); kinds[k] = (kinds[k] ?? 0) + 1; }
  const st = (f: (o: Observation) => number): number => median(ok.map(f));
  return {
    n: ok.length, missing: obs.length - ok.length, wrong: ok.filter((o) => o.wrong).length,
    p50: percentile(ms, 50), p99: percentile(ms, 99), mean: ms.reduce((s, x) => s + x, 0) / (ms.length || 1), max: ms[ms.length - 1] ?? NaN,
    writeMs: st((o) => o.writeMs), noticeMs: st((o) => o.noticeMs), toApplyMs: st((o) => o.toApplyMs), applyMs: st((o) => o.applyMs),
    nftMs: st((o) => o.apply.stages!.nft.ms), sysctlMs: st((o) => o.apply.stages!['sysctl-write'].ms + o.apply.stages!['sysctl-read'].ms),
    routesMs: st((o) => o.apply.stages!['route-write'].ms + o.apply.stages!['route-dump'].ms),
    policyKinds: kinds,
    p90: percentile(ms, 90),
    worst: [...ok].sort((x, y) => y.totalMs - x.totalMs).slice(0, 3).map((o) => ({
      totalMs: o.totalMs, writeMs: o.writeMs, noticeMs: o.noticeMs, toApplyMs: o.toApplyMs, applyMs: o.applyMs,
      nftMs: o.apply.stages!.nft.ms, routesMs: o.apply.stages!['route-write'].ms, sysctlMs: o.apply.stages!['sysctl-write'].ms,
    })),
  };
}

const stagesOf = (r: ApplyRecord): Record<string, number> => ({
  totalMs: r.end - r.start, nftMs: r.stages!.nft.ms, nftBytes: r.nftBytes,
  sysctlReadMs: r.stages!['sysctl-read'].ms, sysctlReads: r.stages!['sysctl-read'].calls,
  sysctlWriteMs: r.stages!['sysctl-write'].ms, sysctlWrites: r.stages!['sysctl-write'].calls,
  routeDumpMs: r.stages!['route-dump'].ms, routeWriteMs: r.stages!['route-write'].ms, routeLines: r.routeLines,
});

interface SizeResult {
  readonly endpoints: number;
  readonly setup: Record<string, number>;
  readonly firstStartMs: number;
  readonly firstStart: Record<string, number>;
  readonly add: Summary; readonly label: Summary; readonly remove: Summary;
  readonly calcMs: number; readonly diffMs: number; readonly renderMs: number;
  readonly refreshMs: number; readonly refresh: Record<string, number>;
  readonly restartMs: number; readonly restartChanges: readonly string[]; readonly restart: Record<string, number>;
  readonly coldStartMs: number; readonly coldStartRounds: readonly number[]; readonly coldStart: Record<string, number>;
  readonly floorMs: number; readonly floorRounds: readonly number[]; readonly floorRoutesMs: number; readonly floorNftMs: number; readonly floorSysctlMs: number;
  readonly ratio: number; readonly ratioWithSysctls: number;
  readonly sameState: boolean;
  readonly agentMetricMeanMs: number;
}

/** The `app` label of endpoints the latency phase relabelled (they keep it for the later sizes). */
const apps = new Map<number, number>();

async function measureSize(E: number, storePath: string, dir: string, ips: readonly string[], writer: ResourceClient, setup: Record<string, number>): Promise<SizeResult> {
  const sampleBase = Math.max(...SIZES);
  const ifaces = [...range(0, E), ...range(sampleBase, sampleBase + SAMPLES)].map(ifaceOfEndpoint);
  const probe = new Probe();
  process.stderr.write(`[${E}] first start…\n`);

  // First start on an empty dataplane, then the latency samples on that agent.
  resetKernel(dir, ifaces);
  const a = await startAgent(storePath, probe);
  if (a.first.endpoints !== E) throw new Error(`the first apply programmed ${a.first.endpoints} endpoints, expected ${E}`);
  setup['statusSettleMs'] = await settleStatuses(a.store, E);

  process.stderr.write(`[${E}] latency samples…\n`);
  const profiler = await startProfile();
  const add: Array<Observation | null> = [], label: Array<Observation | null> = [], remove: Array<Observation | null> = [];
  // A pause between writes, ended from the check phase: a write made straight from a timer
  // callback would often share a timer batch with the store's 10 ms watch poll and be noticed at once.
  const gap = async (): Promise<void> => { await sleep(10 + Math.random() * 20); await new Promise((r) => setImmediate(r)); };
  for (let k = 0; k < SAMPLES; k++) {
    const i = sampleBase + k;
    const w = endpoint(i, ips[i]!);
    const key = writer.keyOf(w);
    const dst = `${ips[i]}/32`;
    add.push(await probe.observe(key, () => writer.create([w]), (d) => hasRoute(d, dst), 60_000));
    await gap();
    // An existing endpoint moves to another app (a value it does not hold: an unchanged apply writes nothing).
    const j = (k * 7919) % E;
    const app = ((apps.get(j) ?? j % APPS) + 1 + (k % 7)) % APPS;
    apps.set(j, app);
    const relabelled = endpoint(j, ips[j]!, `app${app}`);
    label.push(await probe.observe(writer.keyOf(relabelled), () => writer.apply([relabelled]), () => true, 60_000));
    await gap();
    remove.push(await probe.observe(key, () => writer.delete([{ kind: WorkloadEndpoint, name: endpointName(i), namespace: w.metadata.namespace! }]), (d) => !hasRoute(d, dst), 60_000));
    await gap();
  }
  await profiler?.(`latency-${E}`);
  const metric = await a.metrics.programmingLatency.get();
  const sum = metric.values.find((v) => v.metricName?.endsWith('_sum'))?.value ?? NaN;
  const count = metric.values.find((v) => v.metricName?.endsWith('_count'))?.value ?? NaN;

  // Where a change's time goes on the agent's side: the calculation, the ruleset diff, a render.
  const calcs: number[] = [], diffs: number[] = [], renders: number[] = [];
  let d: DesiredDataplane = computeDesired(a.agent.state, CALC);
  for (let r = 0; r < 5; r++) {
    const t0 = now();
    const d2 = computeDesired(a.agent.state, CALC);
    const t1 = now();
    diffRulesets(d.policy, d2.policy);
    const t2 = now();
    renderRuleset(d2.policy);
    renders.push(now() - t2); diffs.push(t2 - t1); calcs.push(t1 - t0);
    d = d2;
  }

  // The periodic refresh (every 90 s by default): re-read the kernel, then apply.
  const refreshed = probe.nextApply(() => true);
  const tr = now();
  await a.agent.resyncKernel();
  const refresh = await within(refreshed, 600_000, 'the apply after a refresh');
  const refreshMs = refresh.end - tr;
  await stopAgent(a);

  // A restart on the programmed dataplane: ideally nothing to write.
  process.stderr.write(`[${E}] restart on a programmed dataplane…\n`);
  const b = await startAgent(storePath, probe);
  const restart = b.first;
  const restartMs = b.startMs;
  const desired = b.driver.last!;
  await stopAgent(b);

  // Cold starts vs the floor, alternating.
  const floorFiles: FloorFiles = writeFloorFiles(dir, desired);
  const cold: Started[] = [];
  const floors: FloorTimes[] = [];
  let agentState: ReturnType<typeof kernelFingerprint> | null = null;
  let floorState: ReturnType<typeof kernelFingerprint> | null = null;
  for (let round = 0; round < ROUNDS; round++) {
    const ones = round.toString(2).split('').filter((c) => c === '1').length;
    for (const which of ones % 2 === 0 ? ['agent', 'floor'] as const : ['floor', 'agent'] as const) {
      process.stderr.write(`[${E}] round ${round + 1}/${ROUNDS}: ${which}…\n`);
      resetKernel(dir, ifaces);
      if (which === 'agent') {
        const s = await startAgent(storePath, probe);
        cold.push(s);
        await stopAgent(s);
        if (writeFloorFiles(dir, s.driver.last!).fingerprint !== floorFiles.fingerprint) throw new Error('the agent computed a different state in a later round');
        agentState ??= kernelFingerprint(ifaces.slice(0, E));
      } else {
        floors.push(runFloor(floorFiles));
        floorState ??= kernelFingerprint(ifaces.slice(0, E));
      }
    }
  }
  const coldMs = cold.map((s) => s.startMs);
  const floorMs = floors.map((f) => f.routesMs + f.nftMs);
  const floorAll = floors.map((f) => f.routesMs + f.nftMs + f.sysctlMs);
  const coldMedianRun = cold.slice().sort((x, y) => x.startMs - y.startMs)[Math.floor((cold.length - 1) / 2)]!;
  return {
    endpoints: E, setup,
    firstStartMs: a.startMs, firstStart: { listAndCalcMs: a.startMs - (a.first.end - a.first.start), ...stagesOf(a.first) },
    add: summarise(add), label: summarise(label), remove: summarise(remove),
    calcMs: median(calcs), diffMs: median(diffs), renderMs: median(renders),
    refreshMs, refresh: stagesOf(refresh),
    restartMs, restartChanges: restart.changes, restart: { listAndCalcMs: restartMs - (restart.end - restart.start), ...stagesOf(restart) },
    coldStartMs: median(coldMs), coldStartRounds: coldMs,
    coldStart: { listAndCalcMs: coldMedianRun.startMs - (coldMedianRun.first.end - coldMedianRun.first.start), ...stagesOf(coldMedianRun.first) },
    floorMs: median(floorMs), floorRounds: floorMs,
    floorRoutesMs: median(floors.map((f) => f.routesMs)), floorNftMs: median(floors.map((f) => f.nftMs)), floorSysctlMs: median(floors.map((f) => f.sysctlMs)),
    ratio: median(coldMs) / median(floorMs), ratioWithSysctls: median(coldMs) / median(floorAll),
    sameState: agentState !== null && floorState !== null && JSON.stringify(agentState) === JSON.stringify(floorState),
    agentMetricMeanMs: (sum / count) * 1000,
  };
}

async function inside(): Promise<void> {
  const load0 = loadavg();
  const dir = tempDir('bench-agent');
  const stop = (): void => { dir.remove(); process.exit(130); };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  const notes: string[] = [];
  const results: SizeResult[] = [];
  const setupAll: Record<string, number> = {};
  try {
    const maxE = Math.max(...SIZES);
    let t = now();
    createUplink(NODE_CIDR);
    process.stderr.write(`creating ${maxE + SAMPLES} veth pairs…\n`);
    setupAll['vethPairs'] = maxE + SAMPLES;
    const veths = await createPodInterfaces(range(0, maxE + SAMPLES).map((i) => [i, ifaceOfEndpoint(i)] as const), PODS_NS);
    setupAll['vethMs'] = veths.createMs;
    setupAll['dadSettleMs'] = veths.settleMs;

    const storePath = join(dir.path, 'store.db');
    const wstore = new SqliteStore({ path: storePath });
    const writer = new ResourceClient(wstore);
    t = now();
    await writer.apply(infrastructure());
    const pols = range(0, POLICIES).map(policy);
    for (let i = 0; i < pols.length; i += MAX_BATCH) await writer.create(pols.slice(i, i + MAX_BATCH));
    setupAll['storePoliciesMs'] = now() - t;
    t = now();
    const ips = await new IpamService(wstore, writer).autoAssign({ node: NODE, handle: 'bench-pods', count: maxE + SAMPLES, attributes: { node: NODE } });
    setupAll['ipamMs'] = now() - t;

    let written = 0;
    for (const E of SIZES) {
      const setup: Record<string, number> = {};
      t = now();
      const weps: Resource[] = range(written, E).map((i) => endpoint(i, ips[i]!));
      for (let i = 0; i < weps.length; i += MAX_BATCH) await writer.create(weps.slice(i, i + MAX_BATCH));
      written = E;
      setup['storeEndpointsMs'] = now() - t;
      results.push(await measureSize(E, storePath, dir.path, ips, writer, setup));
      process.stderr.write(`[${E}] done\n`);
    }
    await wstore.close();
  } finally {
    dir.remove();
  }
  for (const [k, n] of logged) notes.push(`agent log (${n}×): ${k}`);
  report(results, setupAll, notes, load0);
}

// ---- output ------------------------------------------------------------------------------------

function report(results: readonly SizeResult[], setup: Record<string, number>, notes: string[], load0: number[]): void {
  const f = (v: number): string => (Number.isNaN(v) ? '–' : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
  const table = (head: string[], rows: string[][]): string => {
    const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    return [head, ...rows].map((r) => r.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ')).join('\n');
  };
  const out: string[] = [];
  out.push(`bench:agent — ${POLICIES} policies, ${NAMESPACES} namespaces; ${SAMPLES} samples per kind and size; ${ROUNDS} alternating rounds of cold start vs floor`);
  out.push('');
  out.push('Programming latency, write call → driver apply resolved (ms)');
  out.push(table(['endpoints', 'add p50', 'add p99', 'label p50', 'label p99', 'delete p50', 'delete p99', 'nft (add/label)', 'missing/wrong'],
    results.map((r) => [String(r.endpoints), f(r.add.p50), f(r.add.p99), f(r.label.p50), f(r.label.p99), f(r.remove.p50), f(r.remove.p99),
      `${Object.entries(r.add.policyKinds).map(([k, n]) => `${k}:${n}`).join(' ')} / ${Object.entries(r.label.policyKinds).map(([k, n]) => `${k}:${n}`).join(' ')}`,
      `${r.add.missing + r.label.missing + r.remove.missing}/${r.add.wrong + r.label.wrong + r.remove.wrong}`])));
  out.push('');
  out.push('Where an add goes (medians, ms): write | notice (poll+syncer) | to apply (debounce+calc) | apply = nft + sysctls + routes; calc, diff, render measured apart');
  out.push(table(['endpoints', 'write', 'notice', 'to apply', 'apply', 'nft', 'sysctls', 'routes', 'computeDesired', 'diffRulesets', 'renderRuleset'],
    results.map((r) => [String(r.endpoints), f(r.add.writeMs), f(r.add.noticeMs), f(r.add.toApplyMs), f(r.add.applyMs), f(r.add.nftMs), f(r.add.sysctlMs), f(r.add.routesMs),
      f(r.calcMs), f(r.diffMs), f(r.renderMs)])));
  out.push('');
  out.push('Programming a node from nothing (ms): cold start = Agent.start() → first complete apply (median of rounds); floor = ip -batch + nft -f of the same state');
  out.push(table(['endpoints', 'first start', 'cold start', 'list+calc', 'nft', 'sysctl r/w', 'routes', 'floor', 'ratio', 'sysctl -p', 'ratio incl. sysctls', 'same state', 'restart', 'restart writes', 'refresh'],
    results.map((r) => [String(r.endpoints), f(r.firstStartMs), f(r.coldStartMs), f(r.coldStart['listAndCalcMs']!), f(r.coldStart['nftMs']!),
      `${f(r.coldStart['sysctlReadMs']!)}/${f(r.coldStart['sysctlWriteMs']!)}`, f(r.coldStart['routeDumpMs']! + r.coldStart['routeWriteMs']!),
      f(r.floorMs), f(r.ratio), f(r.floorSysctlMs), f(r.ratioWithSysctls), r.sameState ? 'yes' : 'NO', f(r.restartMs),
      r.restartChanges.length === 0 ? 'nothing' : r.restartChanges.join('; '), f(r.refreshMs)])));
  out.push('');
  const at = results.find((r) => r.endpoints === LATENCY_TARGET_SIZE);
  const big = results[results.length - 1]!;
  const targets = [
    at ? `p99 add latency at ${LATENCY_TARGET_SIZE} endpoints ${f(at.add.p99)} ms < ${LATENCY_TARGET_MS} ms: ${at.add.p99 < LATENCY_TARGET_MS ? 'MET' : 'MISSED'}`
      + ` (label change p99 ${f(at.label.p99)} ms: ${at.label.p99 < LATENCY_TARGET_MS ? 'met' : 'missed'})` : `latency target not measured (no ${LATENCY_TARGET_SIZE}-endpoint size)`,
    `cold start at ${big.endpoints} × ${POLICIES} within ${RATIO_TARGET}× the floor: ${f(big.ratio)}× — ${big.ratio <= RATIO_TARGET ? 'MET' : 'MISSED'} (with sysctl -p in the floor: ${f(big.ratioWithSysctls)}×)`,
  ];
  out.push(...targets.map((x) => `target: ${x}`));
  out.push(`setup: ${setup['vethPairs']} veth pairs in ${f(setup['vethMs']!)} ms (+${f(setup['dadSettleMs']!)} ms until IPv6 DAD was over); store (node, pool, namespaces, policies) ${f(setup['storePoliciesMs']!)} ms; IPAM ${f(setup['ipamMs']!)} ms; `
    + results.map((r) => `${r.endpoints} endpoints written ${f(r.setup['storeEndpointsMs']!)} ms, statuses settled ${f(r.setup['statusSettleMs']!)} ms`).join('; '));
  const load1 = loadavg();
  out.push(`machine: ${cpus().length} CPUs, load average ${load0.map((x) => x.toFixed(2)).join(' ')} at start, ${load1.map((x) => x.toFixed(2)).join(' ')} at end`);
  for (const n of notes) out.push(`note: ${n}`);
  process.stdout.write(`${out.join('\n')}\n`);
  process.stdout.write(`BENCH_JSON ${JSON.stringify({
    bench: 'agent', policies: POLICIES, samples: SAMPLES, rounds: ROUNDS, cpus: cpus().length, loadStart: load0, loadEnd: load1, setup,
    targets: { latencyP99Ms: LATENCY_TARGET_MS, latencyAtEndpoints: LATENCY_TARGET_SIZE, coldStartOverFloor: RATIO_TARGET,
      latencyMet: at ? at.add.p99 < LATENCY_TARGET_MS : null, coldStartMet: big.ratio <= RATIO_TARGET },
    sizes: results, notes,
  })}\n`);
}

if (process.argv.includes('--inside')) await inside();
else await outer();
