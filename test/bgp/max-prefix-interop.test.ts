// Max-prefix against a real peer: BIRD 2 sends five routes over a session limited to three (a
// BGPPeer maxPrefixes: 3, maxPrefixesRestartTime: 5s); a second BIRD session, without a limit,
// is the well-behaved neighbour. BIRD must see RFC 4486's Cease; none of the offending routes may
// reach our kernel; the good session and its kernel routes must never move; the offender is let
// back only after the hold-down (and is cut again, as it still sends five).
//
//   tt-mp-t (Tortie, AS 64512)  10.99.1.1 ── veth ── 10.99.1.2  tt-mp-b (BIRD as AS 65005: 5 routes)
//                               10.99.2.1 ── veth ── 10.99.2.2  (BIRD as AS 65006: 2 routes)

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BgpLab, eventually, hasBird, isRoot, type SpeakerProc } from '../support/bgp-lab.js';

const HOLD_DOWN = 5;
const BIRD_CONF = `
log stderr all;
router id 10.99.1.2;
protocol device { scan time 1; }
protocol static offending { ipv4; route 10.74.1.0/24 blackhole; route 10.74.2.0/24 blackhole; route 10.74.3.0/24 blackhole; route 10.74.4.0/24 blackhole; route 10.74.5.0/24 blackhole; }
protocol static good { ipv4; route 10.75.1.0/24 blackhole; route 10.75.2.0/24 blackhole; }
template bgp T { connect retry time 1; connect delay time 1; error wait time 1,2; hold time 30; keepalive time 10; }
protocol bgp offender from T { local 10.99.1.2 as 65005; neighbor 10.99.1.1 as 64512; ipv4 { import all; export where proto = "offending"; }; }
protocol bgp neighbour from T { local 10.99.2.2 as 65006; neighbor 10.99.2.1 as 64512; ipv4 { import all; export where proto = "good"; }; }
`;
const PEERS = [
  {
    name: 'Global_10_99_1_2', type: 'global', address: '10.99.1.2', asNumber: 65005, sourceAddress: '10.99.1.1', connectRetry: 1, connectDelay: 0, errorWait: [1, 2],
    maxPrefixes: 3, maxPrefixesRestartTime: HOLD_DOWN,
  },
  { name: 'Global_10_99_2_2', type: 'global', address: '10.99.2.2', asNumber: 65006, sourceAddress: '10.99.2.1', connectRetry: 1, connectDelay: 0, errorWait: [1, 2] },
];

interface PeerSt { address: string; state: string; bgpState: string; info: string; since: string; maxPrefixHits?: number }

describe('max-prefix against BIRD 2', { skip: !isRoot ? 'needs root' : !hasBird ? 'bird not installed' : false }, () => {
  const lab = new BgpLab('mp');
  let tns = '', b = '';
  let sp: SpeakerProc;
  let bird: Awaited<ReturnType<BgpLab['bird']>>;

  before(async () => {
    tns = lab.ns('t'); b = lab.ns('b');
    lab.link(tns, '10.99.1.1/24', b, '10.99.1.2/24');
    lab.link(tns, '10.99.2.1/24', b, '10.99.2.2/24');
    bird = await lab.bird(b, 'bird', BIRD_CONF);
    sp = await lab.speaker(tns, 'tortie');
    await sp.call('program', {});
    await sp.call('config', { config: { routerId: '10.99.1.1', asNumber: 64512, listenPort: 179 } });
    await sp.call('peers', { peers: PEERS });
  });
  after(async () => { await lab.destroy(); });

  const peer = async (a: string): Promise<PeerSt> => (await sp.call<{ peers: PeerSt[] }>('status')).peers.find((p) => p.address === a)!;
  const diag = (): string => `\n--- tortie:\n${sp.log().slice(-3000)}\n--- bird:\n${lab.fileOf(bird, 'bird.log').slice(-3000)}`;

  it('BIRD gets Cease/Maximum Number of Prefixes Reached; its routes never reach our kernel; the other session never moves; back only after the hold-down', async (t) => {
    const good = ['10.75.1.0/24 via 10.99.2.2', '10.75.2.0/24 via 10.99.2.2'];
    // From the start, every 100 ms: none of the offender's routes in our kernel; once the good
    // session is up with its routes in our kernel, it stays so, unchanged (its `since`). Each
    // time the limit is hit the offender goes Idle: its `since` then is the speaker's own time of
    // the hit (the hold-down is 5 s, so the Idle state is not missed at this polling rate).
    const hits: number[] = [];
    let since: string | undefined;
    let problem = '';
    const deadline = performance.now() + 60_000;
    while (hits.length < 2 && performance.now() < deadline && problem === '') {
      const [g, o] = [await peer('10.99.2.2'), await peer('10.99.1.2')];
      const k = lab.routes(tns);
      if (k.some((r) => r.startsWith('10.74.'))) problem = `an offending route reached our kernel: ${k.join(', ')}`;
      if (since === undefined && g.state === 'up' && good.every((r) => k.includes(r))) since = g.since;
      else if (since !== undefined && (g.state !== 'up' || g.since !== since)) problem = `the good session moved: ${JSON.stringify(g)}`;
      else if (since !== undefined && !good.every((r) => k.includes(r))) problem = `the good routes left our kernel: ${k.join(', ')}`;
      if ((o.maxPrefixHits ?? 0) > hits.length && o.bgpState === 'Idle') hits.push(Date.parse(o.since));
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(problem, '', diag());
    assert.ok(since !== undefined, 'the good session came up');
    assert.equal(hits.length, 2, `the limit hit twice within a minute: ${JSON.stringify(await peer('10.99.1.2'))}${diag()}`);
    // Both times are the speaker's wall clock in whole ms, its hold-down timer runs on the monotonic clock: 2 ms slack.
    assert.ok(hits[1]! - hits[0]! >= HOLD_DOWN * 1000 - 2, `back after ${hits[1]! - hits[0]!} ms, within the ${HOLD_DOWN} s hold-down`);
    assert.ok(hits[1]! - hits[0]! < HOLD_DOWN * 1000 + 10_000, `back only after ${hits[1]! - hits[0]!} ms`);
    const proto = bird.birdc('show protocols all offender');
    assert.match(proto, /Received: Maximum number of prefixes reached/i, proto);
    t.diagnostic(`limit hit again ${hits[1]! - hits[0]!} ms after the first; BIRD: ${/Last error:.*/.exec(proto)?.[0]?.replace(/\s+/g, ' ') ?? '?'}`);
  });
});
