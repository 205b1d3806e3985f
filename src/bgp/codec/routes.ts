// What an UPDATE means for the RIB once RFC 7606 has had its say: per-family announcements and
// withdrawals, End-of-RIB, and which families must be disabled.

import type { PathAttributes } from './attributes.js';
import { familyKey, IPV4_UNICAST, type Family } from './constants.js';
import { endOfRibFamily } from './encode.js';
import type { UpdateMessage } from './messages.js';
import type { Nlri } from './nlri.js';
import { worstRank, type WireError } from './wire-error.js';

export interface Announcement { readonly family: Family; readonly nlri: Nlri; readonly nextHops: readonly string[] }
export interface Withdrawal { readonly family: Family; readonly nlri: Nlri }

export interface RouteChanges {
  readonly announced: readonly Announcement[];
  readonly withdrawn: readonly Withdrawal[];
  /** The attributes shared by every announcement (MP_REACH/MP_UNREACH removed). */
  readonly attributes: PathAttributes;
  readonly endOfRib?: Family;
  /** RFC 7606 §2: the UPDATE was malformed; every prefix it announced is handled as withdrawn. */
  readonly treatAsWithdraw: boolean;
  /** Families with an "AFI/SAFI disable" error: the speaker drops the family's routes or resets. */
  readonly disabledFamilies: readonly Family[];
}

export function routeChanges(u: UpdateMessage, problems: readonly WireError[] = []): RouteChanges {
  const worst = worstRank(problems.filter((p) => p.rank !== 'afi-safi-disable'));
  const treatAsWithdraw = worst === 'treat-as-withdraw';
  const disabled = new Set(problems.filter((p) => p.rank === 'afi-safi-disable' && p.family).map((p) => p.family as Family));
  const announced: Announcement[] = [];
  const withdrawn: Withdrawal[] = [];
  const { mpReach, mpUnreach, ...attributes } = u.attributes;
  for (const n of u.withdrawn) withdrawn.push({ family: IPV4_UNICAST, nlri: n });
  if (mpUnreach && !mpUnreach.opaque) {
    const family = familyKey(mpUnreach.afi, mpUnreach.safi);
    if (!disabled.has(family)) for (const n of mpUnreach.withdrawn) withdrawn.push({ family, nlri: n });
  }
  const reach = (family: Family, nlri: readonly Nlri[], nextHops: readonly string[]): void => {
    if (disabled.has(family)) return;
    for (const n of nlri) {
      if (treatAsWithdraw) withdrawn.push({ family, nlri: n });
      else announced.push({ family, nlri: n, nextHops });
    }
  };
  reach(IPV4_UNICAST, u.nlri, attributes.nextHop !== undefined ? [attributes.nextHop] : []);
  if (mpReach && !mpReach.opaque) reach(familyKey(mpReach.afi, mpReach.safi), mpReach.nlri, mpReach.nextHops);
  const eor = problems.length === 0 ? endOfRibFamily(u) : undefined;
  const out: RouteChanges = { announced, withdrawn, attributes, treatAsWithdraw, disabledFamilies: [...disabled] };
  return eor ? { ...out, endOfRib: familyKey(eor.afi, eor.safi) } : out;
}
