// What a codec needs to know about the session: the results of OPEN negotiation that change the
// wire format of UPDATEs.

import { MAX_MESSAGE_LENGTH, type Family } from './constants.js';

export interface CodecContext {
  /** Both sides announced the 4-octet AS capability (RFC 6793): AS numbers are 4 octets wide. */
  readonly fourOctetAs: boolean;
  /** 4096, or 65535 when both sides announced extended messages (RFC 8654). */
  readonly maxLength: number;
  /**
   * Families whose NLRI carry ADD-PATH path identifiers in this direction (RFC 7911): the families
   * we may receive them in for decoding, the families we may send them in for encoding.
   */
  readonly addPath: ReadonlySet<Family>;
  /** The peer is in another AS: LOCAL_PREF, ORIGINATOR_ID and CLUSTER_LIST from it are discarded. */
  readonly external: boolean;
}

/** The context before OPENs are exchanged (and of a classic 2-octet-AS IPv4 session). */
export const DEFAULT_CONTEXT: CodecContext = {
  fourOctetAs: false, maxLength: MAX_MESSAGE_LENGTH, addPath: new Set(), external: false,
};

export const contextWith = (patch: Partial<CodecContext>): CodecContext => ({ ...DEFAULT_CONTEXT, ...patch });
