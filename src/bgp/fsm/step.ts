// RFC 4271 §8.2.2 as a pure function: step(state, event) → {state, actions}. The session layer
// performs the actions (socket, timers on its Clock) and feeds events back.
//
//   Idle ──start──▶ Connect ──TCP up──▶ OpenSent ──OPEN──▶ OpenConfirm ──KEEPALIVE──▶ Established
//     ▲              │  ▲ retry            │                    │                        │
//     │              ▼  │                  │                    │                        │
//     │            Active ◀─TCP fails──────┘                    │                        │
//     └──────────── any error: NOTIFICATION, drop, IdleHold (backoff) then AutomaticStart ┘

import { cease, CEASE_SUB, ERR, FSM_SUB, notificationOf, type Message, type NotificationMessage } from '../codec/index.js';
import { checkOpen, localOpenOf } from './check-open.js';
import type { AutomaticStopEvent, FsmAction, FsmEvent, FsmState, StateName, StepResult, TimerName } from './types.js';

/** RFC 4271 §8.2.2: "a large value" for the hold timer until OPENs are exchanged (4 minutes suggested). */
export const OPEN_HOLD_TIME = 240;

class Tx {
  readonly actions: FsmAction[] = [];
  state: FsmState;
  constructor(s: FsmState) { this.state = s; }
  set(patch: Partial<FsmState>): void { this.state = { ...this.state, ...patch }; }
  running(t: TimerName): boolean { return this.state.timers.includes(t); }
  start(t: TimerName, seconds: number): void {
    this.actions.push({ type: 'startTimer', timer: t, seconds });
    if (!this.running(t)) this.set({ timers: [...this.state.timers, t].sort() });
  }
  stop(t: TimerName): void {
    if (!this.running(t)) return;
    this.actions.push({ type: 'stopTimer', timer: t });
    this.set({ timers: this.state.timers.filter((x) => x !== t) });
  }
  send(m: Message): void { this.actions.push({ type: 'send', message: m }); }
  goto(name: StateName): void { this.set({ name }); }
}

interface IdleOptions {
  readonly counter: 'zero' | 'inc' | 'keep';
  /** Count this as a flap for DampPeerOscillations (grows the next idle hold). */
  readonly damp: boolean;
  readonly reason: string;
  readonly sent?: NotificationMessage;
  readonly received?: NotificationMessage;
  /** Seconds before the automatic restart, instead of the backoff (a plain connect failure). */
  readonly restartAfter?: number;
}

function toIdle(tx: Tx, o: IdleOptions): void {
  const s = tx.state;
  const wasEstablished = s.name === 'Established';
  if (o.sent) tx.send(o.sent);
  for (const t of [...s.timers]) if (t !== 'IdleHold') tx.stop(t);
  tx.actions.push({ type: 'dropConnection' });
  tx.actions.push({
    type: 'down', reason: o.reason, wasEstablished,
    ...(o.sent ? { sent: o.sent } : {}), ...(o.received ? { received: o.received } : {}),
  });
  const counter = o.counter === 'zero' ? 0 : o.counter === 'inc' ? s.connectRetryCounter + 1 : s.connectRetryCounter;
  tx.set({ name: 'Idle', connectRetryCounter: counter, peerOpen: undefined, negotiated: undefined });
  if (tx.state.automatic) {
    tx.start('IdleHold', o.restartAfter ?? s.idleHoldTime);
    if (o.damp && s.config.dampPeerOscillations && o.restartAfter === undefined) {
      tx.set({ idleHoldTime: Math.min(s.idleHoldTime * 2, s.config.errorWait[1]) });
    }
  }
}

/**
 * Event 8 (RFC 4271 §8.2.2): Cease (or the event's own NOTIFICATION) when connected, Idle, the
 * counter up; then the event's hold-down, or none (disable), or the DampPeerOscillations backoff.
 */
