// Interop with BIRD 2 (Debian's bird2) in network namespaces: iBGP (IPv4 and IPv6 sessions) and
// eBGP, routes both ways into both kernels, withdrawals, and graceful restart of either side with
// the kernel routes kept throughout.
//
//   tt-bi-t (Tortie speaker)  10.98.1.1 ── veth ── 10.98.1.2  tt-bi-b (BIRD, AS 64512, iBGP)
//                             fd98:1::1             fd98:1::2  (IPv6 session, IPv6 unicast)
//                             10.98.2.1 ── veth ── 10.98.2.2  (BIRD as AS 65002, eBGP)

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BgpLab, eventually, hasBird, isRoot, type SpeakerProc } from '../support/bgp-lab.js';
import { holdsFor } from '../support/within.js';

const BIRD_CONF = (extra = ''): string => `
log stderr all;
router id 10.98.1.2;
protocol device { scan time 1; }
protocol direct { ipv4; ipv6; interface "tt-*"; }
protocol kernel k4 { ipv4 { import none; export filter { if source = RTS_BGP then accept; reject; }; }; persist; scan time 1; graceful restart; }
protocol kernel k6 { ipv6 { import none; export filter { if source = RTS_BGP then accept; reject; }; }; persist; scan time 1; graceful restart; }
protocol static s4 { ipv4; route 10.72.2.0/26 blackhole; }
protocol static s4b { ipv4; route 10.72.3.0/26 blackhole; }
protocol static s4e { ipv4; route 10.72.5.0/26 blackhole; }
protocol static s6 { ipv6; route fd72:2::/64 blackhole; }
template bgp T {
  graceful restart on; graceful restart time 20;
  connect retry time 2; connect delay time 1; error wait time 1,3; hold time 30; keepalive time 10;
}
protocol bgp tortie4 from T {
  local 10.98.1.2 as 64512; neighbor 10.98.1.1 as 64512;
  ipv4 { import all; export where proto = "s4" || proto = "s4b"; };
}
protocol bgp tortie6 from T {
  local fd98:1::2 as 64512; neighbor fd98:1::1 as 64512;
  ipv6 { import all; export where proto = "s6"; };
}
protocol bgp tortieE from T {
  local 10.98.2.2 as 65002; neighbor 10.98.2.1 as 64512;
  ipv4 { import all; export where proto = "s4e"; };
}
${extra}`;

const PEERS = [
  { name: 'Global_10_98_1_2', type: 'global', address: '10.98.1.2', asNumber: 64512, sourceAddress: '10.98.1.1', restartTime: 15, connectRetry: 1, connectDelay: 0, errorWait: [1, 2] },
  { name: 'Global_fd98_1__2', type: 'global', address: 'fd98:1::2', asNumber: 64512, sourceAddress: 'fd98:1::1', restartTime: 15, connectRetry: 1, connectDelay: 0, errorWait: [1, 2] },
  { name: 'Global_10_98_2_2', type: 'global', address: '10.98.2.2', asNumber: 65002, sourceAddress: '10.98.2.1', restartTime: 15, connectRetry: 1, connectDelay: 0, errorWait: [1, 2] },
];

interface PeerSt { address: string; state: string; info: string; prefixes: { accepted: number }; stale: number }
interface Learned { prefix: string; nextHop: string; peer: string }
interface RibEntry { prefix: string; asPath: string; from: string; nextHops: string[] }

