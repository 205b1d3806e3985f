// Two real speakers over loopback sockets (each on its own 127.x address): sessions, route
// exchange, withdrawal, graceful restart on both sides, collision, max-prefix, TCP MD5, and
// connections from unconfigured addresses refused.

import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../../../test/support/free-port.js';
import { holdsFor } from '../../../test/support/within.js';
import { BgpSpeaker, sockoptAvailable, type PeerSpec } from './index.js';

const speakers: BgpSpeaker[] = [];
after(async () => { for (const s of speakers) await s.stop(); });

async function speaker(ip: string, port: number, extra: { restartTime?: number; as?: number; clusterId?: string } = {}): Promise<BgpSpeaker> {
  const s = new BgpSpeaker({ convergeTimeoutMs: 5000, notifyDelayMs: 5 });
  speakers.push(s);
  await s.setConfig({ routerId: ip, asNumber: extra.as ?? 64512, listenPort: port, listenAddress: ip, restartTime: extra.restartTime ?? 120, ...(extra.clusterId ? { clusterId: extra.clusterId } : {}) });
  return s;
}

/** A peer at `ip:port`; the session's source is the other end of the pair (x.y.z.1 ↔ x.y.z.2, .3 → .1). */
function peer(ip: string, port: number, patch: Partial<PeerSpec> = {}): PeerSpec {
  const last = Number(ip.split('.')[3]);
  const source = `${ip.split('.').slice(0, 3).join('.')}.${patch.sourceAddress ?? (last === 1 ? 2 : 1)}`;
  return { name: `Mesh_${ip.replace(/\./g, '_')}`, type: 'node-to-node mesh', address: ip, port, asNumber: 64512, connectDelay: 0, connectRetry: 1, errorWait: [1, 2], ...patch, sourceAddress: source };
}

async function until<T>(what: string, f: () => T | undefined | false, ms = 20_000): Promise<T> {
  const end = performance.now() + ms;
  for (;;) {
    const v = f();
    if (v) return v;
    if (performance.now() > end) assert.fail(`timed out waiting for: ${what}`);
    await sleep(20);
  }
}

const learned = (s: BgpSpeaker): string[] => s.learnedRoutes().map((r) => `${r.prefix} via ${r.nextHop}`);
const up = (s: BgpSpeaker): boolean => s.status().peers.every((p) => p.state === 'up') && s.status().peers.length > 0;

