// Interop with GoBGP (Debian's gobgpd) in network namespaces: an iBGP and an eBGP session, routes
// both ways, withdrawals, graceful restart of either side (our kernel keeps GoBGP's routes while
// it restarts; GoBGP keeps ours while we do).
//
//   tt-go-t (Tortie, AS 64512)  10.97.1.1 ── veth ── 10.97.1.2  tt-go-g (GoBGP, AS 64512: iBGP)
//                               10.97.2.1 ── veth ── 10.97.2.2  (local-as 65003: eBGP)

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BgpLab, eventually, hasGobgp, isRoot, type SpeakerProc } from '../support/bgp-lab.js';
import { holdsFor } from '../support/within.js';

const neighbor = (addr: string, localAs?: number): string => `
[[neighbors]]
  [neighbors.config]
    neighbor-address = "${addr}"
    peer-as = 64512
    ${localAs ? `local-as = ${localAs}` : ''}
  [neighbors.timers.config]
    connect-retry = 2
    hold-time = 30
    keepalive-interval = 10
  [neighbors.graceful-restart.config]
    enabled = true
    restart-time = 20
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv4-unicast"
    [neighbors.afi-safis.mp-graceful-restart.config]
      enabled = true
`;
const CONF = `
[global.config]
  as = 64512
  router-id = "10.97.1.2"
  port = 179
${neighbor('10.97.1.1')}
${neighbor('10.97.2.1', 65003)}
`;

const PEERS = [
  { name: 'Global_10_97_1_2', type: 'global', address: '10.97.1.2', asNumber: 64512, sourceAddress: '10.97.1.1', restartTime: 15, connectRetry: 1, connectDelay: 0, errorWait: [1, 2] },
  { name: 'Global_10_97_2_2', type: 'global', address: '10.97.2.2', asNumber: 65003, sourceAddress: '10.97.2.1', restartTime: 15, connectRetry: 1, connectDelay: 0, errorWait: [1, 2] },
];

interface PeerSt { address: string; state: string; stale: number }
interface Learned { prefix: string; nextHop: string }
interface RibEntry { prefix: string; asPath: string; from: string; decidedBy: string }

