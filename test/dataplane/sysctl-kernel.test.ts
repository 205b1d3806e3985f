// SysctlFs and the SysctlManager on the real /proc/sys, inside a scratch network namespace (the
// helper runs there via `ip netns exec`), plus name resolution against a scratch directory tree.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { SysctlFs } from '../../src/dataplane/linux/index.js';
import { isTortieError } from '../../src/lib/errors.js';
import { ScratchNetns, isRoot } from '../support/scratch-netns.js';
import { tempDir } from '../support/temp-dir.js';

const HELPER = fileURLToPath(new URL('./sysctl-helper.js', import.meta.url));

describe('SysctlFs name resolution (scratch tree)', () => {
  const dir = tempDir('sysctl');
  after(() => dir.remove());

  it('finds the split that exists for a dotted name with a dotted interface, and writes in place', async () => {
    const base = join(dir.path, 'net/ipv4/conf/vxlan.tortie');
    mkdirSync(base, { recursive: true });
    writeFileSync(join(base, 'proxy_arp'), '0\n');
    const fs = new SysctlFs({ root: dir.path });
    assert.equal(await fs.read('net.ipv4.conf.vxlan.tortie.proxy_arp'), '0');
    await fs.write('net.ipv4.conf.vxlan.tortie.proxy_arp', '1');
    assert.equal(readFileSync(join(base, 'proxy_arp'), 'utf8'), '1\n');
    assert.equal(await fs.read('net/ipv4/conf/vxlan.tortie/proxy_arp'), '1');
    assert.equal(await fs.read('net.ipv4.conf.vxlan/tortie.proxy_arp'), '1');
    assert.equal(await fs.read('net.ipv4.conf.nosuch.proxy_arp'), null);
    await assert.rejects(fs.write('net/ipv4/conf/nosuch/proxy_arp', '1'), (e: unknown) => isTortieError(e, 'TORTIE_ERR_DATAPLANE_SYSCTL') && e.details['errno'] === 'ENOENT');
  });
});

describe('SysctlManager on /proc/sys in a network namespace', { skip: isRoot ? false : 'needs root' }, () => {
  const ns = new ScratchNetns(`tt-sys${process.pid % 100000}`);
  const rootForward = readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8');
  before(() => {
    ns.create();
    ns.veth('tt-w1', 'tt-p1');
    ns.ip('link', 'add', 'vxlan.tortie', 'type', 'vxlan', 'id', '4096', 'dstport', '4789', 'nolearning');
  });
  after(() => ns.remove());

  const helper = (input: object): Record<string, unknown> =>
    JSON.parse(execFileSync('ip', ['netns', 'exec', ns.name, process.execPath, HELPER, JSON.stringify(input)], { encoding: 'utf8' })) as Record<string, unknown>;
  const cat = (p: string): string => ns.exec('cat', `/proc/sys/${p}`).trim();

  it('writes ip_forward and the workload settings, then nothing on the next apply; a vanished interface is tolerated', () => {
    assert.equal(cat('net/ipv4/conf/tt-w1/proxy_arp'), '0');
    const out = helper({
      workloads: ['tt-w1', 'vxlan.tortie', 'tt-gone'],
      reads: ['net.ipv4.ip_forward', 'net.ipv4.conf.vxlan.tortie.proxy_arp', 'net/ipv4/neigh/tt-w1/proxy_delay'],
    });
    assert.equal(out['error'], undefined, JSON.stringify(out));
    const first = out['first'] as { written: number; vanished: string[] };
    assert.equal(first.vanished.length, 4, 'the four tt-gone settings');
    assert.ok(first.written >= 8);
    assert.deepEqual(out['second'], { written: 0, vanished: first.vanished }, 'a second apply only retries the vanished interface');
    assert.deepEqual(out['reads'], { 'net.ipv4.ip_forward': '1', 'net.ipv4.conf.vxlan.tortie.proxy_arp': '1', 'net/ipv4/neigh/tt-w1/proxy_delay': '0' });
    for (const k of ['proxy_arp', 'forwarding', 'route_localnet']) assert.equal(cat(`net/ipv4/conf/tt-w1/${k}`), '1', k);
    assert.equal(cat('net/ipv4/neigh/tt-w1/proxy_delay'), '0');
    assert.equal(cat('net/ipv4/conf/vxlan.tortie/route_localnet'), '1');
    assert.equal(readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8'), rootForward, 'the root namespace is untouched');
  });

  it('reports a value the kernel rejects with the sysctl code', () => {
    const out = helper({ writes: [['net/ipv4/conf/tt-w1/proxy_arp', 'not-a-number']], workloads: [] });
    assert.equal(out['write net/ipv4/conf/tt-w1/proxy_arp'], 'TORTIE_ERR_DATAPLANE_SYSCTL');
  });
});
