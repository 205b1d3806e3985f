// Drives the pure FSM on a Clock: timer actions arm and disarm timers whose expiry feeds the
// matching event back; every other action goes to `sink` (the session: socket, RIB, logs).

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

  constructor(config: PeerConfig, private readonly clock: Clock, private readonly sink: (a: FsmAction, state: FsmState) => void) {
    this.s = initialState(config);
  }

  get state(): FsmState { return this.s; }

  dispatch(e: FsmEvent): void {
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
