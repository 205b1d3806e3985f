// How the calls to etcd have fared lately: durations (over all attempts of a call) and failed
// attempts, over a sliding window. Pure: the caller passes the time. `tortie node status` shows it,
// so a slow or lossy datastore link is visible before it is an outage.

/** What the last minute of calls looked like. */
export interface CallHealth {
  /** Calls that ended (well or not) in the window. */
  readonly calls: number;
  /** Median and 99th percentile of their durations, in milliseconds (0 without calls). */
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Attempts that failed (the call went on to another member or round), in the window. */
  readonly failedAttempts: number;
  /** Calls that failed in the end, in the window. */
  readonly failedCalls: number;
}

export const CALL_WINDOW_MS = 60_000;
const MAX_SAMPLES = 2048;

export class CallStats {
  private readonly calls: Array<{ at: number; ms: number; ok: boolean }> = [];
  private readonly retries: number[] = [];

  constructor(private readonly windowMs = CALL_WINDOW_MS) {}

  call(at: number, ms: number, ok: boolean): void {
    this.calls.push({ at, ms, ok });
    if (this.calls.length > MAX_SAMPLES) this.calls.splice(0, this.calls.length - MAX_SAMPLES);
  }

  attemptFailed(at: number): void {
    this.retries.push(at);
    if (this.retries.length > MAX_SAMPLES) this.retries.splice(0, this.retries.length - MAX_SAMPLES);
  }

  health(now: number): CallHealth {
    const from = now - this.windowMs;
    const recent = this.calls.filter((c) => c.at >= from);
    const ms = recent.map((c) => c.ms).sort((a, b) => a - b);
    const pick = (q: number): number => (ms.length === 0 ? 0 : ms[Math.min(ms.length - 1, Math.ceil(q * ms.length) - 1)]!);
    return {
      calls: recent.length, p50Ms: Math.round(pick(0.5)), p99Ms: Math.round(pick(0.99)),
      failedAttempts: this.retries.filter((t) => t >= from).length,
      failedCalls: recent.filter((c) => !c.ok).length,
    };
  }
}
