import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildOpen, decodeMessage, encodeMessage, contextWith, wireError, type OpenMessage } from '../codec/index.js';
import {
  eventOf, FakeClock, FsmRunner, initialState, peerConfig, resolveCollision, step,
  type FsmAction, type FsmEvent, type FsmState, type PeerConfig,
} from './index.js';

const FAMILIES = [{ afi: 1, safi: 1 }];
const cfg = (patch: Partial<PeerConfig> = {}): PeerConfig =>
  peerConfig({ localAs: 64512, localId: '10.0.0.1', peerAs: 64512, open: { families: FAMILIES }, connectDelay: 0, ...patch });
const peerOpen = (patch: Partial<{ as: number; id: string; hold: number }> = {}): OpenMessage =>
  buildOpen({ as: patch.as ?? 64512, bgpId: patch.id ?? '10.0.0.2', holdTime: patch.hold ?? 90, families: FAMILIES });

function run(s: FsmState, events: FsmEvent[]): { state: FsmState; actions: FsmAction[] } {
  const all: FsmAction[] = [];
  for (const e of events) { const r = step(s, e); s = r.state; all.push(...r.actions); }
  return { state: s, actions: all };
}
const sent = (as: readonly FsmAction[]): string[] => as.flatMap((a) => a.type === 'send'
  ? [a.message.type === 'notification' ? `notification ${a.message.code}/${a.message.subcode}` : a.message.type] : []);
const timers = (as: readonly FsmAction[]): string[] => as.flatMap((a) => a.type === 'startTimer' ? [`${a.timer}=${a.seconds}`] : []);

const UP: FsmEvent[] = [{ type: 'ManualStart' }, { type: 'TcpCRAcked' }, { type: 'BGPOpen', open: peerOpen() }, { type: 'KeepAliveMsg' }];
const established = (c = cfg()): FsmState => run(initialState(c), UP).state;

test('Idle: ManualStart connects (ConnectRetry armed); other events are ignored', () => {
  const r = step(initialState(cfg()), { type: 'ManualStart' });
  assert.equal(r.state.name, 'Connect');
  assert.deepEqual(r.actions.map((a) => a.type), ['startTimer', 'connect']);
  assert.deepEqual(timers(r.actions), ['ConnectRetry=5']);
  const others: FsmEvent[] = [{ type: 'ConnectRetryTimerExpires' }, { type: 'HoldTimerExpires' }, { type: 'KeepaliveTimerExpires' },
    { type: 'TcpCRAcked' }, { type: 'TcpConnectionFails' }, { type: 'KeepAliveMsg' }, { type: 'UpdateMsg' }, { type: 'BGPOpen', open: peerOpen() }];
  for (const e of others) {
    const x = step(initialState(cfg()), e);
    assert.equal(x.state.name, 'Idle', e.type);
    assert.deepEqual(x.actions, [], e.type);
  }
});

test('Calico connect delay: start listens in Active, connects when the delay is over', () => {
  const r = run(initialState(cfg({ connectDelay: 2 })), [{ type: 'ManualStart' }]);
  assert.equal(r.state.name, 'Active');
  assert.deepEqual(timers(r.actions), ['ConnectRetry=2']);
  const r2 = step(r.state, { type: 'ConnectRetryTimerExpires' });
  assert.equal(r2.state.name, 'Connect');
  assert.ok(r2.actions.some((a) => a.type === 'connect'));
});

test('Connect: retry timer reconnects; TCP up sends OPEN with a 4-minute hold; failure goes Idle and retries', () => {
  const s = run(initialState(cfg()), [{ type: 'ManualStart' }]).state;
  const retry = step(s, { type: 'ConnectRetryTimerExpires' });
  assert.equal(retry.state.name, 'Connect');
  assert.deepEqual(retry.actions.map((a) => a.type), ['dropConnection', 'startTimer', 'connect']);
  const up = step(s, { type: 'TcpCRAcked' });
  assert.equal(up.state.name, 'OpenSent');
  assert.deepEqual(sent(up.actions), ['open']);
  assert.deepEqual(timers(up.actions), ['Hold=240']);
  const fail = step(s, { type: 'TcpConnectionFails' });
  assert.equal(fail.state.name, 'Idle');
  assert.deepEqual(timers(fail.actions), ['IdleHold=5'], 'retry after connect retry time, no backoff growth');
  const again = step(fail.state, { type: 'IdleHoldTimerExpires' });
  assert.equal(again.state.name, 'Connect');
});

