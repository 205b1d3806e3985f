// A route as the kernel lists it, for people reading a table (`tortie trace`): every route of a
// table, whoever put it there, with its fields as `ip -j route` prints them (`default`, a host
// route without /32, the protocol by name). The agent itself works with canonical Routes of its
// own protocol (src/dataplane/ports.ts); this is the operator's view of the same table.

export interface KernelRoute {
  /** `default`, `10.65.0.0/26`, or a host address without prefix length. */
  readonly dst: string;
  /** Absent for unicast; `blackhole`, `local`, `broadcast`… otherwise. */
  readonly type?: string;
  readonly gateway?: string;
  readonly dev?: string;
  /** `kernel`, `boot`, `static`, or a number such as `80`. */
  readonly protocol?: string;
  /** Absent for global (universe) scope. */
  readonly scope?: string;
  readonly prefsrc?: string;
  readonly metric?: number;
  /** `onlink`, `linkdown`… */
  readonly flags?: readonly string[];
  /** Only for tables other than main. */
  readonly table?: string;
}

/** `ip route get`: the kernel's forwarding decision, or its reason for having none. */
export type RouteLookup = { readonly ok: true; readonly route: KernelRoute } | { readonly ok: false; readonly error: string };
