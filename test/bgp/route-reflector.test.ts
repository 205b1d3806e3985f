// Route reflection (RFC 4456) against BIRD 2, both ways round, in network namespaces:
//   1. our speaker reflects between two BIRD clients;
//   2. BIRD reflects between two Tortie speakers.
// Routes reach everyone with ORIGINATOR_ID = the originating router and CLUSTER_LIST = [the RR's
// cluster ID], and nobody gets its own route back.
//
//   client 1  10.96.1.2 ── 10.96.1.1 ┐
//                                    RR (tt-rrN-r)
//   client 2  10.96.2.2 ── 10.96.2.1 ┘

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BgpLab, eventually, hasBird, isRoot, type SpeakerProc } from '../support/bgp-lab.js';

const skip = !isRoot ? 'needs root' : !hasBird ? 'bird not installed' : false;
const TIMERS = 'connect retry time 2; connect delay time 1; error wait time 1,3; graceful restart on;';

function star(lab: BgpLab): { r: string; c1: string; c2: string } {
  const r = lab.ns('r'), c1 = lab.ns('c1'), c2 = lab.ns('c2');
  lab.link(r, '10.96.1.1/24', c1, '10.96.1.2/24');
  lab.link(r, '10.96.2.1/24', c2, '10.96.2.2/24');
  // Each client reaches the other's subnet through the RR (for next hops kept by reflection).
  lab.exec(c1, 'ip', 'route', 'add', '10.96.2.0/24', 'via', '10.96.1.1');
  lab.exec(c2, 'ip', 'route', 'add', '10.96.1.0/24', 'via', '10.96.2.1');
  lab.exec(r, 'sysctl', '-qw', 'net.ipv4.ip_forward=1');
  return { r, c1, c2 };
}

