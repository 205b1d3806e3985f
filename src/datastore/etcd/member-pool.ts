// One etcd3 client per member of the cluster, and the retry loop every unary call goes through.
//
//   call ──▶ member in use ──fails as a member fails──▶ next member (MemberSet.order) ──▶ …
//              │ works: done                                  after a full round: back off
//              │                                              (100 ms doubling to 1 s) and go
//              ▼                                              round again, until the deadline
//   fatal / NOSPACE: stop at once                              or, when no member even took the
//                                                              connection twice over, at once
//                                                              (unless waitForMembers: services)
//
// etcd3's own pool picks a random host per call and, with its fault handling switched off (its
// circuit breaker would refuse all calls for 5 s after three failures), never moves to another:
// so each member gets a client of its own with one host, and the moving is done here, where the
// member in use and the ones that failed can be reported.
//
// A call that failed on a member that had the request ("member" failures: it died, lost its
// leader, timed out) may have been applied. The callback learns that an earlier attempt was
// ambiguous, so a compare-and-swap retried after one can tell "someone else wrote" from "we did".

import type { Etcd3, IOptions } from 'etcd3';
import { setTimeout as sleep } from 'node:timers/promises';
import { TortieError } from '../../lib/errors.js';
import { CallStats, type CallHealth } from './call-stats.js';
import { classifyFailure, shortFailure, type FailureKind } from './classify.js';
import type { MembersReport } from '../ports.js';
import { MemberSet } from './members.js';

export interface EtcdTls {
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
}

export interface MemberPoolOptions {
  readonly endpoints: readonly string[];
  readonly tls?: EtcdTls;
  /** Deadline of one attempt on one member. Default 4000 ms. */
  readonly attemptTimeoutMs?: number;
  /** Deadline of a whole call, over every attempt. Default 12000 ms. */
  readonly requestTimeoutMs?: number;
  /**
   * When no member takes connections at all: keep trying until the deadline (a service — the
   * agent, a CNI plugin — rides out an etcd restart) instead of failing after two rounds (a
   * person at the CLI wants the answer now). Default false.
   */
  readonly waitForMembers?: boolean;
  /** Epoch milliseconds (tests pass their own). */
  readonly now?: () => number;
}

export interface Attempt {
  readonly client: Etcd3;
  readonly endpoint: string;
  /** gRPC deadline (epoch ms) for this attempt. */
  readonly deadline: number;
  /** An earlier attempt of this call failed after a member had the request: it may have been applied. */
  readonly afterAmbiguous: boolean;
}

interface Tried { readonly endpoint: string; readonly kind: FailureKind; readonly error: string }

export class MemberPool {
  readonly members: MemberSet;
  private readonly clients = new Map<string, Etcd3>();
  private readonly attemptMs: number;
  private readonly requestMs: number;
  readonly now: () => number;
  private readonly stats = new CallStats();
  private closed = false;

  private constructor(
    private readonly etcd: typeof import('etcd3'),
    private readonly noop: typeof import('cockatiel')['noop'],
    private readonly options: MemberPoolOptions,
  ) {
    this.members = new MemberSet(options.endpoints);
    this.attemptMs = options.attemptTimeoutMs ?? 4000;
    this.requestMs = options.requestTimeoutMs ?? 12_000;
    this.now = options.now ?? Date.now;
  }

  /** Loads `etcd3` lazily (it costs ~200 ms to import); connects on first use. */
  static async open(options: MemberPoolOptions): Promise<MemberPool> {
    const [etcd, { noop }] = await Promise.all([import('etcd3'), import('cockatiel')]);
    return new MemberPool(etcd, noop, options);
  }

  get description(): string { return `etcd at ${this.options.endpoints.join(',')}`; }

  /** The client for one member, made on first use. */
  client(endpoint: string): Etcd3 {
    let c = this.clients.get(endpoint);
    if (c) return c;
    const opts: IOptions = {
      hosts: [endpoint],
      dialTimeout: this.attemptMs,
      // No circuit breaker, no retries inside etcd3: both are done here, across members.
      faultHandling: { host: () => this.noop, global: this.noop, watchBackoff: onceASecond },
      grpcOptions: {
        // A member that hangs (stopped) keeps its TCP connection: keepalive pings find it. etcd
        // refuses pings more often than every 5 s (--grpc-keepalive-min-time).
        'grpc.keepalive_time_ms': 10_000, 'grpc.keepalive_timeout_ms': 5_000,
        // etcd's "require leader" metadata (clientv3.WithRequireLeader): a member cut off from
        // the quorum fails calls at once with "no leader" instead of letting them time out, and
        // ends watch streams when it loses its leader — without it, a watch on such a member
        // stays open and silent while the rest of the cluster moves on.
        callInvocationTransformer: requireLeader,
      } as NonNullable<IOptions['grpcOptions']>,
    };
    if (this.options.tls?.ca) {
      opts.credentials = {
        rootCertificate: this.options.tls.ca,
        ...(this.options.tls.key ? { privateKey: this.options.tls.key } : {}),
        ...(this.options.tls.cert ? { certChain: this.options.tls.cert } : {}),
      };
    }
    c = new this.etcd.Etcd3(opts);
    this.clients.set(endpoint, c);
    return c;
  }

