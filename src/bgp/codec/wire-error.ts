// A decode error carries its wire consequence: the NOTIFICATION to send (code, subcode, data) and
// how bad it is under RFC 7606 §2 — from "discard the attribute" up to "reset the session".

export type Rank = 'attribute-discard' | 'treat-as-withdraw' | 'afi-safi-disable' | 'session-reset';

const RANK_ORDER: Readonly<Record<Rank, number>> = {
  'attribute-discard': 0, 'treat-as-withdraw': 1, 'afi-safi-disable': 2, 'session-reset': 3,
};

export const rankAtLeast = (r: Rank, floor: Rank): boolean => RANK_ORDER[r] >= RANK_ORDER[floor];

export interface WireError {
  readonly kind: 'wire-error';
  /** NOTIFICATION error code / subcode / data this error would be reported with (RFC 4271 §4.5). */
  readonly code: number;
  readonly subcode: number;
  readonly data: Uint8Array;
  readonly rank: Rank;
  /** Human text: what was wrong and what was expected. */
  readonly reason: string;
  /** The path attribute type code the error is about, when it is about one. */
  readonly attribute?: number;
  /** The AFI/SAFI concerned, for "AFI/SAFI disable" errors (e.g. `2/1`). */
  readonly family?: string;
}

export function wireError(code: number, subcode: number, rank: Rank, reason: string,
  data: Uint8Array = EMPTY, extra: { attribute?: number; family?: string } = {}): WireError {
  return { kind: 'wire-error', code, subcode, data, rank, reason, ...extra };
}

export const EMPTY = new Uint8Array(0);

/** The most severe rank among `errors` (undefined when there are none). */
export function worstRank(errors: readonly WireError[]): Rank | undefined {
  let worst: Rank | undefined;
  for (const e of errors) if (worst === undefined || RANK_ORDER[e.rank] > RANK_ORDER[worst]) worst = e.rank;
  return worst;
}

export const isWireError = (x: unknown): x is WireError =>
  typeof x === 'object' && x !== null && (x as { kind?: unknown }).kind === 'wire-error';
