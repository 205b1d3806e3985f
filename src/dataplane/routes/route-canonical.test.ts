import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isTortieError } from '../../lib/errors.js';
import { canonicalDst, canonicalRoute, routeSatisfies } from './route-canonical.js';

describe('canonicalRoute', () => {
  it('spells each route one way (the kernel\'s defaults made explicit)', () => {
    assert.deepEqual(canonicalRoute({ dst: '10.65.0.3', type: 'unicast', dev: 'cali1' }), { dst: '10.65.0.3/32', type: 'unicast', dev: 'cali1', scope: 'link' });
    assert.deepEqual(canonicalRoute({ dst: '10.65.1.0/26', type: 'unicast', via: '10.0.0.7', dev: 'eth0', onlink: false }),
      { dst: '10.65.1.0/26', type: 'unicast', dev: 'eth0', via: '10.0.0.7', scope: 'global' });
    assert.deepEqual(canonicalRoute({ dst: '10.65.2.0/26', type: 'blackhole', dev: 'x', scope: 'link' }), { dst: '10.65.2.0/26', type: 'blackhole' });
    assert.deepEqual(canonicalRoute({ dst: 'fd00:0::0/64', type: 'unicast', dev: 'eth0', scope: 'link' }), { dst: 'fd00::/64', type: 'unicast', dev: 'eth0', scope: 'global' });
    assert.equal(canonicalDst('0.0.0.0/0'), '0.0.0.0/0');
  });

  it('rejects what the kernel would reject, with a code', () => {
    for (const bad of ['10.65.0.1/26', '10.65.0.300/32', 'nonsense', '10.0.0.0/33']) {
      assert.throws(() => canonicalDst(bad), (e: unknown) => isTortieError(e, 'TORTIE_ERR_DATAPLANE_INVALID'), bad);
    }
    assert.throws(() => canonicalRoute({ dst: '10.0.0.0/8', type: 'unicast', via: 'x' }), (e: unknown) => isTortieError(e, 'TORTIE_ERR_DATAPLANE_INVALID'));
    assert.throws(() => canonicalRoute({ dst: '10.0.0.0/8', type: 'unicast', dev: 'a b' }), (e: unknown) => isTortieError(e, 'TORTIE_ERR_DATAPLANE_INVALID'));
  });

  it('a desired route without dev is satisfied by any dev; everything else must match', () => {
    const want = canonicalRoute({ dst: '10.65.1.0/26', type: 'unicast', via: '10.0.0.7' });
    assert.ok(routeSatisfies(want, { ...want, dev: 'eth0' }));
    assert.ok(!routeSatisfies(canonicalRoute({ ...want, dev: 'eth1' }), { ...want, dev: 'eth0' }));
    assert.ok(!routeSatisfies(want, { ...want, onlink: true }));
    assert.ok(!routeSatisfies(want, { ...want, via: '10.0.0.8' }));
  });
});