describe('interop with BIRD 2', { skip: !isRoot ? 'needs root' : !hasBird ? 'bird not installed' : false }, () => {
  const lab = new BgpLab('bi');
  let t = '', b = '', uplink = '';
  let sp: SpeakerProc;
  let bird: Awaited<ReturnType<BgpLab['bird']>>;

  const startSpeaker = async (): Promise<SpeakerProc> => {
    const s = await lab.speaker(t, `tortie-${Date.now()}`);
    await s.call('program', { dev: uplink });
    await s.call('config', { config: { routerId: '10.98.1.1', asNumber: 64512, listenPort: 179, restartTime: 15, restarting: true } });
    await s.call('exports', { prefixes: ['10.71.1.0/26', '10.71.2.0/26', 'fd71:1::/64'] });
    await s.call('peers', { peers: PEERS });
    return s;
  };
  const peers = async (): Promise<PeerSt[]> => (await sp.call<{ peers: PeerSt[] }>('status')).peers;
  const allUp = async (): Promise<boolean> => (await peers()).every((p) => p.state === 'up');
  const birdRoutes = (): string => bird.birdc('show route all');
  /** Both kernels keep what they learned from the other side, checked all along for `ms`: '' or what went. */
  const bothKeep = async (ms: number): Promise<string> => {
    let lost = '';
    await holdsFor(ms, () => {
      if (!lab.routes(b).includes('10.71.1.0/26 via 10.98.1.1')) lost = 'BIRD\'s kernel lost our route';
      else if (!lab.routes(t).includes('10.72.2.0/26 via 10.98.1.2')) lost = 'our kernel lost BIRD\'s route';
      return lost === '';
    }, 100);
    return lost;
  };
  const diag = (): string => `\n--- tortie:\n${sp.log().slice(-3000)}\n--- bird:\n${lab.fileOf(bird, 'bird.log').slice(-3000)}`;

  before(async () => {
    t = lab.ns('t'); b = lab.ns('b');
    [uplink] = lab.link(t, '10.98.1.1/24', b, '10.98.1.2/24');
    run6(lab, t, uplink);
    lab.link(t, '10.98.2.1/24', b, '10.98.2.2/24');
    bird = await lab.bird(b, 'bird', BIRD_CONF());
    sp = await startSpeaker();
  });
  after(async () => { await lab.destroy(); });

  it('iBGP (IPv4 and IPv6 sessions) and eBGP come up; routes go both ways and into both kernels', async () => {
    assert.ok(await eventually(20_000, allUp), `sessions not up: ${JSON.stringify(await peers())}${diag()}`);
    const learned = await eventually(10_000, async () => {
      const l = await sp.call<Learned[]>('learned');
      return l.length >= 4 ? l : undefined;
    });
    assert.deepEqual(learned?.map((r) => `${r.prefix} via ${r.nextHop}`).sort(), [
      '10.72.2.0/26 via 10.98.1.2', '10.72.3.0/26 via 10.98.1.2', '10.72.5.0/26 via 10.98.2.2', 'fd72:2::/64 via fd98:1::2',
    ], diag());
    assert.ok(await eventually(10_000, () => lab.routes(t).includes('10.72.2.0/26 via 10.98.1.2')), `our kernel: ${lab.routes(t).join(', ')}`);
    const rib = await sp.call<RibEntry[]>('routes');
    assert.equal(rib.find((r) => r.prefix === '10.72.5.0/26')?.asPath, '65002', 'eBGP path carries BIRD\'s AS');
    assert.equal(rib.find((r) => r.prefix === '10.72.2.0/26')?.asPath, '', 'iBGP path is empty');
    // BIRD's side: our prefixes over both sessions (the iBGP path wins on AS_PATH length), in its kernel.
    assert.ok(await eventually(10_000, () => lab.routes(b).includes('10.71.1.0/26 via 10.98.1.1')), `BIRD's kernel: ${lab.routes(b).join(', ')}${diag()}`);
    const r = birdRoutes();
    assert.match(r, /fd71:1::\/64\s+unicast \[tortie6 /, 'our IPv6 prefix over the IPv6 session');
    assert.ok(await eventually(10_000, () => lab.routes(b).includes('fd71:1::/64 via fd98:1::1')), 'and in BIRD\'s IPv6 kernel table');
    assert.match(r, /unicast \[tortieE [^\n]*\[AS64512i\]\n\s+via 10\.98\.2\.1[^\n]*\n(?:[^\n]*\n)*?\s+BGP\.as_path: 64512\n/, 'over eBGP with our AS prepended');
    assert.match(r, /10\.71\.1\.0\/26\s+unicast \[tortie4 [^\n]*\* \(100\) \[i\]\n\s+via 10\.98\.1\.1/, 'and over iBGP, where the shorter AS_PATH wins');
  });

  it('withdrawals propagate both ways', async () => {
    await sp.call('exports', { prefixes: ['10.71.1.0/26', 'fd71:1::/64'] });
    assert.ok(await eventually(10_000, () => !lab.routes(b).some((x) => x.startsWith('10.71.2.0/26'))), 'BIRD withdrew 10.71.2.0/26');
    bird.birdc('disable s4b');
    assert.ok(await eventually(10_000, async () => !(await sp.call<Learned[]>('learned')).some((l) => l.prefix === '10.72.3.0/26')), 'we dropped 10.72.3.0/26');
    assert.ok(await eventually(10_000, () => !lab.routes(t).includes('10.72.3.0/26 via 10.98.1.2')), 'and our kernel too');
  });

  it('our graceful restart: BIRD keeps our routes (and its kernel) while we are gone; the session comes back', async () => {
    await sp.call('stop');
    assert.ok(await eventually(10_000, () => /tortie4\s+BGP\s+---\s+start/.test(bird.birdc('show protocols tortie4'))), `BIRD saw the session go: ${bird.birdc('show protocols tortie4')}`);
    // While we are gone (well within the restart time), both kernels keep the routes, all along.
    assert.equal(await bothKeep(1500), '', `${lab.routes(b).join(', ')} / ${lab.routes(t).join(', ')}`);
    sp = await startSpeaker();
    assert.ok(await eventually(20_000, allUp), `sessions back: ${JSON.stringify(await peers())}${diag()}`);
    assert.ok(await eventually(10_000, () => !/\(stale\)|stale/.test(bird.birdc('show route 10.71.1.0/26 all'))), 'refreshed, not stale');
    // And they stay, refreshed, for a while after.
    assert.equal(await bothKeep(1000), '');
  });

  it('BIRD\'s graceful restart: we keep its routes (stale) and our kernel keeps them until it is back', async () => {
    await lab.kill(bird.child, 'SIGKILL');
    assert.ok(await eventually(10_000, async () => (await peers()).find((p) => p.address === '10.98.1.2')?.state !== 'up'), 'we saw BIRD go');
    const st = (await peers()).find((p) => p.address === '10.98.1.2')!;
    assert.equal(st.stale, 1, `BIRD's route kept as stale: ${JSON.stringify(st)}`);
    // While BIRD is gone (well within the restart time), our kernel keeps its route, all along.
    assert.ok(await holdsFor(1500, () => lab.routes(t).includes('10.72.2.0/26 via 10.98.1.2'), 100), `our kernel keeps it: ${lab.routes(t).join(', ')}`);
    bird = await lab.bird(b, 'bird', BIRD_CONF(), ['-R']);
    assert.ok(await eventually(25_000, allUp), `sessions back: ${JSON.stringify(await peers())}${diag()}`);
    assert.ok(await eventually(10_000, async () => (await peers()).every((p) => p.stale === 0)), 'stale routes refreshed by BIRD\'s End-of-RIB');
    assert.ok(lab.routes(t).includes('10.72.2.0/26 via 10.98.1.2'), 'still in our kernel');
  });
});

function run6(lab: BgpLab, t: string, uplink: string): void {
  // Sessions over IPv6 need the peer's address (nodad: usable at once).
  lab.exec(t, 'ip', 'addr', 'add', 'fd98:1::1/64', 'dev', uplink, 'nodad');
  const peerIf = uplink.replace(/a$/, 'b');
  lab.exec(`tt-${lab.id}-b`, 'ip', 'addr', 'add', 'fd98:1::2/64', 'dev', peerIf, 'nodad');
}