  /** A watch or another stream on `endpoint` failed as a member fails: move away from it. */
  failed(endpoint: string, e: unknown): void {
    this.members.failed(endpoint, shortFailure(e), this.now());
  }

  succeeded(endpoint: string): void {
    this.members.succeeded(endpoint, this.now());
  }

  report(): MembersReport { return { ...this.members.report(), calls: this.health() }; }

  /** Durations and failures of the last minute's calls. */
  health(): CallHealth { return this.stats.health(this.now()); }

  /**
   * Runs `fn` on the member in use, moving on as long as members fail as members fail, within
   * the request deadline. `what` completes "Cannot … etcd" in the error ("read from", "write to");
   * `writes`: the call changes data (its error then says when it may have been applied).
   */
  async call<T>(what: string, fn: (a: Attempt) => Promise<T>, writes = false): Promise<T> {
    const started = this.now();
    try {
      const r = await this.attempts(what, fn, writes, started + this.requestMs);
      this.stats.call(this.now(), this.now() - started, true);
      return r;
    } catch (e) {
      this.stats.call(this.now(), this.now() - started, false);
      throw e;
    }
  }

  private async attempts<T>(what: string, fn: (a: Attempt) => Promise<T>, writes: boolean, deadline: number): Promise<T> {
    const tried: Tried[] = [];
    let ambiguous = false;
    let refusedRounds = 0;
    for (let round = 0; ; round++) {
      const thisRound: Tried[] = [];
      for (const endpoint of this.members.order(this.now())) {
        if (this.closed) throw new TortieError('TORTIE_ERR_DATASTORE_UNAVAILABLE', `Cannot ${what} ${this.description}: the client is closed`);
        if (this.now() >= deadline) break;
        try {
          const r = await fn({ client: this.client(endpoint), endpoint, deadline: Math.min(deadline, this.now() + this.attemptMs), afterAmbiguous: ambiguous });
          this.members.succeeded(endpoint, this.now());
          return r;
        } catch (e) {
          const kind = classifyFailure(e);
          if (kind === 'fatal') throw e;
          if (kind === 'full') {
            throw new TortieError('TORTIE_ERR_DATASTORE_FULL',
              `Cannot ${what} ${this.description}: etcd is out of space (${shortFailure(e)}); free space, compact and defragment, then disarm the NOSPACE alarm (etcdctl alarm disarm)`,
              { endpoint }, { cause: e });
          }
          if (kind === 'member') ambiguous = true;
          this.stats.attemptFailed(this.now());
          this.members.failed(endpoint, shortFailure(e), this.now());
          const t = { endpoint, kind, error: shortFailure(e) };
          tried.push(t);
          thisRound.push(t);
        }
      }
      // No member took the connection, twice over: nothing is listening anywhere; waiting out
      // the deadline would only delay the answer.
      refusedRounds = thisRound.length > 0 && thisRound.every((t) => t.kind === 'unsent') ? refusedRounds + 1 : 0;
      const left = deadline - this.now();
      if ((refusedRounds >= 2 && !this.options.waitForMembers) || left <= 0) throw this.unavailable(what, tried, ambiguous && writes);
      await sleep(Math.min(left, 1000, 100 * 2 ** round));
    }
  }

  private unavailable(what: string, tried: readonly Tried[], maybeApplied: boolean): TortieError {
    // The last word of each member, in the order the endpoints were given.
    const last = new Map<string, Tried>();
    for (const t of tried) last.set(t.endpoint, t);
    const parts = this.options.endpoints.map((ep) => `${ep}: ${last.get(ep)?.error ?? 'not tried before the deadline'}`);
    return new TortieError('TORTIE_ERR_DATASTORE_UNAVAILABLE',
      `Cannot ${what} ${this.description}: no member answered (${parts.join('; ')})${maybeApplied ? '; the write may or may not have been applied' : ''}`,
      { members: Object.fromEntries([...last].map(([ep, t]) => [ep, t.error])) });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }
}

/** gRPC's per-call hook (grpc-js ClientOptions.callInvocationTransformer): adds `hasleader: true`. */
function requireLeader<T extends { metadata: { set(key: string, value: string): void } }>(call: T): T {
  call.metadata.set('hasleader', 'true');
  return call;
}

/**
 * etcd3 retries a broken watch stream on the same member after this backoff (a timer that is
 * not unref'd: it must stay short, or it holds a finished process open). The store cancels the
 * watcher in the same tick as the break and moves it to another member, so the retry finds no
 * watcher left to serve and does nothing.
 */
const onceASecond = { duration: 1000, next(): typeof onceASecond { return onceASecond; } } as unknown as NonNullable<IOptions['faultHandling']>['watchBackoff'];