test('Active: an accepted connection leads to OpenSent', () => {
  const s = run(initialState(cfg({ passive: true })), [{ type: 'ManualStart' }]).state;
  assert.equal(s.name, 'Active');
  const r = step(s, { type: 'TcpConnectionConfirmed' });
  assert.equal(r.state.name, 'OpenSent');
});

test('passive peers never connect', () => {
  const r = run(initialState(cfg({ passive: true })), [{ type: 'ManualStart' }, { type: 'ConnectRetryTimerExpires' }]);
  assert.equal(r.state.name, 'Active');
  assert.ok(!r.actions.some((a) => a.type === 'connect'));
  assert.deepEqual(timers(r.actions), []);
});

test('OpenSent: a good OPEN negotiates min hold time and keepalive = hold/3, answers KEEPALIVE', () => {
  const r = run(initialState(cfg()), UP.slice(0, 3));
  assert.equal(r.state.name, 'OpenConfirm');
  assert.deepEqual(sent(r.actions), ['open', 'keepalive']);
  assert.deepEqual(timers(r.actions).slice(-2), ['Keepalive=30', 'Hold=90']);
  assert.equal(r.state.negotiated?.holdTime, 90);
  const zero = run(initialState(cfg()), [...UP.slice(0, 2), { type: 'BGPOpen', open: peerOpen({ hold: 0 }) }]);
  assert.equal(zero.state.negotiated?.holdTime, 0);
  assert.ok(!zero.state.timers.includes('Hold') && !zero.state.timers.includes('Keepalive'), 'hold time 0: no timers');
});

test('OpenSent: OPEN errors answer with the right NOTIFICATION', () => {
  const base = run(initialState(cfg()), UP.slice(0, 2)).state;
  const badAs = step(base, { type: 'BGPOpen', open: peerOpen({ as: 65000 }) });
  assert.equal(badAs.state.name, 'Idle');
  assert.deepEqual(sent(badAs.actions), ['notification 2/2']);
  const sameId = step(base, { type: 'BGPOpen', open: peerOpen({ id: '10.0.0.1' }) });
  assert.deepEqual(sent(sameId.actions), ['notification 2/3']);
  const v6only = step(base, { type: 'BGPOpen', open: buildOpen({ as: 64512, bgpId: '10.0.0.2', holdTime: 90, families: [{ afi: 2, safi: 1 }] }) });
  assert.deepEqual(sent(v6only.actions), ['notification 2/7']);
  const hdr = step(base, { type: 'BGPHeaderErr', error: wireError(1, 2, 'session-reset', 'x') });
  assert.deepEqual(sent(hdr.actions), ['notification 1/2']);
});

test('unexpected messages: FSM Error with the RFC 6608 subcode of the state', () => {
  const sentState = run(initialState(cfg()), UP.slice(0, 2)).state;
  assert.deepEqual(sent(step(sentState, { type: 'KeepAliveMsg' }).actions), ['notification 5/1']);
  const confirm = run(initialState(cfg()), UP.slice(0, 3)).state;
  assert.deepEqual(sent(step(confirm, { type: 'UpdateMsg' }).actions), ['notification 5/2']);
  assert.deepEqual(sent(step(established(), { type: 'BGPOpen', open: peerOpen() }).actions), ['notification 5/3']);
});

test('OpenSent: TCP failure goes back to Active with the retry timer', () => {
  const s = run(initialState(cfg()), UP.slice(0, 2)).state;
  const r = step(s, { type: 'TcpConnectionFails' });
  assert.equal(r.state.name, 'Active');
  assert.deepEqual(timers(r.actions), ['ConnectRetry=5']);
});

test('OpenConfirm → Established on KEEPALIVE, signalling the negotiated session', () => {
  const r = run(initialState(cfg()), UP);
  assert.equal(r.state.name, 'Established');
  const est = r.actions.find((a) => a.type === 'established');
  assert.ok(est && est.type === 'established' && est.negotiated.peerAs === 64512);
});

test('Established: KEEPALIVE and UPDATE restart the hold timer; errors send their NOTIFICATION', () => {
  const s = established();
  assert.deepEqual(timers(step(s, { type: 'UpdateMsg' }).actions), ['Hold=90']);
  assert.deepEqual(timers(step(s, { type: 'KeepAliveMsg' }).actions), ['Hold=90']);
  const ka = step(s, { type: 'KeepaliveTimerExpires' });
  assert.deepEqual(sent(ka.actions), ['keepalive']);
  const err = step(s, { type: 'UpdateMsgErr', error: wireError(3, 1, 'session-reset', 'bad') });
  assert.deepEqual(sent(err.actions), ['notification 3/1']);
  const down = err.actions.find((a) => a.type === 'down');
  assert.ok(down && down.type === 'down' && down.wasEstablished);
  const notif = step(s, { type: 'NotifMsg', notification: { type: 'notification', code: 6, subcode: 2, data: new Uint8Array() } });
  assert.deepEqual(sent(notif.actions), [], 'a NOTIFICATION is not answered');
  const stop = step(s, { type: 'ManualStop', text: 'maintenance' });
  assert.deepEqual(sent(stop.actions), ['notification 6/2']);
  assert.equal(stop.state.automatic, false);
  assert.ok(!stop.state.timers.includes('IdleHold'), 'no automatic restart after a manual stop');
});

