// The one registry of Tortie's error codes. Every error a user can see carries one of these codes;
// `docs/errors.md` documents each one and `errors.test.ts` fails when the two drift apart.
//
// `exit` is the CLI's exit status for the code: 1 = the user's input or request is at fault,
// 2 = the datastore could not be reached, 3 = a bug in Tortie. `retryable` marks transient failures;
// `isRetryable()` is the single place that question is answered (one retry policy acts on it).

export interface ErrorSpec {
  readonly exit: 1 | 2 | 3;
  readonly retryable: boolean;
  readonly summary: string;
}

export const ERRORS = {
  TORTIE_ERR_CLI_USAGE: {
    exit: 1, retryable: false,
    summary: 'The command line is wrong: an unknown flag, a missing argument or a flag value out of range.',
  },
  TORTIE_ERR_CLI_UNKNOWN_KIND: {
    exit: 1, retryable: false,
    summary: 'The resource kind named on the command line is not one Tortie knows (names, plurals and short names are accepted, case-insensitively).',
  },
  TORTIE_ERR_CONFIG_INVALID: {
    exit: 1, retryable: false,
    summary: 'The client configuration (flags, TORTIE_* environment variables or /etc/tortie/tortie.yaml) is invalid.',
  },
  TORTIE_ERR_FILE_UNREADABLE: {
    exit: 1, retryable: false,
    summary: 'A file or directory named by the user could not be read or written.',
  },
  TORTIE_ERR_MANIFEST_PARSE: {
    exit: 1, retryable: false,
    summary: 'A manifest is not valid YAML or JSON, or a document in it is not an object.',
  },
  TORTIE_ERR_MANIFEST_INVALID: {
    exit: 1, retryable: false,
    summary: 'One or more documents failed validation; every problem is listed with its field path and nothing was written.',
  },
  TORTIE_ERR_DATASTORE_NOT_FOUND: {
    exit: 1, retryable: false,
    summary: 'The object does not exist in the datastore.',
  },
  TORTIE_ERR_DATASTORE_ALREADY_EXISTS: {
    exit: 1, retryable: false,
    summary: 'An object with that key already exists (create refuses to overwrite it).',
  },
  TORTIE_ERR_DATASTORE_CONFLICT: {
    exit: 1, retryable: false,
    summary: 'The object changed since it was read: the compare-and-swap revision did not match.',
  },
  TORTIE_ERR_DATASTORE_COMPACTED: {
    exit: 1, retryable: true,
    summary: 'A watch asked for history the datastore has already compacted away; the watcher must re-list.',
  },
  TORTIE_ERR_DATASTORE_UNAVAILABLE: {
    exit: 2, retryable: true,
    summary: 'The datastore could not be reached or did not answer in time; the message names the endpoint or file — for an etcd cluster, every member and what each said.',
  },
  TORTIE_ERR_DATASTORE_FULL: {
    exit: 2, retryable: false,
    summary: 'The datastore is out of space (etcd raised its NOSPACE alarm, or the disk under the embedded store is full); nothing was written. The message says what to free.',
  },
  TORTIE_ERR_DATASTORE_CORRUPT: {
    exit: 1, retryable: false,
    summary: 'A stored value could not be decoded (it is not the JSON Tortie wrote).',
  },
  TORTIE_ERR_DATASTORE_CLOSED: {
    exit: 3, retryable: false,
    summary: 'The datastore client was used after it was closed.',
  },
  TORTIE_ERR_IPAM_UNKNOWN_NODE: {
    exit: 1, retryable: false,
    summary: 'Addresses were asked for a node that has no Node resource (the agent creates it when it starts).',
  },
  TORTIE_ERR_IPAM_NO_POOL: {
    exit: 1, retryable: false,
    summary: 'No IP pool may serve this request: none exists, the requested ones are disabled or unknown, or their nodeSelector or allowedUses exclude it.',
  },
  TORTIE_ERR_IPAM_POOL_EXHAUSTED: {
    exit: 1, retryable: false,
    summary: 'The pools have no free address this node may use (with strictAffinity, other nodes\' blocks are off limits).',
  },
  TORTIE_ERR_IPAM_BLOCK_LIMIT: {
    exit: 1, retryable: false,
    summary: 'The node already owns maxBlocksPerHost blocks and they are full; it may not claim another (and does not borrow).',
  },
  TORTIE_ERR_IPAM_CONTENTION: {
    exit: 1, retryable: true,
    summary: 'Too many concurrent writers changed the same IPAM records; the allocation gave up after its retry bound and may be tried again.',
  },
  TORTIE_ERR_POLICY_UNKNOWN_ENDPOINT: {
    exit: 1, retryable: false,
    summary: 'A policy trace or matrix names a workload (NS/POD) that no WorkloadEndpoint in the datastore has, or one without an address.',
  },
  TORTIE_ERR_POLICY_BAD_PEER: {
    exit: 1, retryable: false,
    summary: 'A policy trace or matrix peer is neither NS/POD nor an IP address, or the two ends have no address family in common.',
  },
  TORTIE_ERR_DATAPLANE_NFT: {
    exit: 1, retryable: false,
    summary: 'nft refused or failed a transaction; nothing of that transaction was applied (the message shows nft\'s own error).',
  },
  TORTIE_ERR_DATAPLANE_IPROUTE: {
    exit: 1, retryable: false,
    summary: 'The kernel (through iproute2) refused some route, link, neighbour or FDB changes; every other change of the batch was applied, and the message lists each refused command with the kernel\'s error.',
  },
  TORTIE_ERR_DATAPLANE_INVALID: {
    exit: 1, retryable: false,
    summary: 'A route, interface name, MAC, address or VXLAN setting handed to the dataplane is malformed; nothing was written to the kernel.',
  },
  TORTIE_ERR_DATAPLANE_SYSCTL: {
    exit: 1, retryable: false,
    summary: 'A kernel setting under /proc/sys could not be read or written (it does not exist, e.g. its interface is gone, or permission was denied); the message names the path.',
  },
  TORTIE_ERR_NODE_ADDRESS_NOT_FOUND: {
    exit: 1, retryable: false,
    summary: 'Node IP autodetection found no usable address with the configured method; the message names the method and the interfaces it looked at.',
  },
  TORTIE_ERR_NODE_AUTODETECT_INVALID: {
    exit: 1, retryable: false,
    summary: 'The node IP autodetection method is not one of first-found, interface=, skip-interface=, can-reach= or cidr=, or its regex, address or CIDR is malformed.',
  },
  TORTIE_ERR_IPAM_CHECK_PROBLEMS: {
    exit: 1, retryable: false,
    summary: '`tortie ipam check` found problems (leaked addresses, inconsistent blocks, handles or affinities); they are listed above the error, and the exit status is 1 so scripts can tell.',
  },
  TORTIE_ERR_IPAM_NOT_RELEASED: {
    exit: 1, retryable: false,
    summary: 'An address given to `tortie ipam release --ip` was not released: it is not assigned, or it is in use by a workload or node (use --force to release it anyway); the others were released.',
  },
  TORTIE_ERR_IPAM_REPORT_INVALID: {
    exit: 1, retryable: false,
    summary: 'The file given to `tortie ipam release --from-report` is not a report written by `tortie ipam check -o`.',
  },
  TORTIE_ERR_IPAM_CONFIG_INVALID: {
    exit: 1, retryable: false,
    summary: 'The IPAM configuration `tortie ipam configure` would write is invalid (e.g. maxBlocksPerHost without strictAffinity); nothing was written.',
  },
  TORTIE_ERR_NODE_ADDRESS_IN_USE: {
    exit: 1, retryable: false,
    summary: 'The agent detected a node address another Node resource already uses; it refuses to start rather than break routing for both.',
  },
  TORTIE_ERR_CNI_SOCKET_IN_USE: {
    exit: 1, retryable: false,
    summary: 'Another process (another agent?) answers on the CNI socket path; the agent will not take the socket from under it.',
  },
  TORTIE_ERR_BGP_CONFIG_INVALID: {
    exit: 1, retryable: false,
    summary: 'The BGP speaker was given an unusable configuration (no IPv4 router ID, peers before the speaker\'s own settings); the message names the field.',
  },
  TORTIE_ERR_BGP_SOCKOPT: {
    exit: 1, retryable: false,
    summary: 'A BGP socket option could not be set: a TCP MD5 password (longer than 80 bytes, or TCP_MD5SIG unsupported here) or TTL security (IP_MINTTL); the session is not started unprotected.',
  },
  TORTIE_ERR_BGP_NOT_RUNNING: {
    exit: 1, retryable: false,
    summary: 'The node\'s agent runs without its BGP speaker (start it with --bgp) or has not reported its BGP routes yet.',
  },
  TORTIE_ERR_LAB_NOT_FOUND: {
    exit: 1, retryable: false,
    summary: 'The lab, or a pod or node named in it, does not exist (tortie lab status lists what there is).',
  },
  TORTIE_ERR_LAB_FAILED: {
    exit: 1, retryable: false,
    summary: 'Building or running part of a lab failed (a namespace, an agent, a plugin call); the message says which step, and lab down removes what was made.',
  },
  TORTIE_ERR_INTERNAL_BUG: {
    exit: 3, retryable: false,
    summary: 'A bug in Tortie: an invariant was broken. Please report it with the message.',
  },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

export class TortieError extends Error {
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TortieError';
    this.code = code;
    this.details = details;
  }

  get retryable(): boolean {
    return ERRORS[this.code].retryable;
  }

  get exitCode(): number {
    return ERRORS[this.code].exit;
  }
}

export function isTortieError(e: unknown, code?: ErrorCode): e is TortieError {
  return e instanceof TortieError && (code === undefined || e.code === code);
}

/** The single answer to "may this failure go away if the same call is made again?". */
export function isRetryable(e: unknown): boolean {
  return e instanceof TortieError && e.retryable;
}
