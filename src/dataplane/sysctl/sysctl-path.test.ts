import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isTortieError } from '../../lib/errors.js';
import { sysctlCandidates, sysctlPath, toSlashed } from './sysctl-path.js';

describe('sysctl names', () => {
  it('reads dotted names the procps way and keeps slashed ones', () => {
    assert.equal(toSlashed('net.ipv4.ip_forward'), 'net/ipv4/ip_forward');
    assert.equal(toSlashed('net/ipv4/conf/vxlan.tortie/proxy_arp'), 'net/ipv4/conf/vxlan.tortie/proxy_arp');
    assert.equal(toSlashed('net.ipv4.conf.vxlan/tortie.proxy_arp'), 'net/ipv4/conf/vxlan.tortie/proxy_arp');
  });

  it('lists every split of an ambiguous dotted name, most components first', () => {
    const c = sysctlCandidates('net.ipv4.conf.vxlan.tortie.proxy_arp');
    assert.equal(c[0], 'net/ipv4/conf/vxlan/tortie/proxy_arp');
    assert.ok(c.includes('net/ipv4/conf/vxlan.tortie/proxy_arp'));
    assert.equal(c.length, 32);
    assert.deepEqual(sysctlCandidates('net/ipv4/ip_forward'), ['net/ipv4/ip_forward']);
  });

  it('builds unambiguous slashed paths and refuses bad components', () => {
    assert.equal(sysctlPath('net', 'ipv4', 'conf', 'vxlan.tortie', 'proxy_arp'), 'net/ipv4/conf/vxlan.tortie/proxy_arp');
    for (const bad of [['net', '..', 'x'], ['net', 'a/b'], ['net', '']]) {
      assert.throws(() => sysctlPath(...bad), (e: unknown) => isTortieError(e, 'TORTIE_ERR_DATAPLANE_INVALID'));
    }
    for (const bad of ['/proc/sys/net', 'net..ipv4', '', 'net ipv4']) assert.throws(() => toSlashed(bad), (e: unknown) => isTortieError(e, 'TORTIE_ERR_DATAPLANE_INVALID'), bad);
  });
});
