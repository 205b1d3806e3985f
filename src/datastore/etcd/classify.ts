// What an etcd call's failure means for the next step. Pure: reads the error's text only —
// etcd3 turns gRPC errors into its own classes and keeps the code only in the message
// ("14 UNAVAILABLE: …"), and etcd's own errors are known by their text ("etcdserver: no leader").
//
//   unsent  the request never reached a member (nothing listens, no connection could be made):
//           any call may go to another member as it is
//   member  the member failed while it had the request — it died, lost its leader, timed out,
//           was overloaded: move to another member; a write may or may not have been applied
//   full    etcd is out of space (NOSPACE alarm): every member says the same, so stop
//   fatal   the request itself was refused (a bug, a permission): stop

export type FailureKind = 'unsent' | 'member' | 'full' | 'fatal';

const UNSENT = [
  /No connection established/i, /ECONNREFUSED/, /ENOENT/, /EHOSTUNREACH/, /ENETUNREACH/,
  /Failed to connect/i, /DNS resolution failed/i, /getaddrinfo/i, /Name resolution failed/i,
];
const FULL = [/database space exceeded/i, /NOSPACE/, /no space left on device/i];
/** gRPC codes that mean the member, not the request, is at fault. */
const MEMBER_CODES = new Set([1 /* CANCELLED */, 2 /* UNKNOWN */, 4 /* DEADLINE_EXCEEDED */, 10 /* ABORTED */, 13 /* INTERNAL */, 14 /* UNAVAILABLE */]);
/** Class names etcd3 gives those failures when the message carries no code. */
const MEMBER_CLASSES = new Set(['GRPCCancelledError', 'GRPCUnknownError', 'GRPCDeadlineExceededError', 'GRPCAbortedError', 'GRPCInternalError', 'GRPCUnavailableError', 'EtcdWatchStreamEnded']);

export function classifyFailure(e: unknown): FailureKind {
  const msg = e instanceof Error ? e.message : String(e);
  if (FULL.some((r) => r.test(msg))) return 'full';
  if (UNSENT.some((r) => r.test(msg))) return 'unsent';
  const code = /^(\d+) [A-Z_]+:/.exec(msg);
  if (code) return MEMBER_CODES.has(Number(code[1])) ? 'member' : 'fatal';
  if (e instanceof Error && MEMBER_CLASSES.has(e.constructor.name)) return 'member';
  // etcd's own errors without a gRPC code, and a deadline passed before the call went out.
  if (/etcdserver: (no leader|leader changed|request timed out|too many requests|server stopped)|Deadline exceeded|deadline/i.test(msg)) return 'member';
  return 'fatal';
}

/** The failure in a few words, for `node status` and error messages. */
export function shortFailure(e: unknown): string {
  const msg = (e instanceof Error ? e.message : String(e)).replace(/^\d+ [A-Z_]+: /, '');
  const refused = /connect (ECONNREFUSED|ENOENT) (\S+)/.exec(msg);
  if (refused) return refused[1] === 'ENOENT' ? 'no socket (ENOENT)' : 'connection refused';
  const deadline = /Deadline exceeded after ([\d.]+)s/.exec(msg);
  if (deadline) return `no answer in ${Number(deadline[1]).toFixed(1)} s`;
  const first = msg.split('\n')[0]!;
  return first.length > 160 ? `${first.slice(0, 157)}…` : first;
}
