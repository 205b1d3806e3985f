// RFC 4271 §8.2.2, state by state: for each (state, event) the next state and what is sent.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildOpen, wireError } from '../codec/index.js';
import { initialState, peerConfig, step, type FsmEvent, type FsmState, type StateName } from './index.js';

const FAM = [{ afi: 1, safi: 1 }];
const config = peerConfig({ localAs: 64512, localId: '10.0.0.1', peerAs: 64512, open: { families: FAM }, connectDelay: 0 });
const open = buildOpen({ as: 64512, bgpId: '10.0.0.2', holdTime: 90, families: FAM });
const notif = { type: 'notification' as const, code: 6, subcode: 4, data: new Uint8Array() };
const err = (code: number, sub: number) => wireError(code, sub, 'session-reset', 'x');

const E: Record<string, FsmEvent> = {
  ManualStart: { type: 'ManualStart' }, ManualStop: { type: 'ManualStop' }, AutomaticStart: { type: 'AutomaticStart' },
  AutomaticStop: { type: 'AutomaticStop' },
  ConnectRetry: { type: 'ConnectRetryTimerExpires' }, Hold: { type: 'HoldTimerExpires' }, Keepalive: { type: 'KeepaliveTimerExpires' },
  TcpCRAcked: { type: 'TcpCRAcked' }, TcpConfirmed: { type: 'TcpConnectionConfirmed' }, TcpFails: { type: 'TcpConnectionFails' },
  BGPOpen: { type: 'BGPOpen', open }, HeaderErr: { type: 'BGPHeaderErr', error: err(1, 1) }, OpenErr: { type: 'BGPOpenMsgErr', error: err(2, 4) },
  CollisionDump: { type: 'OpenCollisionDump' }, NotifVerErr: { type: 'NotifMsgVerErr', notification: notif }, Notif: { type: 'NotifMsg', notification: notif },
  KeepAliveMsg: { type: 'KeepAliveMsg' }, UpdateMsg: { type: 'UpdateMsg' }, UpdateErr: { type: 'UpdateMsgErr', error: err(3, 1) },
};
const reach: Record<StateName, string[]> = {
  Idle: [], Connect: ['ManualStart'], Active: ['ManualStart'],
  OpenSent: ['ManualStart', 'TcpCRAcked'], OpenConfirm: ['ManualStart', 'TcpCRAcked', 'BGPOpen'], Established: ['ManualStart', 'TcpCRAcked', 'BGPOpen', 'KeepAliveMsg'],
};
function at(name: StateName): FsmState {
  // Active: a start with BIRD's connect delay listens first.
  let s = initialState(name === 'Active' ? { ...config, connectDelay: 2 } : config);
  for (const e of reach[name]) s = step(s, E[e]!).state;
  assert.equal(s.name, name);
  return s;
}