function automaticStop(tx: Tx, e: AutomaticStopEvent, connected: boolean): void {
  if (e.disable) tx.set({ automatic: false });
  toIdle(tx, {
    counter: 'inc', damp: true, reason: e.text ?? 'Stopped automatically',
    ...(connected ? { sent: e.notification ?? cease(e.subcode ?? CEASE_SUB.ADMIN_RESET, e.text) } : {}),
    ...(e.holdDown !== undefined ? { restartAfter: e.holdDown } : {}),
  });
}

/** ManualStart / AutomaticStart (RFC 4271 events 1, 3, 4, 5), BIRD's connect delay and passive mode. */
function start(tx: Tx): void {
  const c = tx.state.config;
  tx.stop('IdleHold');
  tx.set({ automatic: true, connectRetryCounter: 0 });
  if (c.passive) { tx.goto('Active'); return; }
  if (c.connectDelay > 0) { tx.start('ConnectRetry', c.connectDelay); tx.goto('Active'); return; }
  tx.start('ConnectRetry', c.connectRetry);
  tx.actions.push({ type: 'connect' });
  tx.goto('Connect');
}

/** TCP is up: send OPEN now, or wait DelayOpen seconds for the peer's. */
function tcpUp(tx: Tx): void {
  const c = tx.state.config;
  tx.stop('ConnectRetry');
  if (c.delayOpen > 0) { tx.start('DelayOpen', c.delayOpen); return; }
  tx.send(localOpenOf(c));
  tx.start('Hold', OPEN_HOLD_TIME);
  tx.goto('OpenSent');
}

/** A valid-looking OPEN arrived (in OpenSent, or while DelayOpen runs): check it and negotiate. */
function openReceived(tx: Tx, e: Extract<FsmEvent, { type: 'BGPOpen' }>, sendOwnOpen: boolean): void {
  const v = checkOpen(tx.state.config, e.open);
  if (!v.ok) { toIdle(tx, { counter: 'inc', damp: true, reason: v.reason, sent: v.notification }); return; }
  tx.stop('ConnectRetry');
  tx.stop('DelayOpen');
  if (sendOwnOpen) tx.send(localOpenOf(tx.state.config));
  tx.send({ type: 'keepalive' });
  const n = v.negotiated;
  if (n.holdTime > 0) { tx.start('Keepalive', n.keepalive); tx.start('Hold', n.holdTime); } else { tx.stop('Hold'); tx.stop('Keepalive'); }
  tx.set({ peerOpen: e.open, negotiated: n });
  tx.goto('OpenConfirm');
}

const fsmError = (state: StateName): NotificationMessage => notificationOf({
  kind: 'wire-error', code: ERR.FSM, rank: 'session-reset', reason: '', data: new Uint8Array(0),
  subcode: state === 'OpenSent' ? FSM_SUB.OPEN_SENT : state === 'OpenConfirm' ? FSM_SUB.OPEN_CONFIRM : state === 'Established' ? FSM_SUB.ESTABLISHED : FSM_SUB.UNSPECIFIED,
});
const holdExpired: NotificationMessage = { type: 'notification', code: ERR.HOLD_TIMER_EXPIRED, subcode: 0, data: new Uint8Array(0) };

export function step(s: FsmState, e: FsmEvent): StepResult {
  const tx = new Tx(s);
  // BIRD's `error forget time`: a session that stayed up long enough forgets its earlier errors.
  if (e.type === 'ErrorForgetTimerExpires') {
    tx.set({ idleHoldTime: s.config.errorWait[0], timers: s.timers.filter((t) => t !== 'ErrorForget') });
    return { state: tx.state, actions: tx.actions };
  }
  if (e.type === 'ManualStop' && s.name !== 'Idle') {
    tx.set({ automatic: false });
    const connected = s.name === 'OpenSent' || s.name === 'OpenConfirm' || s.name === 'Established' || (s.timers.includes('DelayOpen'));
    toIdle(tx, { counter: 'zero', damp: false, reason: 'Stopped by the administrator', ...(connected ? { sent: cease(CEASE_SUB.ADMIN_SHUTDOWN, e.text) } : {}) });
    return { state: tx.state, actions: tx.actions };
  }
  switch (s.name) {
    case 'Idle': idle(tx, e); break;
    case 'Connect': case 'Active': connecting(tx, e); break;
    case 'OpenSent': openSent(tx, e); break;
    case 'OpenConfirm': openConfirm(tx, e); break;
    case 'Established': established(tx, e); break;
  }
  return { state: tx.state, actions: tx.actions };
}

