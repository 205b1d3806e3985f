// Captures what real BGP daemons put on the wire, as hex fixtures for the codec's unit tests.
// Rerun with:  npx tsc -p . && node dist/test/bgp/capture-fixtures.js
// Everything lives in network namespaces named tt-bgpcap-*, with veths named tt-cap*; both are
// removed at the end, and only the processes started here are killed, by PID, even on failure.
//
//   tt-bgpcap-l (our listener)                 tt-bgpcap-b (BIRD 2)      tt-bgpcap-g (GoBGP)
//   10.99.1.1/.3/.4  fd00:99:1::1  tt-capl1 ── tt-capb   10.99.1.2 fd00:99:1::2
//   10.99.2.1        fd00:99:2::1  tt-capl2 ── tt-capg   10.99.2.2 fd00:99:2::2

import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const NS = { l: 'tt-bgpcap-l', b: 'tt-bgpcap-b', g: 'tt-bgpcap-g' };
const SECONDS = 8;
const out = fileURLToPath(new URL('../../../src/bgp/codec/fixtures/', import.meta.url));
const listenerJs = fileURLToPath(new URL('./capture-listener.js', import.meta.url));

const run = (...args: string[]): string => execFileSync(args[0]!, args.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const inNs = (ns: string, ...args: string[]): string => run('ip', 'netns', 'exec', ns, ...args);

function cleanup(): void {
  for (const ns of Object.values(NS)) { try { run('ip', 'netns', 'del', ns); } catch { /* not there */ } }
}

function setup(): void {
  cleanup();
  for (const ns of Object.values(NS)) { run('ip', 'netns', 'add', ns); inNs(ns, 'ip', 'link', 'set', 'lo', 'up'); }
  const pair = (a: string, nsA: string, b: string, nsB: string): void => {
    run('ip', 'link', 'add', a, 'netns', nsA, 'type', 'veth', 'peer', 'name', b, 'netns', nsB);
  };
  pair('tt-capl1', NS.l, 'tt-capb', NS.b);
  pair('tt-capl2', NS.l, 'tt-capg', NS.g);
  const addr = (ns: string, dev: string, ...cidrs: string[]): void => {
    for (const c of cidrs) inNs(ns, 'ip', 'addr', 'add', c, 'dev', dev, ...(c.includes(':') ? ['nodad'] : []));
    inNs(ns, 'ip', 'link', 'set', dev, 'up');
  };
  addr(NS.l, 'tt-capl1', '10.99.1.1/24', '10.99.1.3/24', '10.99.1.4/24', 'fd00:99:1::1/64');
  addr(NS.l, 'tt-capl2', '10.99.2.1/24', 'fd00:99:2::1/64');
  addr(NS.b, 'tt-capb', '10.99.1.2/24', 'fd00:99:1::2/64');
  addr(NS.g, 'tt-capg', '10.99.2.2/24', 'fd00:99:2::2/64');
}

const BIRD_CONF = `
router id 10.99.1.2;
log stderr all;
protocol device { scan time 2; }
protocol static s4 {
  ipv4;
  route 10.65.0.0/26 blackhole;
  route 10.65.1.0/26 blackhole;
  route 10.65.2.64/26 blackhole;
  route 192.168.236.3/32 blackhole;
}
protocol static s6 {
  ipv6;
  route fd00:65::/122 blackhole;
  route fd00:65:0:1::/122 blackhole;
}
filter decorate {
  bgp_community.add((65000, 100));
  bgp_large_community.add((65000, 1, 2));
  bgp_med = 50;
  if net = 10.65.1.0/26 then bgp_origin = ORIGIN_INCOMPLETE;
  accept;
}
template bgp t {
  local 10.99.1.2 as 4200000002;
  connect delay time 1; connect retry time 1; error wait time 1,5;
  hold time 90;
  graceful restart on;
  enable extended messages on;
  enable route refresh on;
}
# eBGP, modern peer: IPv4 + IPv6 over one session, add-path, extended messages.
protocol bgp modern from t {
  neighbor 10.99.1.1 as 65001;
  ipv4 { import none; export filter decorate; add paths on; next hop self; };
  ipv6 { import none; export filter decorate; add paths on; next hop address fd00:99:1::2; };
}
# eBGP over IPv6 on the shared link: the next hop is global + link-local (RFC 2545 §3).
protocol bgp v6direct from t {
  local fd00:99:1::2 as 4200000002;
  neighbor fd00:99:1::1 as 65001;
  ipv6 { import none; export filter decorate; };
}
# eBGP, a 2-octet-AS peer: BIRD sends AS_TRANS and AS4_PATH.
protocol bgp old from t {
  neighbor 10.99.1.3 as 65001;
  ipv4 { import none; export filter decorate; };
}
# iBGP (same 4-octet AS): LOCAL_PREF, the next hop kept.
protocol bgp peer_internal from t {
  local 10.99.1.2 as 4200000002;
  neighbor 10.99.1.4 as 4200000002;
  ipv4 { import none; export filter decorate; };
}
`;

const GOBGP_CONF = `
[global.config]
  as = 65003
  router-id = "10.99.2.2"
  port = -1
[[neighbors]]
  [neighbors.config]
    neighbor-address = "10.99.2.1"
    peer-as = 65001
  [neighbors.timers.config]
    connect-retry = 1
    hold-time = 90
  [neighbors.graceful-restart.config]
    enabled = true
    restart-time = 120
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv4-unicast"
    [neighbors.afi-safis.mp-graceful-restart.config]
      enabled = true
    [neighbors.afi-safis.add-paths.config]
      receive = true
      send-max = 8
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv6-unicast"
    [neighbors.afi-safis.mp-graceful-restart.config]
      enabled = true
`;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tt-bgpcap-'));
  const procs: ChildProcess[] = [];
  const kill = (): void => { for (const p of procs) if (p.pid !== undefined && p.exitCode === null) { try { process.kill(p.pid, 'SIGTERM'); } catch { /* gone */ } } };
  const onSignal = (): void => { kill(); cleanup(); process.exit(1); };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    setup();
    const version = (cmd: string): string => {
      const r = spawnSync(cmd, ['--version'], { encoding: 'utf8' });
      return `${r.stdout}${r.stderr}`.trim(); // BIRD prints its version on stderr
    };
    const birdVersion = version('bird');
    const gobgpVersion = version('gobgpd');
    writeFileSync(join(dir, 'bird.conf'), BIRD_CONF);
    writeFileSync(join(dir, 'gobgpd.toml'), GOBGP_CONF);
    const listener = spawn('ip', ['netns', 'exec', NS.l, process.execPath, listenerJs, String(SECONDS),
      '10.99.1.1=modern', '10.99.1.3=old', '10.99.1.4=ibgp', 'fd00:99:1::1=modern', '10.99.2.1=modern'], { stdio: ['ignore', 'pipe', 'inherit'] });
    procs.push(listener);
    let stdout = '';
    listener.stdout!.on('data', (c: Buffer) => { stdout += c.toString(); });
    await new Promise((r) => setTimeout(r, 2500)); // IPv6 link-local addresses finish DAD
    const bird = spawn('ip', ['netns', 'exec', NS.b, 'bird', '-f', '-c', join(dir, 'bird.conf'), '-s', join(dir, 'bird.ctl'), '-P', join(dir, 'bird.pid')], { stdio: ['ignore', 'ignore', 'pipe'] });
    procs.push(bird);
    let birdLog = '';
    bird.stderr!.on('data', (c: Buffer) => { birdLog += c.toString(); });
    const gobgp = spawn('ip', ['netns', 'exec', NS.g, 'gobgpd', '-f', join(dir, 'gobgpd.toml'), '-t', 'toml', '--api-hosts', '127.0.0.1:50051'], { stdio: ['ignore', 'ignore', 'ignore'] });
    procs.push(gobgp);
    await new Promise((r) => setTimeout(r, 1500));
    const g = (...args: string[]): string => inNs(NS.g, 'gobgp', '-u', '127.0.0.1', '-p', '50051', ...args);
    g('global', 'rib', 'add', '-a', 'ipv4', '10.66.0.0/26', 'origin', 'igp', 'med', '10', 'community', '65000:200', 'large-community', '65003:1:1');
    g('global', 'rib', 'add', '-a', 'ipv4', '10.66.1.0/26', 'origin', 'egp', 'aspath', '65010,65011', 'aggregator', '65003:10.99.2.2');
    g('global', 'rib', 'add', '-a', 'ipv6', 'fd00:66::/122', 'nexthop', 'fd00:99:2::2', 'community', '65000:300');
    const code = await Promise.race([
      new Promise<number | null>((res) => listener.on('exit', res)),
      new Promise<string>((res) => setTimeout(() => res('timeout'), (SECONDS + 20) * 1000)),
    ]);
    if (code !== 0) throw new Error(`listener: ${code}; BIRD said:\n${birdLog}`);
    const sessions = stdout.trim().split('\n').map((l) => JSON.parse(l) as { ip: string; profile: string; messages: string[] });
    const pick = (ip: string): string[] => sessions.find((s) => s.ip === ip)?.messages ?? [];
    const bird2 = { daemon: birdVersion, captured: 'test/bgp/capture-fixtures.ts', sessions: {
      modern: pick('10.99.1.1'), old: pick('10.99.1.3'), internal: pick('10.99.1.4'), v6direct: pick('fd00:99:1::1') } };
    const go = { daemon: gobgpVersion, captured: 'test/bgp/capture-fixtures.ts', sessions: { modern: pick('10.99.2.1') } };
    writeFileSync(join(out, 'bird2.json'), `${JSON.stringify(bird2, null, 2)}\n`);
    writeFileSync(join(out, 'gobgp.json'), `${JSON.stringify(go, null, 2)}\n`);
    for (const [name, s] of Object.entries({ ...bird2.sessions, gobgp: go.sessions.modern })) console.log(`${name}: ${s.length} messages`);
  } finally {
    kill();
    await new Promise((r) => setTimeout(r, 300));
    cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
