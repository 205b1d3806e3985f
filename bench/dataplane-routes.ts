// npm run bench:routes — programming N routes (1,000 and 10,000 by default) in a scratch network
// namespace, Tortie's way vs the reference, in alternating rounds (ABBA…):
//   raw       `ip -n NS -batch -` of the very same lines, pre-rendered (the floor: one iproute2
//             process parsing its input; nothing that drives iproute2 can be faster)
//   adapter   Iproute2Netlink.applyRoutes (validation + canonical form + the same batch)
//   manager   RouteManager from an empty kernel: dump + diff + apply (the agent's cold start)
// plus, at N routes installed: a resync (the `ip -j route show` dump, twice: v4 and v6), one
// changed route through the manager (incremental: one line), and an apply with nothing to do.
// Each round starts from an empty table (flushed outside the timing). Needs root.
// Prints a table and one `BENCH_JSON {...}` line.

import { execFileSync, spawnSync } from 'node:child_process';
import { RouteManager, type Route } from '../src/dataplane/index.js';
import { Iproute2Netlink } from '../src/dataplane/linux/index.js';
import { ScratchNetns } from '../test/support/scratch-netns.js';
import { percentile } from './measure.js';

const SIZES = (process.env['BENCH_ROUTES'] ?? '1000,10000').split(',').map(Number);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 6);
const P = 80;

const ns = new ScratchNetns(`tt-bench-rt${process.pid % 10000}`);

function routesFor(n: number): Route[] {
  // Like a node's table: mostly /32s to workloads (on 4 veths), plus per 64 routes one blackholed
  // local block and one remote block via a peer. All destinations distinct.
  const out: Route[] = [];
  for (let i = 0; i < n; i++) {
    const j = i >> 6;
    const block = `${(j >> 2) & 255}.${(j & 3) * 64}/26`;
    if (i % 64 === 0) out.push({ dst: `172.${16 + (j >> 10)}.${block}`, type: 'blackhole' });
    else if (i % 64 === 1) out.push({ dst: `192.${168 + (j >> 10)}.${block}`, type: 'unicast', via: '10.255.0.6', dev: 'tt-eth0' });
    else out.push({ dst: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}/32`, type: 'unicast', dev: `tt-cali${i % 4}` });
  }
  return out;
}

function line(r: Route): string {
  if (r.type === 'blackhole') return `route replace blackhole ${r.dst} proto ${P}`;
  return `route replace ${r.dst}${r.via ? ` via ${r.via}` : ''} dev ${r.dev}${r.via ? '' : ' scope link'} proto ${P}`;
}

const flush = (): void => { execFileSync('ip', ['-n', ns.name, 'route', 'flush', 'proto', String(P)]); };
const count = (): number => execFileSync('ip', ['-n', ns.name, 'route', 'show', 'proto', String(P)], { encoding: 'utf8' }).split('\n').filter(Boolean).length;

async function time(fn: () => Promise<void> | void): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

const median = (xs: readonly number[]): number => percentile([...xs].sort((a, b) => a - b), 50);

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) { console.error('bench:routes needs root (it works inside a scratch network namespace)'); process.exit(1); }
  ns.create();
  try {
    ns.ip('link', 'add', 'tt-eth0', 'type', 'veth', 'peer', 'name', 'tt-eth1');
    ns.ip('addr', 'add', '10.255.0.5/24', 'dev', 'tt-eth0');
    ns.ip('link', 'set', 'tt-eth0', 'up');
    ns.ip('link', 'set', 'tt-eth1', 'up');
    for (let i = 0; i < 4; i++) ns.veth(`tt-cali${i}`, `tt-pod${i}`);
    const nl = new Iproute2Netlink({ netns: ns.name });
    const rows: Array<Record<string, number | string>> = [];
    for (const n of SIZES) {
      const routes = routesFor(n);
      const text = `${routes.map(line).join('\n')}\n`;
      const t = { raw: [] as number[], adapter: [] as number[], manager: [] as number[] };
      const runs: Record<keyof typeof t, () => Promise<void>> = {
        raw: async () => {
          const r = spawnSync('ip', ['-n', ns.name, '-batch', '-'], { input: text });
          if (r.status !== 0) throw new Error(`raw batch failed: ${String(r.stderr)}`);
        },
        adapter: () => nl.applyRoutes(P, [], routes),
        manager: async () => { const m = new RouteManager(nl); m.setDesiredRoutes(routes); await m.apply(); },
      };
      const order: Array<keyof typeof t> = ['raw', 'adapter', 'manager'];
      for (let round = -1; round < ROUNDS; round++) {
        const seq = round % 2 === 0 ? order : [...order].reverse();
        for (const k of seq) {
          flush();
          const ms = await time(runs[k]);
          if (count() !== routes.length) throw new Error(`${k}: ${count()} routes installed, expected ${routes.length}`);
          if (round >= 0) t[k].push(ms); // round -1 is the warm-up
        }
      }
      // With the table full: resync, one change, nothing to do.
      flush();
      const m = new RouteManager(nl);
      m.setDesiredRoutes(routes);
      await m.apply();
      const resync: number[] = [], one: number[] = [], idle: number[] = [];
      for (let i = 0; i < ROUNDS; i++) {
        resync.push(await time(() => m.resync()));
        const r = routes[(i * 7919) % routes.length]!;
        m.setRoute(r.type === 'blackhole' ? { ...r, type: 'unreachable' } : { dst: r.dst, type: 'blackhole' });
        one.push(await time(async () => { const x = await m.apply(); if (x.upserted !== 1) throw new Error('expected one write'); }));
        m.setRoute(r);
        await m.apply();
        idle.push(await time(async () => { const x = await m.apply(); if (x.upserted + x.removed !== 0) throw new Error('expected no write'); }));
      }
      const raw = median(t.raw), adapter = median(t.adapter), manager = median(t.manager);
      rows.push({
        routes: routes.length, raw_ms: raw, adapter_ms: adapter, manager_ms: manager,
        adapter_over_raw: adapter / raw, manager_over_raw: manager / raw,
        raw_us_per_route: (raw * 1000) / routes.length,
        resync_ms: median(resync), one_change_ms: median(one), idle_apply_ms: median(idle),
      });
    }
    const fmt = (v: number | string): string => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(2)) : v);
    const cols = Object.keys(rows[0]!);
    const w = cols.map((c) => Math.max(c.length, ...rows.map((r) => fmt(r[c]!).length)) + 2);
    console.log(cols.map((c, i) => c.padStart(w[i]!)).join(''));
    for (const r of rows) console.log(cols.map((c, i) => fmt(r[c]!).padStart(w[i]!)).join(''));
    console.log(`(medians of ${ROUNDS} alternating rounds after one warm-up; raw = \`ip -batch -\` of the same lines)`);
    process.stdout.write(`BENCH_JSON ${JSON.stringify({ bench: 'routes', rounds: ROUNDS, rows })}\n`);
  } finally {
    ns.remove();
  }
}

await main();
