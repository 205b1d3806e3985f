// Drives the pure FSM (step) for one peer on a Clock: timer actions arm and disarm timers whose
// expiry feeds the matching event back; every other action goes to `sink` (the session: socket,
// RIB, logs). Events raised while an earlier one is handled are queued, never nested. For the
// session layer: `restart(state)` carries on from a given state on a new connection (collision
// resolution, RFC 4271 §6.8), `setConfig` changes what later steps use, `dispose()` disarms all.

import type { Clock, TimerHandle } from './clock.js';
import { initialState } from './config.js';
import { step } from './step.js';
import type { FsmAction, FsmEvent, FsmState, PeerConfig, TimerName } from './types.js';

const EXPIRY: Readonly<Record<TimerName, FsmEvent['type']>> = {
  ConnectRetry: 'ConnectRetryTimerExpires', Hold: 'HoldTimerExpires', Keepalive: 'KeepaliveTimerExpires',
  DelayOpen: 'DelayOpenTimerExpires', IdleHold: 'IdleHoldTimerExpires', ErrorForget: 'ErrorForgetTimerExpires',
};

export class FsmRunner {
  private s: FsmState;
  private readonly armed = new Map<TimerName, TimerHandle>();
  private busy = false;
  private readonly queue: FsmEvent[] = [];

  constructor(config: PeerConfig, private readonly clock: Clock, private readonly sink: (a: FsmAction, state: FsmState) => void) {
    this.s = initialState(config);
  }

  get state(): FsmState { return this.s; }

  /** Events raised while an earlier one is being handled (by its actions) are queued, never nested. */
  dispatch(e: FsmEvent): void {
    this.queue.push(e);
    if (this.busy) return;
    this.busy = true;
    try {
      for (let next = this.queue.shift(); next; next = this.queue.shift()) this.run(next);
    } finally {
      this.busy = false;
    }
  }

  /** Disarms every timer and continues from `state` (its timers are not re-armed). */
  restart(state: FsmState): void {
    this.dispose();
    this.s = { ...state, timers: [] };
  }

  /** Later steps use `config` (e.g. our next OPEN); the running state and timers stay. */
  setConfig(config: PeerConfig): void {
    this.s = { ...this.s, config };
  }

  dispose(): void {
    for (const h of this.armed.values()) this.clock.clearTimer(h);
    this.armed.clear();
    this.queue.length = 0;
  }

  private run(e: FsmEvent): void {
    const { state, actions } = step(this.s, e);
    this.s = state;
    for (const a of actions) {
      if (a.type === 'startTimer') {
        const old = this.armed.get(a.timer);
        if (old) this.clock.clearTimer(old);
        this.armed.set(a.timer, this.clock.setTimer(a.seconds * 1000, () => {
          this.armed.delete(a.timer);
          this.dispatch({ type: EXPIRY[a.timer] } as FsmEvent);
        }));
      } else if (a.type === 'stopTimer') {
        const h = this.armed.get(a.timer);
        if (h) { this.clock.clearTimer(h); this.armed.delete(a.timer); }
      } else {
        this.sink(a, this.s);
      }
    }
  }
}
