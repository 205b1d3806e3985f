import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isTortieError } from '../lib/errors.js';
import { FakeNetlink } from './fake-netlink.js';
import type { LinkInfo } from './ports.js';
import { chooseNodeAddress, detectNodeAddress, parseAutodetectMethod, DEFAULT_EXCLUDES } from './autodetect.js';

let idx = 0;
const L = (name: string, ...addresses: string[]): LinkInfo => ({ name, index: ++idx, mtu: 1500, mac: '02:00:00:00:00:01', up: true, addresses });

// Kernel order: lo, eth0, eth1, docker0, cali…, vxlan.tortie, br-…, podman0
const host = (): LinkInfo[] => {
  idx = 0;
  return [
    L('lo', '127.0.0.1/8', '::1/128'),
    L('eth0', '10.0.0.5/24', 'fe80::1/64'),
    L('eth1', '169.254.3.3/16', '192.168.7.9/22'),
    L('docker0', '172.17.0.1/16'),
    L('cali12345678901'),
    L('vxlan.tortie', '10.65.0.0/32'),
    L('br-0a1b2c', '172.18.0.1/16'),
    L('podman0', '10.88.0.1/16'),
  ];
};

const notFound = (e: unknown): boolean => isTortieError(e, 'TORTIE_ERR_NODE_ADDRESS_NOT_FOUND');
const invalid = (e: unknown): boolean => isTortieError(e, 'TORTIE_ERR_NODE_AUTODETECT_INVALID');

describe('node IP autodetection', () => {
  it('first-found: Calico scans interfaces in reverse kernel order, skipping the default exclusions and link-local', () => {
    // Reverse order reaches eth1 before eth0; 169.254/16 is not global unicast, so 192.168.7.9 wins.
    assert.deepEqual(chooseNodeAddress('first-found', host()), { address: '192.168.7.9/22', iface: 'eth1' });
    assert.deepEqual(chooseNodeAddress('', host()), { address: '192.168.7.9/22', iface: 'eth1' });
  });

  it('the default exclusions cover Calico\'s list and Tortie\'s own device', () => {
    for (const n of ['docker0', 'cbr0', 'dummy0', 'virbr0', 'lxcbr0', 'veth1', 'lo', 'cali1', 'tunl0', 'flannel.1', 'kube-ipvs0', 'cni0',
      'vxlan.calico', 'vxlan-v6.calico', 'wireguard.cali', 'wg-v6.cali', 'nodelocaldns', 'podman0', 'br-1234', 'vxlan.tortie']) {
      assert.ok(DEFAULT_EXCLUDES.some((r) => new RegExp(r).test(n)), n);
    }
    for (const n of ['eth0', 'ens5', 'bond0', 'ibmvetha', 'vxlan0']) assert.ok(!DEFAULT_EXCLUDES.some((r) => new RegExp(r).test(n)), n);
  });

  it('interface=: only matching interfaces, without the default exclusions', () => {
    assert.deepEqual(chooseNodeAddress('interface=eth0', host()), { address: '10.0.0.5/24', iface: 'eth0' });
    assert.deepEqual(chooseNodeAddress('interface=eth0, docker.*', host()), { address: '172.17.0.1/16', iface: 'docker0' }, 'reverse kernel order: docker0 (index 4) before eth0 (2), whatever the regex order');
  });

  it('skip-interface=: the defaults plus the given regexes', () => {
    assert.deepEqual(chooseNodeAddress('skip-interface=eth1', host()), { address: '10.0.0.5/24', iface: 'eth0' });
    assert.throws(() => chooseNodeAddress('skip-interface=eth.*', host()), notFound);
  });

  it('cidr=: the first address inside one of the CIDRs, on any interface', () => {
    assert.deepEqual(chooseNodeAddress('cidr=10.0.0.0/8', host()), { address: '10.88.0.1/16', iface: 'podman0' });
    assert.deepEqual(chooseNodeAddress('cidr=10.0.0.0/16,192.168.0.0/16', host()), { address: '192.168.7.9/22', iface: 'eth1' });
    assert.throws(() => chooseNodeAddress('cidr=203.0.113.0/24', host()), notFound);
  });

  it('can-reach=: the source address of the kernel\'s route, with its interface\'s prefix', () => {
    assert.deepEqual(chooseNodeAddress('can-reach=8.8.8.8', host(), { dev: 'eth0', src: '10.0.0.5' }), { address: '10.0.0.5/24', iface: 'eth0' });
    assert.throws(() => chooseNodeAddress('can-reach=8.8.8.8', host(), null), notFound);
    assert.throws(() => chooseNodeAddress('can-reach=8.8.8.8', host(), { dev: 'eth0', src: '10.9.9.9' }), notFound);
  });

  it('a clear error for no address and for a bad method', () => {
    idx = 0;
    assert.throws(() => chooseNodeAddress('first-found', [L('lo', '127.0.0.1/8'), L('docker0', '172.17.0.1/16')]), notFound);
    for (const m of ['kubernetes-internal-ip', 'interface=(', 'cidr=10.0.0.0', 'can-reach=example.com', 'whatever']) {
      assert.throws(() => parseAutodetectMethod(m), invalid, m);
    }
  });

  it('detectNodeAddress reads the port (links, and route get for can-reach)', async () => {
    const k = new FakeNetlink();
    k.addVethPair('eth0', 'tt-x');
    k.addAddress('eth0', '10.0.0.5/24');
    await k.applyRoutes(80, [], [{ dst: '0.0.0.0/0', type: 'unicast', via: '10.0.0.1', dev: 'eth0' }]);
    assert.deepEqual(await detectNodeAddress(k, 'can-reach=8.8.8.8'), { address: '10.0.0.5/24', iface: 'eth0' });
    assert.deepEqual(await detectNodeAddress(k, 'first-found'), { address: '10.0.0.5/24', iface: 'eth0' });
  });
});
