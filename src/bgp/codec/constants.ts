// Numbers of the BGP-4 wire format (RFC 4271 §4) and the extensions Tortie speaks.

/** The 16-octet all-ones marker that opens every message (RFC 4271 §4.1). */
export const MARKER_LENGTH = 16;
export const HEADER_LENGTH = 19;
/** RFC 4271 §4.1: the largest message; RFC 8654 raises it to 65535 once both sides announced it. */
export const MAX_MESSAGE_LENGTH = 4096;
export const MAX_EXTENDED_MESSAGE_LENGTH = 65535;

export const MESSAGE_TYPE = {
  OPEN: 1,
  UPDATE: 2,
  NOTIFICATION: 3,
  KEEPALIVE: 4,
  ROUTE_REFRESH: 5, // RFC 2918
} as const;

/** The smallest legal length of each message type, header included (RFC 4271 §4, RFC 2918 §3). */
export const MIN_LENGTH: Readonly<Record<number, number>> = {
  [MESSAGE_TYPE.OPEN]: 29,
  [MESSAGE_TYPE.UPDATE]: 23,
  [MESSAGE_TYPE.NOTIFICATION]: 21,
  [MESSAGE_TYPE.KEEPALIVE]: 19,
  [MESSAGE_TYPE.ROUTE_REFRESH]: 23,
};

export const BGP_VERSION = 4;
/** RFC 6793 §9: the 2-octet stand-in for a 4-octet AS number. */
export const AS_TRANS = 23456;

export const AFI = { IPV4: 1, IPV6: 2 } as const;
export const SAFI = { UNICAST: 1, MULTICAST: 2 } as const;

/** NOTIFICATION error codes (RFC 4271 §4.5) and the subcodes this code base sends or names. */
export const ERR = {
  HEADER: 1,
  OPEN: 2,
  UPDATE: 3,
  HOLD_TIMER_EXPIRED: 4,
  FSM: 5,
  CEASE: 6,
  ROUTE_REFRESH: 7, // RFC 7313 §5
} as const;

export const HEADER_SUB = { NOT_SYNCHRONIZED: 1, BAD_LENGTH: 2, BAD_TYPE: 3 } as const;
export const OPEN_SUB = {
  UNSUPPORTED_VERSION: 1,
  BAD_PEER_AS: 2,
  BAD_BGP_IDENTIFIER: 3,
  UNSUPPORTED_OPTIONAL_PARAMETER: 4,
  UNACCEPTABLE_HOLD_TIME: 6,
  UNSUPPORTED_CAPABILITY: 7, // RFC 5492 §5
} as const;
export const UPDATE_SUB = {
  MALFORMED_ATTRIBUTE_LIST: 1,
  UNRECOGNIZED_WELL_KNOWN: 2,
  MISSING_WELL_KNOWN: 3,
  ATTRIBUTE_FLAGS: 4,
  ATTRIBUTE_LENGTH: 5,
  INVALID_ORIGIN: 6,
  INVALID_NEXT_HOP: 8,
  OPTIONAL_ATTRIBUTE: 9,
  INVALID_NETWORK_FIELD: 10,
  MALFORMED_AS_PATH: 11,
} as const;
/** RFC 6608 FSM error subcodes: which state received the unexpected message. */
export const FSM_SUB = { UNSPECIFIED: 0, OPEN_SENT: 1, OPEN_CONFIRM: 2, ESTABLISHED: 3 } as const;
/** RFC 4486 Cease subcodes. */
export const CEASE_SUB = {
  MAX_PREFIXES: 1,
  ADMIN_SHUTDOWN: 2,
  PEER_DECONFIGURED: 3,
  ADMIN_RESET: 4,
  CONNECTION_REJECTED: 5,
  OTHER_CONFIG_CHANGE: 6,
  COLLISION_RESOLUTION: 7,
  OUT_OF_RESOURCES: 8,
  HARD_RESET: 9, // RFC 8538
} as const;
export const ROUTE_REFRESH_SUB = { INVALID_LENGTH: 1 } as const;

/** Attribute flag bits (RFC 4271 §4.3). */
export const FLAG = { OPTIONAL: 0x80, TRANSITIVE: 0x40, PARTIAL: 0x20, EXTENDED: 0x10 } as const;

export type Family = `${number}/${number}`;
export const familyKey = (afi: number, safi: number): Family => `${afi}/${safi}`;
export const IPV4_UNICAST: Family = '1/1';
export const IPV6_UNICAST: Family = '2/1';

const FAMILY_NAMES: Readonly<Record<string, string>> = { '1/1': 'IPv4 unicast', '2/1': 'IPv6 unicast', '1/2': 'IPv4 multicast', '2/2': 'IPv6 multicast' };
/** `1/1` → `IPv4 unicast`; unknown ones as `AFI 25 SAFI 70` (for logs and `tortie node status`). */
export const formatFamily = (f: Family | string): string => {
  const known = FAMILY_NAMES[f];
  if (known) return known;
  const [afi, safi] = f.split('/');
  return `AFI ${afi} SAFI ${safi}`;
};
