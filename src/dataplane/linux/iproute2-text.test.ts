// The iproute2 text layer against output captured from iproute2 6.1 on Linux 6.18.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { batchFailures, fdbFromJson, kernelRouteFromJson, linksFromJson, neighboursFromJson, parseBatchErrors, routeFromJson, routeReplaceLine, routeDelLine, type JsonLink } from './_iproute2-text.js';

describe('iproute2 text', () => {
  it('reads `ip -j route show proto 80` into canonical routes', () => {
    const dump = [
      { dst: '10.65.0.3', dev: 'tt-a', scope: 'link', flags: [] },
      { type: 'blackhole', dst: '10.65.1.0/26', flags: [] },
      { dst: '10.65.2.0/26', gateway: '10.0.0.7', dev: 'tt-a', flags: [] },
      { dst: '10.65.3.0/26', gateway: '10.0.0.8', dev: 'tt-a', flags: ['onlink'] },
      { dst: '10.65.6.0/26', gateway: '10.0.0.9', dev: 'tt-a', prefsrc: '10.0.0.5', flags: ['linkdown'] },
      { dst: 'default', gateway: '10.0.0.1', dev: 'tt-a', flags: [] },
      { dst: '10.80.0.0/24', flags: [], nexthops: [{ gateway: '10.0.0.7', dev: 'tt-a' }, { gateway: '10.0.0.8', dev: 'tt-a' }] },
    ];
    assert.deepEqual(dump.map((j) => routeFromJson(j, 4)), [
      { dst: '10.65.0.3/32', type: 'unicast', dev: 'tt-a', scope: 'link' },
      { dst: '10.65.1.0/26', type: 'blackhole' },
      { dst: '10.65.2.0/26', type: 'unicast', dev: 'tt-a', via: '10.0.0.7', scope: 'global' },
      { dst: '10.65.3.0/26', type: 'unicast', dev: 'tt-a', via: '10.0.0.8', onlink: true, scope: 'global' },
      { dst: '10.65.6.0/26', type: 'unicast', dev: 'tt-a', via: '10.0.0.9', scope: 'global', src: '10.0.0.5' },
      { dst: '0.0.0.0/0', type: 'unicast', dev: 'tt-a', via: '10.0.0.1', scope: 'global' },
      { dst: '10.80.0.0/24', type: 'unicast', scope: 'global' }, // multipath: not a shape we write
    ]);
    const v6 = [
      { dst: 'fd00:1::/64', dev: 'tt-a', metric: 1024, flags: [], pref: 'medium' },
      { type: 'blackhole', dst: 'fd00:3::/64', dev: 'lo', metric: 1024, flags: [], pref: 'medium' },
      { dst: 'fd00:2::5', gateway: 'fe80::1', dev: 'tt-a', metric: 1024, flags: [], pref: 'medium' },
    ];
    assert.deepEqual(v6.map((j) => routeFromJson(j, 6)), [
      { dst: 'fd00:1::/64', type: 'unicast', dev: 'tt-a', scope: 'global' },
      { dst: 'fd00:3::/64', type: 'blackhole' },
      { dst: 'fd00:2::5/128', type: 'unicast', dev: 'tt-a', via: 'fe80::1', scope: 'global' },
    ]);
  });

  it('reads whole tables and `ip route get` as the kernel lists them, every protocol, fields as printed', () => {
    const dump = [
      { dst: 'default', gateway: '10.0.0.1', dev: 'eth0', flags: [] },
      { dst: '10.0.0.0/24', dev: 'eth0', protocol: 'kernel', scope: 'link', prefsrc: '10.0.0.11', flags: [] },
      { dst: '192.168.190.194', dev: 'cali0123456789a', protocol: '80', scope: 'link', flags: [] },
      { dst: '192.168.1.0/26', gateway: '192.168.1.0', dev: 'vxlan.tortie', protocol: '80', flags: ['onlink'] },
      { type: 'blackhole', dst: '192.168.236.0/26', protocol: '80', flags: [] },
      { type: 'local', dst: '10.0.0.11', dev: 'eth0', table: 'local', protocol: 'kernel', scope: 'host', prefsrc: '10.0.0.11', flags: [] },
      { dst: 'fd00::/64', dev: 'eth0', protocol: 'kernel', metric: 256, flags: [], pref: 'medium' },
    ];
    assert.deepEqual(dump.map(kernelRouteFromJson), [
      { dst: 'default', gateway: '10.0.0.1', dev: 'eth0', flags: [] },
      { dst: '10.0.0.0/24', dev: 'eth0', protocol: 'kernel', scope: 'link', prefsrc: '10.0.0.11', flags: [] },
      { dst: '192.168.190.194', dev: 'cali0123456789a', protocol: '80', scope: 'link', flags: [] },
      { dst: '192.168.1.0/26', gateway: '192.168.1.0', dev: 'vxlan.tortie', protocol: '80', flags: ['onlink'] },
      { type: 'blackhole', dst: '192.168.236.0/26', protocol: '80', flags: [] },
      { type: 'local', dst: '10.0.0.11', dev: 'eth0', table: 'local', protocol: 'kernel', scope: 'host', prefsrc: '10.0.0.11', flags: [] },
      { dst: 'fd00::/64', dev: 'eth0', protocol: 'kernel', metric: 256, flags: [] },
    ]);
    // `ip -j route get 10.0.0.12 from 192.168.236.3 iif cali3c5…`
    assert.deepEqual(kernelRouteFromJson({ dst: '10.0.0.12', iif: 'cali3c5', dev: 'eth0', flags: [], uid: 0, cache: [] } as object),
      { dst: '10.0.0.12', dev: 'eth0', flags: [] });
  });

  it('writes route lines with our protocol; deletes name it too', () => {
    assert.equal(routeReplaceLine({ dst: '10.65.3.0/26', type: 'unicast', via: '10.0.0.8', dev: 'tt-a', onlink: true, scope: 'global' }, 80),
      'route replace 10.65.3.0/26 via 10.0.0.8 dev tt-a onlink scope global proto 80');
    assert.equal(routeReplaceLine({ dst: '10.65.1.0/26', type: 'blackhole' }, 80), 'route replace blackhole 10.65.1.0/26 proto 80');
    assert.equal(routeReplaceLine({ dst: 'fd00::/64', type: 'unicast', dev: 'x', scope: 'global' }, 80), 'route replace fd00::/64 dev x proto 80');
    assert.equal(routeDelLine({ dst: '10.65.1.0/26', type: 'blackhole' }, 80), 'route del 10.65.1.0/26 proto 80');
  });

  it('maps `-force -batch` stderr back to lines, and ignores deletes of what is gone', () => {
    const stderr = 'RTNETLINK answers: No such process\nCommand failed -:1\nCannot find device "nonexist"\nCommand failed -:3\n' +
      'Error: Nexthop has invalid gateway.\nCommand failed -:5\n';
    const batch = ['route del 10.99.0.0/26 proto 80', 'route replace a', 'route replace b dev nonexist', 'route replace c', 'route replace d via 192.168.0.1'];
    const errs = parseBatchErrors(stderr);
    assert.equal(errs.fatal, null);
    assert.deepEqual(batchFailures(batch, errs), [
      { command: 'route replace b dev nonexist', error: 'Cannot find device "nonexist"' },
      { command: 'route replace d via 192.168.0.1', error: 'Error: Nexthop has invalid gateway.' },
    ]);
    // `ip neigh` exits on its first kernel error: no "Command failed" line, the rest never ran.
    assert.deepEqual(parseBatchErrors('RTNETLINK answers: No such file or directory\n'), { lines: [], fatal: 'RTNETLINK answers: No such file or directory' });
  });

  it('reads links with details and addresses (`ip -j -d addr show`)', () => {
    const dump = [
      { ifindex: 3, link: 'tt-b', ifname: 'tt-a', flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'], mtu: 1500, address: '12:8C:b9:d9:e1:06',
        linkinfo: { info_kind: 'veth' }, addr_info: [{ family: 'inet', local: '10.0.0.5', prefixlen: 24 }, { family: 'inet6', local: 'fe80::1', prefixlen: 64 }] },
      { ifindex: 4, ifname: 'vxlan.tortie', flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'], mtu: 1450, address: '66:aa:bb:cc:dd:01',
        linkinfo: { info_kind: 'vxlan', info_data: { id: 4096, local: '10.0.0.5', link: 'tt-a', port: 4789, learning: false } }, addr_info: [] },
      { ifindex: 5, ifname: 'tt-c', flags: ['NO-CARRIER', 'BROADCAST', 'MULTICAST', 'UP'], mtu: 1500, address: '02:00:00:00:00:01', linkinfo: { info_kind: 'veth' } },
    ];
    assert.deepEqual(linksFromJson([{ ifindex: 7, ifname: 'cali0123456789a', flags: ['UP', 'LOWER_UP'], mtu: 1500, address: 'ee:ee:ee:ee:ee:ee', link_netnsid: 3, linkinfo: { info_kind: 'veth' } } satisfies JsonLink]),
      [{ name: 'cali0123456789a', index: 7, kind: 'veth', mtu: 1500, mac: 'ee:ee:ee:ee:ee:ee', up: true, addresses: [], linkNetnsId: 3 }]);
    assert.deepEqual(linksFromJson(dump), [
      { name: 'tt-a', index: 3, kind: 'veth', mtu: 1500, mac: '12:8c:b9:d9:e1:06', up: true, addresses: ['10.0.0.5/24', 'fe80::1/64'] },
      { name: 'vxlan.tortie', index: 4, kind: 'vxlan', mtu: 1450, mac: '66:aa:bb:cc:dd:01', up: true, addresses: [], vxlan: { vni: 4096, port: 4789, local: '10.0.0.5', parent: 'tt-a' } },
      { name: 'tt-c', index: 5, kind: 'veth', mtu: 1500, mac: '02:00:00:00:00:01', up: false, addresses: [] },
    ]);
  });

  it('reads permanent neighbours and remote FDB entries', () => {
    assert.deepEqual(neighboursFromJson('vx', [{ dst: '10.65.9.0', lladdr: '66:AA:bb:cc:dd:02', state: ['PERMANENT'] }, { dst: '10.65.8.0', lladdr: '66:aa:bb:cc:dd:03', state: ['STALE'] }, { dst: '10.65.7.0', state: ['FAILED'] }]),
      [{ dev: 'vx', ip: '10.65.9.0', mac: '66:aa:bb:cc:dd:02' }]);
    assert.deepEqual(neighboursFromJson('vx', [{ dst: '10.65.9.0', lladdr: '66:AA:bb:cc:dd:02', state: ['PERMANENT'] }, { dst: '10.65.8.0', lladdr: '66:aa:bb:cc:dd:03', state: ['STALE'] }, { dst: '10.65.7.0', state: ['FAILED'] }], true),
      [{ dev: 'vx', ip: '10.65.9.0', mac: '66:aa:bb:cc:dd:02' }, { dev: 'vx', ip: '10.65.8.0', mac: '66:aa:bb:cc:dd:03' }]);
    assert.deepEqual(fdbFromJson('vx', [{ mac: '66:aa:bb:cc:dd:02', dst: '10.0.0.9', flags: ['self'], state: 'permanent' } as { mac: string; dst: string }, { mac: '33:33:00:00:00:01' }]),
      [{ dev: 'vx', mac: '66:aa:bb:cc:dd:02', dst: '10.0.0.9' }]);
  });
});
