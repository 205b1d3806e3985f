import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isTortieError } from '../lib/errors.js';
import { hostMtu, podMtu, FALLBACK_HOST_MTU } from './mtu.js';

const link = (name: string, mtu: number, up = true) => ({ name, mtu, up });

describe('MTU detection', () => {
  it('host MTU is the smallest among up links matching Felix\'s pattern', () => {
    const links = [link('lo', 65536), link('eth0', 9001), link('ens5', 1500), link('enp0s3', 1450, false), link('docker0', 1400), link('cali1234', 1300), link('wlan0', 2304)];
    assert.deepEqual(hostMtu(links), { mtu: 1500, from: ['eth0', 'ens5', 'wlan0'] });
  });

  it('matches the interface families of the default pattern, and nothing else', () => {
    const names = ['eth0', 'ens3', 'enp0s31f6', 'eno1', 'enx001122334455', 'enP1p2s0', 'wlp2s0', 'wwan0', 'ibp1s0', 'slc0', 'wlan1'];
    for (const n of names) assert.equal(hostMtu([link(n, 1234)]).mtu, 1234, n);
    for (const n of ['veth1', 'docker0', 'br-1', 'vxlan.tortie', 'tunl0', 'lo', 'bond0', 'enabc', 'ib0']) assert.equal(hostMtu([link(n, 1234)]).mtu, FALLBACK_HOST_MTU, n);
  });

  it('falls back to 1460 when nothing matches, and honours a configured pattern', () => {
    assert.deepEqual(hostMtu([link('bond0', 9000)]), { mtu: 1460, from: [] });
    assert.equal(hostMtu([link('bond0', 9000), link('eth0', 1500)], '^bond').mtu, 9000);
    assert.throws(() => hostMtu([], '('), (e: unknown) => isTortieError(e, 'TORTIE_ERR_CONFIG_INVALID'));
  });

  it('pod MTU subtracts the largest overhead in use (Calico: 1500 → 1480 IPIP, 1450 VXLAN, 1440 WireGuard)', () => {
    assert.equal(podMtu(1500), 1500);
    assert.equal(podMtu(1500, ['ipip']), 1480);
    assert.equal(podMtu(1500, ['vxlan']), 1450);
    assert.equal(podMtu(1500, ['wireguard']), 1440);
    assert.equal(podMtu(9001, ['ipip', 'vxlan']), 8951);
    assert.equal(podMtu(1500, ['vxlanV6']), 1430);
  });
});
