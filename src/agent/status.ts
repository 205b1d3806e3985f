// What the agent reports about itself (its status key, read by `tortie node status`): the
// shape, and the parts computed from the datastore client's view of its link.

import type { SyncStatus } from '../datastore/syncer/index.js';
import type { MembersReport } from '../datastore/ports.js';
import type { AgentBgpStatus } from './bgp.js';

export interface AgentStatus {
  readonly state: 'starting' | 'syncing' | 'ready' | 'degraded';
  readonly datastore: SyncStatus | 'unreachable';
  readonly since: string;
  readonly lastApply?: string;
  readonly lastError?: string;
  readonly endpoints: number;
  readonly routes: number;
  readonly policies: number;
  readonly problems: readonly string[];
  readonly version: string;
  /** Peers, their sessions and prefix counts (`tortie node status`), with `--bgp`. */
  readonly bgp?: AgentBgpStatus;
  /**
   * A clustered datastore (etcd): the member in use, those whose last call failed (`at`: ISO
   * time), and the last minute's calls (durations, failed attempts and calls).
   */
  readonly datastoreMembers?: {
    readonly inUse: string;
    readonly failed: ReadonlyArray<{ readonly endpoint: string; readonly error: string; readonly at: string }>;
    readonly calls?: NonNullable<MembersReport['calls']>;
  };
}

/** The members report without its success times, which change on every call (the status is rewritten only when it changes). */
export function membersStatus(r: MembersReport): NonNullable<AgentStatus['datastoreMembers']> {
  return {
    inUse: r.inUse,
    failed: r.members.flatMap((m) => (m.failure ? [{ endpoint: m.endpoint, error: m.failure.error, at: new Date(m.failure.at).toISOString() }] : [])),
    ...(r.calls ? { calls: r.calls } : {}),
  };
}

/** A datastore call's 99th percentile above this, over the last minute, is reported as a problem. */
export const SLOW_DATASTORE_P99_MS = 1000;

/** What is wrong with the datastore link, in words, from the last minute of calls. */
export function datastoreProblems(r: MembersReport | undefined): string[] {
  const c = r?.calls;
  if (!c) return [];
  const out: string[] = [];
  if (c.failedCalls > 0) out.push(`${c.failedCalls} datastore call(s) failed in the last minute (${c.failedAttempts} failed attempt(s) in all)`);
  if (c.p99Ms > SLOW_DATASTORE_P99_MS) out.push(`the datastore is slow: 99% of calls in the last minute took up to ${c.p99Ms} ms (median ${c.p50Ms} ms)`);
  return out;
}
