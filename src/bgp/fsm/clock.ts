// The Clock port: how the session layer reads time and arms timers. The real adapter (setTimeout)
// lives with the session; `FakeClock` is the in-memory one, advanced by hand, so timer tests take
// 0 ms of real time.

export interface TimerHandle { readonly id: number }

export interface Clock {
  /** Milliseconds since an arbitrary origin. */
  now(): number;
  setTimer(ms: number, fire: () => void): TimerHandle;
  clearTimer(handle: TimerHandle): void;
}

export class FakeClock implements Clock {
  private t = 0;
  private seq = 0;
  private readonly pending = new Map<number, { at: number; fire: () => void }>();

  now(): number { return this.t; }

  setTimer(ms: number, fire: () => void): TimerHandle {
    const id = ++this.seq;
    this.pending.set(id, { at: this.t + ms, fire });
    return { id };
  }

  clearTimer(h: TimerHandle): void { this.pending.delete(h.id); }

  /** Moves time forward, firing due timers in order (timers they arm fire too if due). */
  advance(ms: number): void {
    const until = this.t + ms;
    for (;;) {
      let next: [number, { at: number; fire: () => void }] | undefined;
      for (const entry of this.pending) if (entry[1].at <= until && (!next || entry[1].at < next[1].at || (entry[1].at === next[1].at && entry[0] < next[0]))) next = entry;
      if (!next) break;
      this.pending.delete(next[0]);
      this.t = next[1].at;
      next[1].fire();
    }
    this.t = until;
  }

  get armed(): number { return this.pending.size; }
}