describe('our speaker as route reflector for two BIRD clients', { skip }, () => {
  const lab = new BgpLab('rr1');
  let rr: SpeakerProc;
  const clients: Array<Awaited<ReturnType<BgpLab['bird']>>> = [];
  const clientConf = (n: 1 | 2): string => `
log stderr all;
router id 10.96.${n}.2;
protocol device { scan time 1; }
protocol static st { ipv4; route 10.81.${n}.0/24 blackhole; }
protocol static reach { ipv4; route 10.96.${3 - n}.0/24 via 10.96.${n}.1; }
protocol bgp hub { local 10.96.${n}.2 as 64512; neighbor 10.96.${n}.1 as 64512; ${TIMERS}
  ipv4 { import all; export where proto = "st"; gateway recursive; }; }`;

  before(async () => {
    const { r, c1, c2 } = star(lab);
    clients.push(await lab.bird(c1, 'c1', clientConf(1)), await lab.bird(c2, 'c2', clientConf(2)));
    rr = await lab.speaker(r, 'rr');
    await rr.call('config', { config: { routerId: '10.96.1.1', asNumber: 64512, listenPort: 179, clusterId: '1.1.1.1' } });
    await rr.call('exports', { prefixes: [], pools: ['10.81.0.0/16'] });
    await rr.call('peers', {
      peers: [1, 2].map((n) => ({ name: `Node_10_96_${n}_2`, type: 'node specific', address: `10.96.${n}.2`, asNumber: 64512, sourceAddress: `10.96.${n}.1`, rrClient: true, connectDelay: 0, connectRetry: 1 })),
    });
  });
  after(async () => { await lab.destroy(); });

  it('reflects each client\'s route to the other with ORIGINATOR_ID and CLUSTER_LIST; nothing comes back to its origin', async () => {
    const [b1, b2] = clients as [typeof clients[0], typeof clients[0]];
    const at2 = await eventually(20_000, () => { const s = b2.birdc('show route 10.81.1.0/24 all'); return /BGP\.cluster_list/.test(s) ? s : undefined; });
    assert.ok(at2, `client 2 never got client 1's route:\n${b2.birdc('show route all')}\n${rr.log().slice(-2000)}`);
    assert.match(at2, /BGP\.originator_id: 10\.96\.1\.2/);
    assert.match(at2, /BGP\.cluster_list: 1\.1\.1\.1/);
    assert.match(at2, /BGP\.next_hop: 10\.96\.1\.2/, 'the next hop is kept (iBGP reflection)');
    const at1 = await eventually(10_000, () => { const s = b1.birdc('show route 10.81.2.0/24 all'); return /BGP\.cluster_list/.test(s) ? s : undefined; });
    assert.match(at1 ?? '', /BGP\.originator_id: 10\.96\.2\.2/);
    // No loops: client 1 holds its own prefix only from its static protocol.
    const own = b1.birdc('show route 10.81.1.0/24 all');
    assert.doesNotMatch(own, /\[hub /, `client 1 got its own route back:\n${own}`);
    interface Entry { prefix: string; decidedBy: string; from: string }
    const rib = await rr.call<Entry[]>('routes');
    assert.deepEqual(rib.map((r) => `${r.prefix} from ${r.from}`), ['10.81.1.0/24 from 10.96.1.2', '10.81.2.0/24 from 10.96.2.2']);
  });
});

describe('BIRD as route reflector for two Tortie speakers', { skip }, () => {
  const lab = new BgpLab('rr2');
  const sp: SpeakerProc[] = [];

  before(async () => {
    const { r, c1, c2 } = star(lab);
    await lab.bird(r, 'rr', `
log stderr all;
router id 10.96.1.1;
protocol device { scan time 1; }
protocol direct { ipv4; interface "tt-*"; }
${[1, 2].map((n) => `protocol bgp c${n} { local 10.96.${n}.1 as 64512; neighbor 10.96.${n}.2 as 64512; rr client; rr cluster id 2.2.2.2; ${TIMERS}
  ipv4 { import all; export where source = RTS_BGP; }; }`).join('\n')}`);
    for (const [n, ns] of [[1, c1], [2, c2]] as const) {
      const s = await lab.speaker(ns, `s${n}`);
      await s.call('config', { config: { routerId: `10.96.${n}.2`, asNumber: 64512, listenPort: 179 } });
      await s.call('exports', { prefixes: [`10.82.${n}.0/24`] });
      await s.call('peers', { peers: [{ name: 'Global_10_96_0_1', type: 'global', address: `10.96.${n}.1`, asNumber: 64512, sourceAddress: `10.96.${n}.2`, connectDelay: 0, connectRetry: 1 }] });
      sp.push(s);
    }
  });
  after(async () => { await lab.destroy(); });

  it('each speaker learns the other\'s prefix with ORIGINATOR_ID and CLUSTER_LIST, never its own', async () => {
    interface Entry { prefix: string; nextHops: string[]; originatorId?: string; clusterList?: string[]; from: string; decidedBy: string }
    const [s1, s2] = sp as [SpeakerProc, SpeakerProc];
    const got = await eventually(20_000, async () => (await s2.call<Entry[]>('routes')).find((r) => r.prefix === '10.82.1.0/24'));
    assert.ok(got, `speaker 2 never learned 10.82.1.0/24:\n${s2.log().slice(-2000)}`);
    assert.deepEqual({ nextHops: got.nextHops, originatorId: got.originatorId, clusterList: got.clusterList, from: got.from },
      { nextHops: ['10.96.1.2'], originatorId: '10.96.1.2', clusterList: ['2.2.2.2'], from: '10.96.2.1' });
    const back = await eventually(10_000, async () => (await s1.call<Entry[]>('routes')).find((r) => r.prefix === '10.82.2.0/24'));
    assert.equal(back?.originatorId, '10.96.2.2');
    const own = (await s1.call<Entry[]>('routes')).filter((r) => r.prefix === '10.82.1.0/24');
    assert.deepEqual(own.map((r) => r.from), ['local'], 'its own prefix only as its own');
  });
});
