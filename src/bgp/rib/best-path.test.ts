import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { CFG, ebgp, path, peer, pfx } from './_fixtures.js';
import { chooseBest, type Path, type RibConfig } from './index.js';

function decided(a: Path, b: Path, cfg: RibConfig = CFG): [string, Path] {
  const r = chooseBest([a, b], cfg)!;
  const r2 = chooseBest([b, a], cfg)!;
  assert.equal(r.best, r2.best, 'order does not matter');
  return [r.decidedBy, r.best];
}
const seq = (...asns: number[]) => [{ type: 'sequence' as const, asns }];

test('each comparator decides its case and says so', () => {
  const p1 = peer(1), p2 = peer(2);
  const cases: Array<[string, Path, Path, RibConfig?]> = [
    ['local-origin', path(undefined, {}), path(p1, { localPref: 500 })],
    ['local-pref', path(p1, { localPref: 200 }), path(p2, { localPref: 100 })],
    ['as-path-length', path(p1, { asPath: seq(65001) }), path(p2, { asPath: [...seq(65001), { type: 'set', asns: [65002, 65003, 65004] }] })],
    ['origin', path(p1, { origin: 0 }), path(p2, { origin: 2 })],
    ['med', path(p1, { asPath: seq(65001), med: 5 }), path(p2, { asPath: seq(65001), med: 10 })],
    ['ebgp-over-ibgp', path(ebgp(3, 65001), { asPath: seq(65001) }), path(p2, { asPath: seq(65002) })],
    ['router-id', path(p1, {}), path(p2, {})],
    ['cluster-list-length', path(p1, { originatorId: '9.9.9.9', clusterList: ['1.1.1.1'] }), path(p2, { originatorId: '9.9.9.9', clusterList: ['1.1.1.1', '2.2.2.2'] })],
    ['peer-address', path(peer(1, { routerId: '7.7.7.7' }), {}), path(peer(2, { routerId: '7.7.7.7' }), {})],
    ['path-id', path(p1, {}, { prefix: pfx('10.65.0.0/26', 1) }), path(p1, {}, { prefix: pfx('10.65.0.0/26', 2) })],
  ];
  for (const [rule, winner, loser, cfg] of cases) {
    const [by, best] = decided(winner, loser, cfg);
    assert.equal(by, rule, rule);
    assert.equal(best, winner, rule);
  }
});

test('MED only between paths from the same neighbour AS, unless always-compare-med', () => {
  const a = path(peer(2), { asPath: seq(65001), med: 50 });
  const b = path(peer(1), { asPath: seq(65002), med: 10 });
  const [by, best] = decided(a, b);
  assert.deepEqual([by, best], ['router-id', b]);
  const [by2, best2] = decided(a, b, { ...CFG, alwaysCompareMed: true });
  assert.deepEqual([by2, best2], ['med', b]);
  // missing MED counts as 0
  const c = path(peer(3), { asPath: seq(65001) });
  assert.equal(decided(a, c)[1], c);
});

test('the IGP cost hook', () => {
  const a = path(peer(1), {}, { nextHops: ['10.0.9.1'] });
  const b = path(peer(2), {}, { nextHops: ['10.0.9.2'] });
  const cfg = { ...CFG, igpCost: (nh: string) => (nh === '10.0.9.1' ? 20 : 10) };
  assert.deepEqual(decided(a, b, cfg), ['igp-cost', b]);
});

test('ORIGINATOR_ID stands in for the router ID (RFC 4456 §9)', () => {
  const a = path(peer(1, { routerId: '1.1.1.1' }), { originatorId: '9.9.9.9' });
  const b = path(peer(2, { routerId: '2.2.2.2' }), {});
  assert.deepEqual(decided(a, b), ['router-id', b]);
});

test('ECMP: paths equal down to the router ID (BIRD merge paths)', () => {
  const a = path(ebgp(1, 65001), { asPath: seq(65001, 65100) });
  const b = path(ebgp(2, 65002), { asPath: seq(65002, 65100) });
  const c = path(ebgp(3, 65003), { asPath: seq(65003, 65100, 65200) });
  const r = chooseBest([c, b, a], CFG)!;
  assert.equal(r.decidedBy, 'router-id');
  assert.deepEqual(r.ecmp, [a, b]);
  assert.equal(r.best, a);
  const single = chooseBest([a, c], CFG)!;
  assert.deepEqual(single.ecmp, [a]);
});

test('property: the best path does not depend on the order paths arrive in', () => {
  const arbPath = fc.record({
    peerN: fc.integer({ min: 1, max: 6 }),
    external: fc.boolean(),
    localPref: fc.option(fc.constantFrom(50, 100, 200), { nil: undefined }),
    asPath: fc.array(fc.constantFrom(65001, 65002, 65003), { maxLength: 3 }),
    origin: fc.constantFrom(0, 1, 2),
    med: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
    pathId: fc.integer({ min: 0, max: 2 }),
    cluster: fc.array(fc.constantFrom('1.1.1.1', '2.2.2.2'), { maxLength: 2 }),
    local: fc.boolean(),
  });
  fc.assert(fc.property(fc.uniqueArray(arbPath, { minLength: 1, maxLength: 8, selector: (p) => `${p.local ? 'L' : p.peerN}#${p.local ? 0 : p.pathId}` }), fc.integer(), (specs, seed) => {
    const paths = specs.map((s) => {
      if (s.local) return path(undefined, { localPref: s.localPref, origin: s.origin as 0 | 1 | 2 });
      const p = s.external ? ebgp(s.peerN, 65000 + s.peerN) : peer(s.peerN);
      return path(p, {
        asPath: s.asPath.length ? [{ type: 'sequence', asns: p.as !== p.localAs ? [p.as, ...s.asPath] : s.asPath }] : p.as !== p.localAs ? seq(p.as) : [],
        origin: s.origin as 0 | 1 | 2, localPref: s.localPref, med: s.med, clusterList: s.cluster.length ? s.cluster : undefined,
      }, { prefix: pfx('10.65.0.0/26', s.pathId) });
    });
    const shuffled = [...paths];
    let x = seed >>> 0;
    for (let i = shuffled.length - 1; i > 0; i--) { x = (x * 1103515245 + 12345) >>> 0; const j = x % (i + 1); [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!]; }
    const a = chooseBest(paths, CFG)!, b = chooseBest(shuffled, CFG)!;
    return a.best === b.best && a.decidedBy === b.decidedBy && a.ecmp.length === b.ecmp.length && a.ecmp.every((p, i) => p === b.ecmp[i]);
  }), { numRuns: 2000 });
});