function idle(tx: Tx, e: FsmEvent): void {
  switch (e.type) {
    case 'ManualStart': start(tx); break;
    // While the idle hold runs (DampPeerOscillations) an automatic start waits for it.
    case 'AutomaticStart': if (!tx.running('IdleHold')) start(tx); break;
    case 'IdleHoldTimerExpires': tx.set({ timers: tx.state.timers.filter((t) => t !== 'IdleHold') }); if (tx.state.automatic) start(tx); break;
    case 'ManualStop': tx.stop('IdleHold'); tx.set({ automatic: false, connectRetryCounter: 0 }); break;
    default: break; // RFC 4271 §8.2.2: other events in Idle are ignored.
  }
}

/** Connect and Active differ only in a few events (RFC 4271 §8.2.2). */
function connecting(tx: Tx, e: FsmEvent): void {
  const s = tx.state, c = s.config;
  const inConnect = s.name === 'Connect';
  switch (e.type) {
    case 'ManualStart': case 'AutomaticStart': break; // ignored
    case 'ConnectRetryTimerExpires':
      if (c.passive) break;
      if (inConnect) tx.actions.push({ type: 'dropConnection' });
      tx.stop('DelayOpen');
      tx.start('ConnectRetry', c.connectRetry);
      tx.actions.push({ type: 'connect' });
      tx.goto('Connect');
      break;
    case 'DelayOpenTimerExpires':
      tx.stop('ConnectRetry');
      tx.set({ timers: tx.state.timers.filter((t) => t !== 'DelayOpen') });
      tx.send(localOpenOf(c));
      tx.start('Hold', OPEN_HOLD_TIME);
      tx.goto('OpenSent');
      break;
    case 'TcpCRAcked': case 'TcpConnectionConfirmed': tcpUp(tx); break;
    case 'TcpConnectionFails':
      if (tx.running('DelayOpen')) {
        tx.stop('DelayOpen');
        if (!c.passive) tx.start('ConnectRetry', c.connectRetry);
        tx.goto('Active');
      } else if (inConnect) {
        toIdle(tx, { counter: 'keep', damp: false, reason: 'The TCP connection failed', restartAfter: c.connectRetry });
      } else {
        toIdle(tx, { counter: 'inc', damp: true, reason: 'The TCP connection failed' });
      }
      break;
    case 'BGPOpen':
      if (tx.running('DelayOpen')) { openReceived(tx, e, true); break; }
      toIdle(tx, { counter: 'inc', damp: true, reason: `Unexpected ${e.type} in ${s.name}` });
      break;
    case 'BGPHeaderErr': case 'BGPOpenMsgErr':
      toIdle(tx, { counter: 'inc', damp: true, reason: e.error.reason, sent: notificationOf(e.error) });
      break;
    case 'NotifMsgVerErr':
      toIdle(tx, { counter: tx.running('DelayOpen') ? 'keep' : 'inc', damp: !tx.running('DelayOpen'), reason: 'The peer does not support BGP version 4', received: e.notification });
      break;
    case 'AutomaticStop': automaticStop(tx, e, tx.running('DelayOpen')); break;
    default:
      toIdle(tx, { counter: 'inc', damp: true, reason: `Unexpected ${e.type} in ${s.name}`, ...(e.type === 'NotifMsg' ? { received: e.notification } : {}) });
  }
}