test('DelayOpen: wait for the peer\'s OPEN, then send ours with the KEEPALIVE', () => {
  const c = cfg({ delayOpen: 3 });
  const r = run(initialState(c), [{ type: 'ManualStart' }, { type: 'TcpCRAcked' }]);
  assert.equal(r.state.name, 'Connect');
  assert.ok(r.state.timers.includes('DelayOpen'));
  const o = step(r.state, { type: 'BGPOpen', open: peerOpen() });
  assert.equal(o.state.name, 'OpenConfirm');
  assert.deepEqual(sent(o.actions), ['open', 'keepalive']);
  const expire = step(r.state, { type: 'DelayOpenTimerExpires' });
  assert.equal(expire.state.name, 'OpenSent');
});

// ---- timers on a fake clock: 0 ms of real time ----

function harness(c: PeerConfig): { clock: FakeClock; runner: FsmRunner; log: FsmAction[] } {
  const clock = new FakeClock();
  const log: FsmAction[] = [];
  const runner = new FsmRunner(c, clock, (a) => log.push(a));
  return { clock, runner, log };
}

test('keepalives every 30 s and a hold-timer expiry after 90 s of silence', () => {
  const h = harness(cfg());
  for (const e of UP) h.runner.dispatch(e);
  assert.equal(h.runner.state.name, 'Established');
  h.log.length = 0;
  h.clock.advance(89_000);
  assert.equal(sent(h.log).filter((x) => x === 'keepalive').length, 2, 'at 30 s and 60 s');
  assert.equal(h.runner.state.name, 'Established');
  h.clock.advance(1_000);
  assert.equal(h.runner.state.name, 'Idle');
  assert.ok(sent(h.log).includes('notification 4/0'));
});

test('a peer that keeps talking keeps the session', () => {
  const h = harness(cfg());
  for (const e of UP) h.runner.dispatch(e);
  for (let i = 0; i < 100; i++) { h.clock.advance(60_000); h.runner.dispatch({ type: 'KeepAliveMsg' }); }
  assert.equal(h.runner.state.name, 'Established');
});

test('idle-hold backoff on flaps: 5, 10, 20, 30, 30 s (error wait time 5,30), forgotten after a stable session', () => {
  const h = harness(cfg());
  const holds: number[] = [];
  h.runner.dispatch({ type: 'ManualStart' });
  for (let i = 0; i < 5; i++) {
    for (const e of UP.slice(1)) h.runner.dispatch(e);
    assert.equal(h.runner.state.name, 'Established');
    h.log.length = 0;
    h.runner.dispatch({ type: 'NotifMsg', notification: { type: 'notification', code: 6, subcode: 4, data: new Uint8Array() } });
    holds.push(h.runner.state.idleHoldTime);
    h.clock.advance(60_000); // the idle hold expires; we reconnect
    assert.equal(h.runner.state.name, 'Connect');
  }
  assert.deepEqual(holds, [10, 20, 30, 30, 30], 'the next idle hold after each flap');
  for (const e of UP.slice(1)) h.runner.dispatch(e);
  for (let i = 0; i < 10; i++) { h.clock.advance(30_000); h.runner.dispatch({ type: 'KeepAliveMsg' }); }
  assert.equal(h.runner.state.name, 'Established');
  assert.equal(h.runner.state.idleHoldTime, 5);
});

test('the first automatic restart waits the error wait time', () => {
  const h = harness(cfg());
  for (const e of UP) h.runner.dispatch(e);
  h.runner.dispatch({ type: 'TcpConnectionFails' });
  assert.equal(h.runner.state.name, 'Idle');
  h.clock.advance(4_999);
  assert.equal(h.runner.state.name, 'Idle');
  h.clock.advance(1);
  assert.equal(h.runner.state.name, 'Connect');
});