// [state, event, next state, NOTIFICATION sent ('' = none)]
const TABLE: Array<[StateName, string, StateName, string]> = [
  ['Idle', 'ManualStart', 'Connect', ''], ['Idle', 'AutomaticStart', 'Connect', ''], ['Idle', 'ManualStop', 'Idle', ''],
  ['Idle', 'TcpConfirmed', 'Idle', ''], ['Idle', 'BGPOpen', 'Idle', ''], ['Idle', 'Notif', 'Idle', ''],
  ['Connect', 'ManualStart', 'Connect', ''], ['Connect', 'ManualStop', 'Idle', ''], ['Connect', 'ConnectRetry', 'Connect', ''],
  ['Connect', 'TcpCRAcked', 'OpenSent', ''], ['Connect', 'TcpConfirmed', 'OpenSent', ''], ['Connect', 'TcpFails', 'Idle', ''],
  ['Connect', 'HeaderErr', 'Idle', '1/1'], ['Connect', 'OpenErr', 'Idle', '2/4'], ['Connect', 'NotifVerErr', 'Idle', ''],
  ['Connect', 'Hold', 'Idle', ''], ['Connect', 'KeepAliveMsg', 'Idle', ''], ['Connect', 'UpdateMsg', 'Idle', ''], ['Connect', 'BGPOpen', 'Idle', ''],
  ['Active', 'ManualStop', 'Idle', ''], ['Active', 'ConnectRetry', 'Connect', ''], ['Active', 'TcpConfirmed', 'OpenSent', ''],
  ['Active', 'TcpFails', 'Idle', ''], ['Active', 'HeaderErr', 'Idle', '1/1'], ['Active', 'Keepalive', 'Idle', ''], ['Active', 'UpdateMsg', 'Idle', ''],
  ['OpenSent', 'ManualStop', 'Idle', '6/2'], ['OpenSent', 'AutomaticStop', 'Idle', '6/4'], ['OpenSent', 'Hold', 'Idle', '4/0'],
  ['OpenSent', 'TcpConfirmed', 'OpenSent', ''], ['OpenSent', 'TcpFails', 'Active', ''], ['OpenSent', 'BGPOpen', 'OpenConfirm', ''],
  ['OpenSent', 'HeaderErr', 'Idle', '1/1'], ['OpenSent', 'OpenErr', 'Idle', '2/4'], ['OpenSent', 'CollisionDump', 'Idle', '6/7'],
  ['OpenSent', 'NotifVerErr', 'Idle', ''], ['OpenSent', 'ConnectRetry', 'Idle', '5/1'], ['OpenSent', 'Keepalive', 'Idle', '5/1'],
  ['OpenSent', 'KeepAliveMsg', 'Idle', '5/1'], ['OpenSent', 'UpdateMsg', 'Idle', '5/1'], ['OpenSent', 'UpdateErr', 'Idle', '3/1'],
  ['OpenConfirm', 'ManualStop', 'Idle', '6/2'], ['OpenConfirm', 'AutomaticStop', 'Idle', '6/4'], ['OpenConfirm', 'Hold', 'Idle', '4/0'],
  ['OpenConfirm', 'Keepalive', 'OpenConfirm', ''], ['OpenConfirm', 'TcpConfirmed', 'OpenConfirm', ''], ['OpenConfirm', 'TcpFails', 'Idle', ''],
  ['OpenConfirm', 'Notif', 'Idle', ''], ['OpenConfirm', 'NotifVerErr', 'Idle', ''], ['OpenConfirm', 'BGPOpen', 'Idle', '5/2'],
  ['OpenConfirm', 'HeaderErr', 'Idle', '1/1'], ['OpenConfirm', 'CollisionDump', 'Idle', '6/7'], ['OpenConfirm', 'KeepAliveMsg', 'Established', ''],
  ['OpenConfirm', 'UpdateMsg', 'Idle', '5/2'], ['OpenConfirm', 'ConnectRetry', 'Idle', '5/2'],
  ['Established', 'ManualStop', 'Idle', '6/2'], ['Established', 'AutomaticStop', 'Idle', '6/4'], ['Established', 'Hold', 'Idle', '4/0'],
  ['Established', 'Keepalive', 'Established', ''], ['Established', 'TcpConfirmed', 'Established', ''], ['Established', 'CollisionDump', 'Idle', '6/7'],
  ['Established', 'NotifVerErr', 'Idle', ''], ['Established', 'Notif', 'Idle', ''], ['Established', 'TcpFails', 'Idle', ''],
  ['Established', 'KeepAliveMsg', 'Established', ''], ['Established', 'UpdateMsg', 'Established', ''], ['Established', 'UpdateErr', 'Idle', '3/1'],
  ['Established', 'ConnectRetry', 'Idle', '5/3'], ['Established', 'BGPOpen', 'Idle', '5/3'], ['Established', 'OpenErr', 'Idle', '2/4'],
];

test('RFC 4271 §8.2.2 state/event table', () => {
  for (const [from, ev, to, notification] of TABLE) {
    const r = step(at(from), E[ev]!);
    const n = r.actions.flatMap((a) => (a.type === 'send' && a.message.type === 'notification' ? [`${a.message.code}/${a.message.subcode}`] : []));
    assert.equal(r.state.name, to, `${from} + ${ev}`);
    assert.deepEqual(n, notification ? [notification] : [], `${from} + ${ev}: NOTIFICATION`);
    if (to === 'Idle' && from !== 'Idle') {
      assert.ok(r.actions.some((a) => a.type === 'dropConnection'), `${from} + ${ev}: connection dropped`);
      assert.deepEqual(r.state.timers.filter((t) => t !== 'IdleHold'), [], `${from} + ${ev}: timers stopped`);
    }
    const down = r.actions.find((a) => a.type === 'down');
    if (down && down.type === 'down') assert.equal(down.wasEstablished, from === 'Established');
  }
});

test('the ConnectRetryCounter: zeroed by a manual stop, counted on errors', () => {
  const e = at('Established');
  assert.equal(step(e, E.Hold!).state.connectRetryCounter, 1);
  assert.equal(step(e, E.ManualStop!).state.connectRetryCounter, 0);
});
