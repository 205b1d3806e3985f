// Random UPDATEs and OPENs (fast-check): encode → decode gives the same message back, on 2-octet
// and 4-octet sessions, with and without ADD-PATH.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { maskOf } from '../../lib/ip.js';
import { contextWith, decodeMessage, encodeMessage, type Message, type Nlri, type PathAttributes } from './index.js';

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const asn = fc.oneof(fc.integer({ min: 1, max: 65535 }), fc.integer({ min: 65536, max: 0xffffffff }));
const v4 = fc.tuple(u32).map(([n]) => `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`);
const unicast4 = fc.tuple(fc.integer({ min: 1, max: 223 }), u32).map(([a, n]) => `${a}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`);
const prefix = (version: 4 | 6, pathId: boolean): fc.Arbitrary<Nlri> =>
  fc.tuple(fc.bigInt({ min: 0n, max: (1n << (version === 4 ? 32n : 128n)) - 1n }), fc.integer({ min: 0, max: version === 4 ? 32 : 128 }), u32)
    .map(([a, len, id]) => ({ version, address: a & maskOf(version, len), prefix: len, ...(pathId ? { pathId: id } : {}) }));
const segment = fc.record({ type: fc.constantFrom('sequence' as const, 'set' as const), asns: fc.array(asn, { minLength: 1, maxLength: 5 }) });

const attrs = (fourOctet: boolean): fc.Arbitrary<PathAttributes> => fc.record({
  origin: fc.constantFrom(0 as const, 1 as const, 2 as const),
  asPath: fc.array(segment, { maxLength: 4 }),
  nextHop: unicast4,
  med: u32, localPref: u32, atomicAggregate: fc.constant(true as const),
  aggregator: fc.record({ as: asn, address: v4 }),
  communities: fc.array(u32, { minLength: 1, maxLength: 70 }),
  originatorId: v4, clusterList: fc.array(v4, { minLength: 1, maxLength: 3 }),
  largeCommunities: fc.array(fc.tuple(u32, u32, u32), { minLength: 1, maxLength: 3 }),
}, { requiredKeys: ['origin', 'asPath', 'nextHop'] }).map((a) => {
  // A 2-octet AS_PATH merges adjacent sequences when AS4_PATH is rebuilt; keep generated paths canonical.
  if (fourOctet) return a;
  const path = a.asPath.filter((s, i, all) => !(s.type === 'sequence' && all[i - 1]?.type === 'sequence'));
  return { ...a, asPath: path };
});

test('random UPDATEs round-trip', () => {
  for (const [fourOctetAs, addPath] of [[true, false], [false, false], [true, true]] as const) {
    const ctx = contextWith({ fourOctetAs, maxLength: 65535, addPath: new Set(addPath ? ['1/1', '2/1'] as const : []) });
    fc.assert(fc.property(
      fc.array(prefix(4, addPath), { maxLength: 20 }), attrs(fourOctetAs), fc.array(prefix(4, addPath), { minLength: 1, maxLength: 20 }),
      fc.array(prefix(6, addPath), { maxLength: 10 }), fc.array(prefix(6, addPath), { maxLength: 10 }),
      (withdrawn, a, nlri, reach6, unreach6) => {
        const m: Message = {
          type: 'update', withdrawn, nlri,
          attributes: {
            ...a,
            ...(reach6.length ? { mpReach: { afi: 2, safi: 1, nextHops: ['2001:db8::1'], nlri: reach6 } } : {}),
            ...(unreach6.length ? { mpUnreach: { afi: 2, safi: 1, withdrawn: unreach6 } } : {}),
          },
        };
        const r = decodeMessage(encodeMessage(m, ctx), ctx);
        assert.ok(r.ok, r.ok ? '' : r.error.reason);
        assert.deepEqual(r.problems, []);
        assert.deepEqual(r.message, structuredClone(m)); // fast-check builds null-prototype records
      }), { numRuns: 300 });
  }
});

test('random OPENs round-trip', () => {
  const ctx = contextWith({});
  fc.assert(fc.property(asn, fc.oneof(fc.constant(0), fc.integer({ min: 3, max: 65535 })), unicast4,
    fc.uniqueArray(fc.record({ afi: fc.integer({ min: 1, max: 3 }), safi: fc.integer({ min: 1, max: 2 }) }), { selector: (f) => `${f.afi}/${f.safi}`, maxLength: 4 }),
    fc.boolean(), fc.integer({ min: 0, max: 4095 }),
    (as, holdTime, bgpId, families, rr, grTime) => {
      const m: Message = {
        type: 'open', version: 4, myAs: as > 65535 ? 23456 : as, holdTime, bgpId,
        capabilities: {
          fourOctetAs: as, ...(families.length ? { multiprotocol: families } : {}), ...(rr ? { routeRefresh: true as const } : {}),
          gracefulRestart: { restarting: rr, notification: !rr, time: grTime, families: families.map((f) => ({ ...f, forwarding: rr })) },
        },
      };
      const r = decodeMessage(encodeMessage(m, ctx), ctx);
      assert.ok(r.ok);
      assert.deepEqual(r.message, structuredClone(m));
    }), { numRuns: 300 });
});
