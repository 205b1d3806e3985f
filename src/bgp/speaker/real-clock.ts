// The Clock port on real time (the FSM's tests use FakeClock). Timers are unref'd: a speaker
// never keeps a process alive on its own — the agent's loop does.

import type { Clock, TimerHandle } from '../fsm/index.js';

export class RealClock implements Clock {
  private seq = 0;
  private readonly timers = new Map<number, NodeJS.Timeout>();

  now(): number { return performance.now(); }

  setTimer(ms: number, fire: () => void): TimerHandle {
    const id = ++this.seq;
    const t = setTimeout(() => { this.timers.delete(id); fire(); }, ms);
    t.unref();
    this.timers.set(id, t);
    return { id };
  }

  clearTimer(h: TimerHandle): void {
    const t = this.timers.get(h.id);
    if (t) { clearTimeout(t); this.timers.delete(h.id); }
  }
}
