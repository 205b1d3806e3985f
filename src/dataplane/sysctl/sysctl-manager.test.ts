import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeNetlink } from '../fake-netlink.js';
import { FakeSysctl } from '../fake-sysctl.js';
import { SysctlManager } from './sysctl-manager.js';

function world(): { k: FakeNetlink; s: FakeSysctl } {
  const k = new FakeNetlink();
  k.addVethPair('cali1', 'tt-pod1');
  k.addVethPair('cali2', 'tt-pod2');
  return { k, s: new FakeSysctl({ interfaces: () => k.linkNames() }) };
}

describe('SysctlManager', () => {
  it('sets ip_forward and each workload interface\'s four settings', async () => {
    const { s } = world();
    const m = new SysctlManager(s);
    m.setWorkloadInterfaces(['cali1']);
    const r = await m.apply();
    assert.deepEqual(r, { written: 5, vanished: [] });
    assert.equal(s.writes[0], 'net/ipv4/ip_forward=1', 'the global comes first');
    assert.equal(await s.read('net.ipv4.ip_forward'), '1');
    assert.equal(await s.read('net/ipv4/conf/cali1/proxy_arp'), '1');
    assert.equal(await s.read('net.ipv4.neigh.cali1.proxy_delay'), '0');
    assert.equal(await s.read('net/ipv4/conf/cali1/forwarding'), '1');
    assert.equal(await s.read('net/ipv4/conf/cali1/route_localnet'), '1');
    assert.equal(await s.read('net/ipv4/conf/cali2/proxy_arp'), '0', 'not a workload yet');
    assert.ok(m.inSync);
  });

  it('writes only what differs, and nothing on a second apply', async () => {
    const { s } = world();
    await s.write('net/ipv4/conf/cali1/proxy_arp', '1');
    const m = new SysctlManager(s);
    m.setWorkloadInterfaces(['cali1']);
    await m.apply();
    assert.equal(s.writes.filter((w) => w === 'net/ipv4/conf/cali1/proxy_arp=1').length, 1, 'only the test\'s own write: the manager saw it was set');
    const n = s.writes.length;
    await m.resync();
    await m.apply();
    assert.equal(s.writes.length, n);
  });

  it('repairs drift found by a resync', async () => {
    const { s } = world();
    const m = new SysctlManager(s);
    m.setWorkloadInterfaces(['cali1', 'cali2']);
    await m.apply();
    await s.write('net/ipv4/conf/cali2/proxy_arp', '0');
    await m.resync();
    const n = s.writes.length;
    assert.deepEqual(await m.apply(), { written: 1, vanished: [] });
    assert.deepEqual(s.writes.slice(n), ['net/ipv4/conf/cali2/proxy_arp=1']);
  });

  it('tolerates an interface that vanished, and sets it up again when it comes back', async () => {
    const { k, s } = world();
    const m = new SysctlManager(s);
    m.setWorkloadInterfaces(['cali1', 'cali2']);
    await m.apply();
    m.addWorkloadInterface('cali3'); // the CNI plugin's veth is already gone
    const r = await m.apply();
    assert.equal(r.written, 0);
    assert.equal(r.vanished.length, 4);
    k.addVethPair('cali3', 'tt-pod3');
    assert.deepEqual(await m.apply(), { written: 4, vanished: [] });
    assert.equal(await s.read('net/ipv4/conf/cali3/proxy_arp'), '1');
  });

  it('an interface re-created with the same name gets its settings after a resync', async () => {
    const { k, s } = world();
    const m = new SysctlManager(s);
    m.setWorkloadInterfaces(['cali1']);
    await m.apply();
    await k.deleteLink('cali1');
    assert.equal(await s.read('net/ipv4/conf/cali1/proxy_arp'), null);
    k.addVethPair('cali1', 'tt-pod1');
    assert.equal(await s.read('net/ipv4/conf/cali1/proxy_arp'), '0', 'a new interface starts with the defaults');
    await m.resync();
    await m.apply();
    assert.equal(await s.read('net/ipv4/conf/cali1/proxy_arp'), '1');
  });

  it('forgets a removed workload without writing anything', async () => {
    const { s } = world();
    const m = new SysctlManager(s);
    m.setWorkloadInterfaces(['cali1', 'cali2']);
    await m.apply();
    const n = s.writes.length;
    m.removeWorkloadInterface('cali2');
    await m.apply();
    assert.equal(s.writes.length, n);
    assert.ok(m.inSync);
  });

  it('a changed workload set writes only the newcomers; a global of the same path returns when its interface leaves', async () => {
    const { k, s } = world();
    k.addVethPair('cali3', 'tt-pod3');
    const m = new SysctlManager(s, { globals: [['net/ipv4/ip_forward', '1'], ['net/ipv4/conf/cali1/proxy_arp', '0']] });
    m.setWorkloadInterfaces(['cali1', 'cali2']);
    await m.apply();
    assert.equal(await s.read('net/ipv4/conf/cali1/proxy_arp'), '1', 'the workload setting wins while cali1 is a workload');
    const n = s.writes.length;
    m.setWorkloadInterfaces(['cali2', 'cali3']);
    assert.deepEqual(await m.apply(), { written: 5, vanished: [] });
    assert.deepEqual(s.writes.slice(n).sort(), ['net/ipv4/conf/cali1/proxy_arp=0', 'net/ipv4/conf/cali3/forwarding=1', 'net/ipv4/conf/cali3/proxy_arp=1',
      'net/ipv4/conf/cali3/route_localnet=1', 'net/ipv4/neigh/cali3/proxy_delay=0']);
    m.setWorkloadInterfaces(['cali2', 'cali3']);
    assert.deepEqual(await m.apply(), { written: 0, vanished: [] });
    assert.ok(m.inSync);
  });

  it('handles interface names with dots (slashed paths), and dotted names are resolved', async () => {
    const k = new FakeNetlink();
    k.addLink({ name: 'vxlan.tortie', kind: 'vxlan' });
    const s = new FakeSysctl({ interfaces: () => k.linkNames() });
    const m = new SysctlManager(s);
    m.setWorkloadInterfaces(['vxlan.tortie']);
    await m.apply();
    assert.equal(await s.read('net/ipv4/conf/vxlan.tortie/proxy_arp'), '1');
    assert.equal(await s.read('net.ipv4.conf.vxlan/tortie.proxy_arp'), '1', 'procps: "/" stands for "."');
    assert.equal(await s.read('net.ipv4.conf.vxlan.tortie.proxy_arp'), '1', 'ambiguous dotted name: the split that exists');
  });

  it('writes nothing before the desired state was set', async () => {
    const { s } = world();
    const m = new SysctlManager(s);
    assert.deepEqual(await m.apply(), { written: 0, vanished: [] });
    assert.deepEqual(s.writes, []);
  });

  it('a failure other than a vanished interface is raised', async () => {
    const s = new FakeSysctl({ interfaces: () => ['lo'] });
    const m = new SysctlManager(s, { globals: [['net/ipv4/no_such_knob', '1']] });
    m.setWorkloadInterfaces([]);
    await assert.rejects(m.apply(), /does not exist/);
  });
});