/** Events every connected state handles alike. Returns false when the event is not one of them. */
function connectedCommon(tx: Tx, e: FsmEvent): boolean {
  switch (e.type) {
    case 'ManualStart': case 'AutomaticStart': case 'TcpCRAcked': case 'TcpConnectionConfirmed':
      return true; // ignored here; a second connection is the session layer's collision case (§6.8)
    case 'AutomaticStop': automaticStop(tx, e, true); return true;
    case 'HoldTimerExpires':
      toIdle(tx, { counter: 'inc', damp: true, reason: 'The hold timer expired', sent: holdExpired });
      return true;
    case 'BGPHeaderErr': case 'BGPOpenMsgErr': case 'UpdateMsgErr':
      toIdle(tx, { counter: 'inc', damp: true, reason: e.error.reason, sent: notificationOf(e.error) });
      return true;
    case 'OpenCollisionDump':
      toIdle(tx, { counter: 'inc', damp: true, reason: 'Connection collision: this connection lost (RFC 4271 §6.8)', sent: cease(CEASE_SUB.COLLISION_RESOLUTION) });
      return true;
    case 'NotifMsgVerErr':
      toIdle(tx, { counter: 'keep', damp: false, reason: 'The peer does not support BGP version 4', received: e.notification });
      return true;
    case 'NotifMsg':
      // NOTIFICATIONs are not answered with NOTIFICATIONs.
      toIdle(tx, { counter: 'inc', damp: true, reason: 'The peer sent a NOTIFICATION', received: e.notification });
      return true;
    default:
      return false;
  }
}

function openSent(tx: Tx, e: FsmEvent): void {
  if (connectedCommon(tx, e)) return;
  const c = tx.state.config;
  switch (e.type) {
    case 'TcpConnectionFails':
      // RFC 4271: close, restart ConnectRetryTimer, keep listening, go to Active.
      tx.actions.push({ type: 'dropConnection' });
      tx.stop('Hold');
      if (!c.passive) tx.start('ConnectRetry', c.connectRetry);
      tx.goto('Active');
      break;
    case 'BGPOpen': openReceived(tx, e, false); break;
    default:
      toIdle(tx, { counter: 'inc', damp: true, reason: `Unexpected ${e.type} in OpenSent`, sent: fsmError('OpenSent') });
  }
}

function openConfirm(tx: Tx, e: FsmEvent): void {
  if (connectedCommon(tx, e)) return;
  const s = tx.state;
  switch (e.type) {
    case 'KeepaliveTimerExpires':
      tx.send({ type: 'keepalive' });
      tx.start('Keepalive', s.negotiated!.keepalive);
      break;
    case 'TcpConnectionFails':
      toIdle(tx, { counter: 'inc', damp: true, reason: 'The TCP connection failed' });
      break;
    case 'KeepAliveMsg': {
      const n = s.negotiated!;
      if (n.holdTime > 0) tx.start('Hold', n.holdTime);
      tx.start('ErrorForget', s.config.errorForget);
      tx.goto('Established');
      tx.actions.push({ type: 'established', negotiated: n, peerOpen: s.peerOpen! });
      break;
    }
    default:
      toIdle(tx, { counter: 'inc', damp: true, reason: `Unexpected ${e.type} in OpenConfirm`, sent: fsmError('OpenConfirm') });
  }
}

function established(tx: Tx, e: FsmEvent): void {
  if (connectedCommon(tx, e)) return;
  const s = tx.state;
  const n = s.negotiated!;
  switch (e.type) {
    case 'KeepaliveTimerExpires':
      tx.send({ type: 'keepalive' });
      tx.start('Keepalive', n.keepalive);
      break;
    case 'KeepAliveMsg': case 'UpdateMsg':
      if (n.holdTime > 0) tx.start('Hold', n.holdTime);
      break;
    case 'TcpConnectionFails':
      toIdle(tx, { counter: 'inc', damp: true, reason: 'The TCP connection failed' });
      break;
    default:
      toIdle(tx, { counter: 'inc', damp: true, reason: `Unexpected ${e.type} in Established`, sent: fsmError('Established') });
  }
}
