// Which etcd member a client talks to. Pure: the caller passes the time.
//
// A client sticks to one member while it works (watches and unary calls on the same member see
// one ordered history and one connection), and moves when a call on it fails the way a dead,
// cut-off or overloaded member fails. The next member is the first one that has not failed
// recently, in the order the endpoints were given; when every member has failed recently, the
// one that failed longest ago — it has had the most time to come back. Nothing is locked out:
// a member that failed is tried again as soon as it is the best choice (etcd3's circuit breaker
// instead refuses every call to a host for 5 s after three failures).

import type { MemberView, MembersReport } from '../ports.js';

/** How long a failure counts against a member when choosing where to go next. */
export const MEMBER_COOLDOWN_MS = 5_000;

export class MemberSet {
  private current = 0;
  private readonly failures = new Map<number, { readonly error: string; readonly at: number }>();
  private readonly oks = new Map<number, number>();

  constructor(readonly endpoints: readonly string[], private readonly cooldownMs = MEMBER_COOLDOWN_MS) {
    if (endpoints.length === 0) throw new Error('MemberSet needs at least one endpoint');
  }

  get inUse(): string { return this.endpoints[this.current]!; }

  /** A call on `endpoint` worked: its failure is forgotten. */
  succeeded(endpoint: string, now: number): void {
    const i = this.endpoints.indexOf(endpoint);
    if (i < 0) return;
    this.failures.delete(i);
    this.oks.set(i, now);
  }

  /**
   * A call on `endpoint` failed as a bad member fails. If it is the member in use, the client
   * moves on; returns the member in use afterwards.
   */
  failed(endpoint: string, error: string, now: number): string {
    const i = this.endpoints.indexOf(endpoint);
    if (i < 0) return this.inUse;
    this.failures.set(i, { error, at: now });
    if (i === this.current) this.current = this.best(now, i);
    return this.inUse;
  }

  /** The members to try within one call, each once: the one in use, then those that have not failed recently, then the rest, longest-failed first. */
  order(now: number): string[] {
    const rest = this.endpoints.map((_, i) => i).filter((i) => i !== this.current);
    const fresh = rest.filter((i) => !this.recent(i, now));
    const stale = rest.filter((i) => this.recent(i, now)).sort((a, b) => this.failures.get(a)!.at - this.failures.get(b)!.at);
    return [this.current, ...fresh, ...stale].map((i) => this.endpoints[i]!);
  }

  report(): MembersReport {
    return {
      inUse: this.inUse,
      members: this.endpoints.map((endpoint, i) => {
        const failure = this.failures.get(i);
        const lastOk = this.oks.get(i);
        return { endpoint, inUse: i === this.current, ...(failure ? { failure } : {}), ...(lastOk !== undefined ? { lastOk } : {}) };
      }),
    };
  }

  private recent(i: number, now: number): boolean {
    const f = this.failures.get(i);
    return f !== undefined && now - f.at < this.cooldownMs;
  }

  /** The member to move to from `from`: the next in order that has not failed recently, else the longest-failed. */
  private best(now: number, from: number): number {
    const n = this.endpoints.length;
    for (let k = 1; k <= n; k++) {
      const i = (from + k) % n;
      if (!this.recent(i, now)) return i;
    }
    let pick = from;
    for (let i = 0; i < n; i++) if (this.failures.get(i)!.at < this.failures.get(pick)!.at) pick = i;
    return pick;
  }
}