describe('interop with GoBGP', { skip: !isRoot ? 'needs root' : !hasGobgp ? 'gobgpd not installed' : false }, () => {
  const lab = new BgpLab('go');
  let t = '', g = '';
  let sp: SpeakerProc;
  let gobgp: Awaited<ReturnType<BgpLab['gobgp']>>;

  const startSpeaker = async (): Promise<SpeakerProc> => {
    const s = await lab.speaker(t, `tortie-${Date.now()}`);
    await s.call('program', {});
    await s.call('config', { config: { routerId: '10.97.1.1', asNumber: 64512, listenPort: 179, restartTime: 15, restarting: true } });
    await s.call('exports', { prefixes: ['10.71.1.0/26', '10.71.2.0/26'] });
    await s.call('peers', { peers: PEERS });
    return s;
  };
  const startGobgp = async (args: string[] = []): Promise<void> => {
    gobgp = await lab.gobgp(g, 'gobgp', CONF, args);
    gobgp.gobgp('global', 'rib', 'add', '10.73.1.0/26', '-a', 'ipv4');
    gobgp.gobgp('global', 'rib', 'add', '10.73.2.0/26', '-a', 'ipv4');
  };
  const peers = async (): Promise<PeerSt[]> => (await sp.call<{ peers: PeerSt[] }>('status')).peers;
  const allUp = async (): Promise<boolean> => (await peers()).every((p) => p.state === 'up');
  const goRib = (): string => gobgp.gobgp('global', 'rib', '-a', 'ipv4');
  /** GoBGP's RIB lines of our 10.71.1.0/26 (one per session), e.g. `S*>10.71.1.0/26  10.97.1.1 …` (S: stale). */
  const ourPaths = (): string[] => goRib().split('\n').filter((l) => l.includes('10.71.1.0/26')).map((l) => l.trim());
  const diag = (): string => `\n--- tortie:\n${sp.log().slice(-3000)}\n--- gobgp:\n${lab.fileOf(gobgp, 'gobgpd.log').slice(-3000)}`;

  before(async () => {
    t = lab.ns('t'); g = lab.ns('g');
    lab.link(t, '10.97.1.1/24', g, '10.97.1.2/24');
    lab.link(t, '10.97.2.1/24', g, '10.97.2.2/24');
    await startGobgp();
    sp = await startSpeaker();
  });
  after(async () => { await lab.destroy(); });

  it('iBGP and eBGP come up; GoBGP\'s routes reach our kernel, ours reach GoBGP (eBGP with our AS)', async () => {
    assert.ok(await eventually(20_000, allUp), `sessions not up: ${JSON.stringify(await peers())}${diag()}`);
    const learned = await eventually(10_000, async () => {
      const l = await sp.call<Learned[]>('learned');
      return l.length >= 2 ? l : undefined;
    });
    assert.deepEqual(learned?.map((r) => r.prefix).sort(), ['10.73.1.0/26', '10.73.2.0/26'], diag());
    const rib = await sp.call<RibEntry[]>('routes');
    // Both sessions carry each prefix; best path by the comparator list: the empty iBGP AS_PATH wins.
    assert.equal(rib.find((r) => r.prefix === '10.73.1.0/26')?.decidedBy, 'as-path-length', JSON.stringify(rib));
    assert.ok(await eventually(10_000, () => lab.routes(t).includes('10.73.1.0/26 via 10.97.1.2')), `our kernel: ${lab.routes(t).join(', ')}`);
    const rg = await eventually(10_000, () => (/10\.71\.1\.0\/26/.test(goRib()) ? goRib() : undefined));
    assert.ok(rg, `GoBGP learned ours: ${goRib()}`);
    assert.match(rg, /10\.71\.1\.0\/26\s+10\.97\.1\.1\s/, 'over iBGP');
    const adjIn = gobgp.gobgp('neighbor', '10.97.2.1', 'adj-in', '-a', 'ipv4');
    assert.match(adjIn, /10\.71\.1\.0\/26\s+10\.97\.2\.1\s+64512\s/, `over eBGP with AS 64512: ${adjIn}`);
  });

  it('withdrawals propagate both ways', async () => {
    await sp.call('exports', { prefixes: ['10.71.1.0/26'] });
    assert.ok(await eventually(10_000, () => !/10\.71\.2\.0\/26/.test(goRib())), 'GoBGP dropped 10.71.2.0/26');
    gobgp.gobgp('global', 'rib', 'del', '10.73.2.0/26', '-a', 'ipv4');
    assert.ok(await eventually(10_000, async () => !(await sp.call<Learned[]>('learned')).some((l) => l.prefix === '10.73.2.0/26')));
    assert.ok(await eventually(10_000, () => !lab.routes(t).some((r) => r.startsWith('10.73.2.0/26'))), 'out of our kernel');
  });

  it('our graceful restart: GoBGP keeps our routes while we are gone; the sessions come back', async () => {
    await sp.call('stop');
    // GoBGP marks a path it keeps for a restarting peer with S.
    assert.ok(await eventually(10_000, () => ourPaths().length > 0 && ourPaths().every((l) => l.startsWith('S'))), `GoBGP saw the sessions go and keeps our route as stale: ${goRib()}`);
    // While we are gone (well within the restart time), GoBGP keeps our route (stale) and our
    // kernel GoBGP's, all along.
    let lost = '';
    await holdsFor(1500, () => {
      if (!/10\.71\.1\.0\/26/.test(goRib())) lost = 'GoBGP dropped our route';
      else if (!lab.routes(t).includes('10.73.1.0/26 via 10.97.1.2')) lost = 'our kernel dropped GoBGP\'s route';
      return lost === '';
    }, 100);
    assert.equal(lost, '', `${goRib()} / ${lab.routes(t).join(', ')}`);
    sp = await startSpeaker();
    assert.ok(await eventually(20_000, allUp), `sessions back: ${JSON.stringify(await peers())}${diag()}`);
    // Over the new sessions: GoBGP has our route refreshed (not stale), and we have GoBGP's.
    assert.ok(await eventually(10_000, async () => ourPaths().length > 0 && ourPaths().every((l) => !l.startsWith('S')) && (await sp.call<Learned[]>('learned')).some((l) => l.prefix === '10.73.1.0/26')),
      `GoBGP's RIB: ${goRib()}; we learned: ${JSON.stringify(await sp.call<Learned[]>('learned'))}`);
    assert.ok(lab.routes(t).includes('10.73.1.0/26 via 10.97.1.2'));
  });

  it('GoBGP\'s graceful restart (-r): we keep its routes in the kernel while it is gone; the sessions come back', async () => {
    await lab.kill(gobgp.child, 'SIGKILL');
    assert.ok(await eventually(10_000, async () => (await peers()).every((p) => p.state !== 'up')), 'we saw GoBGP go');
    assert.ok((await peers()).some((p) => p.stale > 0), `kept as stale: ${JSON.stringify(await peers())}`);
    // While GoBGP is gone (well within the restart time), our kernel keeps its route, all along.
    assert.ok(await holdsFor(1500, () => lab.routes(t).includes('10.73.1.0/26 via 10.97.1.2'), 100), `our kernel keeps it: ${lab.routes(t).join(', ')}`);
    await startGobgp(['-r']);
    assert.ok(await eventually(25_000, allUp), `sessions back: ${JSON.stringify(await peers())}${diag()}`);
    assert.ok(await eventually(10_000, async () => (await peers()).every((p) => p.stale === 0)), `stale routes refreshed: ${JSON.stringify(await peers())}`);
    assert.ok(lab.routes(t).includes('10.73.1.0/26 via 10.97.1.2'), 'still in our kernel');
  });
});