test('collision detection keeps the connection initiated by the higher BGP identifier', () => {
  const inbound = { state: 'OpenConfirm' as const, outbound: false };
  const outbound = { state: 'OpenSent' as const, outbound: true };
  assert.deepEqual(resolveCollision(outbound, inbound, { localId: '10.0.0.9', remoteId: '10.0.0.2' }), { dump: 'b', rule: 'higher-id-keeps-its-connection' });
  assert.deepEqual(resolveCollision(outbound, inbound, { localId: '10.0.0.1', remoteId: '10.0.0.2' }), { dump: 'a', rule: 'higher-id-keeps-its-connection' });
  assert.deepEqual(resolveCollision({ state: 'Established', outbound: false }, outbound, { localId: '10.0.0.9', remoteId: '10.0.0.2' }), { dump: 'b', rule: 'established-wins' });
  assert.deepEqual(resolveCollision({ state: 'Connect', outbound: true }, inbound, { localId: '1.1.1.1', remoteId: '2.2.2.2' }).dump, null);
  assert.deepEqual(resolveCollision(outbound, inbound, { localId: '10.0.0.1', remoteId: '10.0.0.1', localAs: 65002, remoteAs: 65001 }), { dump: 'b', rule: 'higher-as-keeps-its-connection' });
  const dump = step(run(initialState(cfg()), UP.slice(0, 2)).state, { type: 'OpenCollisionDump' });
  assert.deepEqual(sent(dump.actions), ['notification 6/7']);
});

test('decoded messages map to FSM events', () => {
  const ctx = contextWith({ fourOctetAs: true });
  const ev = (m: Parameters<typeof encodeMessage>[0]): string => eventOf(decodeMessage(encodeMessage(m, ctx), ctx)).type;
  assert.equal(ev(peerOpen()), 'BGPOpen');
  assert.equal(ev({ type: 'keepalive' }), 'KeepAliveMsg');
  assert.equal(ev({ type: 'update', withdrawn: [], attributes: {}, nlri: [] }), 'UpdateMsg');
  assert.equal(ev({ type: 'notification', code: 2, subcode: 1, data: new Uint8Array([0, 4]) }), 'NotifMsgVerErr');
  assert.equal(ev({ type: 'notification', code: 6, subcode: 2, data: new Uint8Array() }), 'NotifMsg');
  const bad = encodeMessage({ type: 'keepalive' }, ctx); bad[0] = 1;
  assert.equal(eventOf(decodeMessage(bad, ctx)).type, 'BGPHeaderErr');
});

test('AutomaticStop for max-prefix (RFC 4486): the given NOTIFICATION, Idle for the hold-down exactly, or for good when disabled', () => {
  const cease1 = { type: 'notification' as const, code: 6, subcode: 1, data: new Uint8Array([0, 1, 1, 0, 0, 0, 3]) };
  const h = harness(cfg());
  for (const e of UP) h.runner.dispatch(e);
  h.log.length = 0;
  h.runner.dispatch({ type: 'AutomaticStop', notification: cease1, holdDown: 30 });
  const note = h.log.find((a): a is Extract<FsmAction, { type: 'send' }> => a.type === 'send');
  assert.deepEqual(note?.message, cease1, 'sent as given, data included');
  assert.ok(h.log.some((a) => a.type === 'down' && a.wasEstablished && a.sent === cease1));
  assert.equal(h.runner.state.name, 'Idle');
  assert.equal(h.runner.state.idleHoldTime, 5, 'a fixed hold-down does not grow the flap backoff');
  h.runner.dispatch({ type: 'AutomaticStart' });
  assert.equal(h.runner.state.name, 'Idle', 'no restart while held down');
  h.clock.advance(29_999);
  assert.equal(h.runner.state.name, 'Idle');
  h.clock.advance(1);
  assert.equal(h.runner.state.name, 'Connect', 'restarted when the hold-down is over');

  const d = harness(cfg({ passive: true }));
  for (const e of [{ type: 'ManualStart' }, { type: 'TcpConnectionConfirmed' }, ...UP.slice(2)] as FsmEvent[]) d.runner.dispatch(e);
  assert.equal(d.runner.state.name, 'Established');
  d.runner.dispatch({ type: 'AutomaticStop', notification: cease1, disable: true });
  d.clock.advance(3_600_000);
  assert.deepEqual([d.runner.state.name, d.runner.state.automatic, d.runner.state.timers], ['Idle', false, []], 'disabled: no timer, no restart');
  d.runner.dispatch({ type: 'TcpConnectionConfirmed' });
  assert.equal(d.runner.state.name, 'Idle', 'a connection from the peer is not taken (RFC 4271 §8.2.2: ignored in Idle)');
  d.runner.dispatch({ type: 'ManualStart' });
  assert.equal(d.runner.state.name, 'Active', 'until started again');
});