describe('BGP speaker over loopback', () => {
  it('establishes (one side passive), exchanges routes both ways, propagates withdrawals, reports status', async () => {
    const [pa, pb] = [await freePort(), await freePort()];
    const a = await speaker('127.0.1.1', pa);
    const b = await speaker('127.0.1.2', pb);
    // The learned routes as a consumer of the differences alone would rebuild them.
    const mirror = new Map<string, string>();
    a.onLearnedChanges((changes) => { for (const c of changes) if (c.route) mirror.set(c.prefix, c.route.nextHop); else mirror.delete(c.prefix); });
    const mirrored = (): string[] => [...mirror].map(([p, via]) => `${p} via ${via}`).sort();
    a.setExports(['10.65.0.0/26']);
    b.setExports(['10.65.1.0/26', '10.65.2.0/26']);
    a.setPeers([peer('127.0.1.2', pb)]);
    b.setPeers([peer('127.0.1.1', pa, { passive: true })]);
    await until('both up', () => up(a) && up(b));
    await until('a learns b\'s blocks', () => learned(a).length === 2);
    assert.deepEqual(learned(a), ['10.65.1.0/26 via 127.0.1.2', '10.65.2.0/26 via 127.0.1.2']);
    await until('the changes reach the change listener', () => mirrored().length === 2);
    assert.deepEqual(mirrored(), learned(a));
    assert.equal(a.learnedCount, 2);
    await until('b learns a\'s block', () => learned(b).length === 1);
    assert.deepEqual(learned(b), ['10.65.0.0/26 via 127.0.1.1']);
    const st = a.status().peers[0]!;
    assert.equal(st.info, 'Established');
    assert.equal(st.bgpState, 'Established');
    assert.equal(st.routerId, '127.0.1.2');
    assert.deepEqual(st.prefixes, { received: 2, accepted: 2, advertised: 1 });
    assert.equal(b.status().peers[0]!.type, 'node-to-node mesh');
    assert.ok(a.converged && b.converged, 'both saw End-of-RIB');
    const r = a.routes().find((x) => x.prefix === '10.65.1.0/26')!;
    assert.equal(r.decidedBy, 'only-path');
    assert.equal(r.fromName, 'Mesh_127_0_1_2');
    assert.equal(a.routes().find((x) => x.prefix === '10.65.0.0/26')!.from, 'local');
    b.setExports(['10.65.1.0/26']);
    await until('the withdrawal reaches a', () => learned(a).length === 1);
    assert.deepEqual(learned(a), ['10.65.1.0/26 via 127.0.1.2']);
    await until('the withdrawal reaches the change listener', () => mirrored().length === 1);
    assert.deepEqual(mirrored(), learned(a));
    // A peer removed from the configuration: Cease, and its routes go.
    b.setPeers([]);
    await until('a forgets b\'s routes', () => learned(a).length === 0);
    await until('and so does the change listener', () => mirror.size === 0);
    assert.equal(a.learnedCount, 0);
    assert.match(a.status().peers[0]!.info, /Cease/);
  });

  it('graceful restart: a stopped speaker\'s routes stay for its restart time, a restarted one keeps them, then they go', async () => {
    const [pa, pb] = [await freePort(), await freePort()];
    const b = await speaker('127.0.2.2', pb);
    b.setPeers([peer('127.0.2.1', pa, { passive: true })]);
    const start = async (): Promise<BgpSpeaker> => {
      const a = await speaker('127.0.2.1', pa, { restartTime: 3 });
      a.setExports(['10.66.0.0/26']);
      a.setPeers([peer('127.0.2.2', pb, { restartTime: 3 })]);
      return a;
    };
    const a1 = await start();
    await until('b learns a\'s block', () => learned(b).length === 1);
    await a1.stop(); // graceful: no NOTIFICATION
    await until('b notices', () => b.status().peers[0]!.state !== 'up');
    assert.equal(b.status().peers[0]!.stale, 1, 'kept as stale');
    assert.deepEqual(learned(b), ['10.66.0.0/26 via 127.0.2.1']);
    // Back within the restart time (with the R bit): the route never left.
    const a2 = await start();
    await until('re-established', () => up(b));
    await until('stale flushed by the End-of-RIB', () => b.status().peers[0]!.stale === 0);
    assert.deepEqual(learned(b), ['10.66.0.0/26 via 127.0.2.1']);
    // b's restart timer starts when it sees the session go, which is after we stop a2: until 3 s
    // after that (less a tolerance for timer granularity) the route stays, all along.
    const stopping = performance.now();
    await a2.stop();
    await until('b notices again', () => b.status().peers[0]!.state !== 'up');
    assert.ok(await holdsFor(stopping + 2500 - performance.now(), () => learned(b).length === 1, 20),
      `gone before the 3 s restart time ran out (${Math.round(performance.now() - stopping)} ms after the stop)`);
    await until('flushed when the restart time ran out', () => learned(b).length === 0);
  });

  it('resolves a connection collision (both sides connect): one session, on both ends', async () => {
    const [pa, pb] = [await freePort(), await freePort()];
    const a = await speaker('127.0.3.1', pa);
    const b = await speaker('127.0.3.2', pb);
    a.setExports(['10.67.0.0/26']);
    a.setPeers([peer('127.0.3.2', pb)]);
    b.setPeers([peer('127.0.3.1', pa)]);
    await until('both up', () => up(a) && up(b));
    // One session that stays: up all along on both ends, never re-established (its `since` unchanged).
    const since = [a.status().peers[0]!.since, b.status().peers[0]!.since];
    assert.ok(await holdsFor(1500, () => up(a) && up(b) && a.status().peers[0]!.since === since[0] && b.status().peers[0]!.since === since[1], 20),
      `and it stays up: ${JSON.stringify([a.status().peers[0], b.status().peers[0]])}`);
    await until('b learns a\'s block', () => learned(b).length === 1);
    assert.deepEqual(learned(b), ['10.67.0.0/26 via 127.0.3.1']);
  });

  it('max-prefix: a peer that sends more than allowed gets Cease and its routes are dropped', async () => {
    const [pa, pb] = [await freePort(), await freePort()];
    const a = await speaker('127.0.4.1', pa);
    const b = await speaker('127.0.4.2', pb);
    a.setExports(['10.68.0.0/26', '10.68.1.0/26']);
    a.setPeers([peer('127.0.4.2', pb)]);
    b.setPeers([peer('127.0.4.1', pa, { passive: true, maxPrefixes: 1 })]);
    await until('b reports the limit', () => /Cease\/Maximum Number of Prefixes Reached/.test(b.status().peers[0]!.lastError ?? '') || undefined);
    await until('b dropped the routes', () => learned(b).length === 0);
    await until('a saw Cease', () => /Cease\/Maximum Number of Prefixes Reached/.test(a.status().peers[0]!.info) || undefined);
  });

  it('refuses connections from addresses that are not configured peers', async () => {
    const pa = await freePort();
    const a = await speaker('127.0.5.1', pa);
    a.setPeers([peer('127.0.5.2', 179, { passive: true })]);
    const closed = await new Promise<boolean>((resolve) => {
      const s = connect({ host: '127.0.5.1', port: pa, localAddress: '127.0.5.9' });
      // A generous deadline: a connection left open would stay open for minutes.
      const deadline = setTimeout(() => { s.destroy(); resolve(false); }, 15_000);
      s.on('close', () => { clearTimeout(deadline); resolve(true); });
      s.on('error', () => {});
    });
    assert.ok(closed, 'closed at once');
    assert.equal(a.status().peers[0]!.state, 'start');
  });

  it('TCP MD5: a session with the same password comes up; with a different one it never does', { skip: sockoptAvailable() ? false : 'TCP_MD5SIG unavailable' }, async () => {
    const [pa, pb, pc] = [await freePort(), await freePort(), await freePort()];
    const a = await speaker('127.0.6.1', pa);
    const b = await speaker('127.0.6.2', pb);
    a.setExports(['10.69.0.0/26']);
    a.setPeers([peer('127.0.6.2', pb, { password: 'tortie-secret' })]);
    b.setPeers([peer('127.0.6.1', pa, { passive: true, password: 'tortie-secret' })]);
    await until('signed session up', () => up(a) && up(b));
    assert.deepEqual(learned(b), ['10.69.0.0/26 via 127.0.6.1']);
    const c = await speaker('127.0.6.3', pc);
    c.setPeers([peer('127.0.6.1', pa, { password: 'wrong', sourceAddress: '3' })]);
    a.setPeers([peer('127.0.6.2', pb, { password: 'tortie-secret' }), peer('127.0.6.3', pc, { passive: true, password: 'tortie-secret' })]);
    // c retries every second: it must never get a session.
    assert.ok(await holdsFor(2500, () => c.status().peers[0]!.state !== 'up', 20), 'the kernel drops SYNs signed with another key');
  });
});
