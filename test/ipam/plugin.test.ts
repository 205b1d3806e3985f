// The tortie-ipam executable as runtimes and other plugins call it: directly, and under the
// reference `ptp` plugin (Debian's containernetworking-plugins) inside network namespaces.

import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { openStore } from '../../src/datastore/connect/index.js';
import { validateDocument } from '../../src/model/index.js';
import { ResourceClient } from '../../src/resources/index.js';
import { tempDir } from '../support/temp-dir.js';

const BIN_DIR = fileURLToPath(new URL('../../../bin/', import.meta.url));
const PLUGIN = join(BIN_DIR, 'tortie-ipam');
const PTP = '/usr/lib/cni/ptp';

interface Run { code: number; out: unknown; raw: string }

function run(cmd: string[], env: Record<string, string>, stdin: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(cmd[0]!, cmd.slice(1), { env: { PATH: process.env['PATH'] ?? '', TORTIE_CONFIG: '/dev/null', ...env }, timeout: 60_000 }, (err, stdout) => {
      let out: unknown = null;
      try { out = stdout.trim() ? JSON.parse(stdout) : null; } catch { out = { unparsable: stdout }; }
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 99) : 0, out, raw: stdout });
    });
    child.stdin!.end(stdin);
  });
}

const dir = tempDir('ipam-plugin');
const storePath = join(dir.path, 'store.db');
after(() => dir.remove());

before(async () => {
  const store = await openStore({ type: 'embedded', path: storePath });
  try {
    const docs = [
      { apiVersion: 'projectcalico.org/v3', kind: 'IPPool', metadata: { name: 'pods' }, spec: { cidr: '10.44.0.0/16' } },
      { apiVersion: 'projectcalico.org/v3', kind: 'Node', metadata: { name: 'tt-node' }, spec: {} },
    ].map((d) => { const v = validateDocument(d); assert.ok(v.ok); return v.resource; });
    await new ResourceClient(store).apply(docs);
  } finally {
    await store.close();
  }
});

const conf = (extra: Record<string, unknown> = {}, version = '1.0.0'): string => JSON.stringify({
  cniVersion: version, name: 'tt-net', type: 'ptp', ipam: { type: 'tortie-ipam', nodename: 'tt-node', store_path: storePath, ...extra },
});

describe('tortie-ipam called directly', () => {
  it('VERSION lists the supported versions', async () => {
    const r = await run([PLUGIN], { CNI_COMMAND: 'VERSION' }, conf());
    assert.equal(r.code, 0);
    assert.deepEqual(r.out, { cniVersion: '1.0.0', supportedVersions: ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'] });
  });

  it('ADD gives a /32 in the requested version, is idempotent per attachment; CHECK and DEL follow it', async () => {
    const env = { CNI_COMMAND: 'ADD', CNI_CONTAINERID: 'direct1', CNI_NETNS: '/var/run/netns/tt-none', CNI_IFNAME: 'eth0' };
    const a = await run([PLUGIN], env, conf({}, '0.3.1'));
    assert.equal(a.code, 0, a.raw);
    const ip = (a.out as { ips: Array<{ version: string; address: string }> }).ips[0]!;
    assert.equal(ip.version, '4', '0.3.x results carry the IP version');
    assert.match(ip.address, /^10\.44\.\d+\.\d+\/32$/);
    const again = await run([PLUGIN], env, conf({}, '0.3.1'));
    assert.deepEqual(again.out, a.out, 'a repeated ADD returns the same address');
    assert.equal((await run([PLUGIN], { ...env, CNI_COMMAND: 'CHECK' }, JSON.stringify({ ...JSON.parse(conf()), prevResult: { ips: [{ address: ip.address }] } }))).code, 0);
    assert.equal((await run([PLUGIN], { ...env, CNI_COMMAND: 'DEL' }, conf())).code, 0);
    assert.equal((await run([PLUGIN], { ...env, CNI_COMMAND: 'DEL' }, conf())).code, 0, 'DEL is idempotent');
    const check = await run([PLUGIN], { ...env, CNI_COMMAND: 'CHECK' }, conf());
    assert.equal(check.code, 1);
    assert.match(String((check.out as { msg: string }).msg), /No address is allocated to tt-net\.direct1/);
  });

  it('answers mistakes with the spec\'s error codes and a message saying what to fix', async () => {
    const base = { CNI_CONTAINERID: 'x', CNI_NETNS: '/var/run/netns/tt-none', CNI_IFNAME: 'eth0' };
    const cases: Array<[Record<string, string>, string, number, RegExp]> = [
      [{ ...base, CNI_COMMAND: 'ADD' }, '{not json', 6, /not JSON/],
      [{ ...base, CNI_COMMAND: 'ADD' }, conf({}, '9.9.9'), 1, /cniVersion 9\.9\.9 is not supported/],
      [{ CNI_COMMAND: 'ADD', CNI_CONTAINERID: 'x', CNI_IFNAME: 'eth0' }, conf(), 4, /CNI_NETNS is required for ADD/],
      [{ ...base, CNI_COMMAND: 'ADD' }, conf({ datastore_type: 'mongo' }), 7, /datastore_type "mongo"/],
      [{ ...base, CNI_COMMAND: 'ADD' }, conf({ ipv4_pools: ['nope'] }), 101, /IP pool nope does not exist/],
      [{ ...base, CNI_COMMAND: 'ADD' }, conf({ nodename: 'ghost' }), 101, /Node ghost does not exist/],
      [{ ...base, CNI_COMMAND: 'ADD' }, conf({ datastore_type: 'etcdv3', etcd_endpoints: 'http://127.0.0.1:9' }), 11, /etcd at http:\/\/127\.0\.0\.1:9/],
    ];
    for (const [env, stdin, code, msg] of cases) {
      const r = await run([PLUGIN], env, stdin);
      assert.equal(r.code, 1, r.raw);
      assert.equal((r.out as { code: number }).code, code, r.raw);
      assert.match((r.out as { msg: string }).msg, msg);
    }
  });
});

const isRoot = process.getuid?.() === 0;
describe('tortie-ipam under the reference ptp plugin', { skip: !isRoot ? 'needs root (network namespaces)' : false }, () => {
  const host = 'tt-ipam-host', pod = 'tt-ipam-pod';
  const ns = (args: string[]): string => execFileSync('ip', args, { encoding: 'utf8' });
  before(() => {
    for (const n of [host, pod]) { try { ns(['netns', 'del', n]); } catch { /* not there */ } ns(['netns', 'add', n]); }
    ns(['-n', host, 'link', 'set', 'lo', 'up']);
  });
  after(() => { for (const n of [pod, host]) { try { ns(['netns', 'del', n]); } catch { /* gone */ } } });

  it('ptp sets up a pod with the address tortie-ipam gives, and DEL gives it back', async () => {
    // ptp wants a connected subnet and a gateway, not Calico's host routes: address_prefix "block".
    const c = conf({ address_prefix: 'block', gateway: '169.254.1.1' });
    const env = { CNI_CONTAINERID: 'ptp1', CNI_NETNS: `/var/run/netns/${pod}`, CNI_IFNAME: 'eth0', CNI_PATH: `${BIN_DIR}:/usr/lib/cni` };
    // ptp runs inside the host namespace, so everything it creates stays in namespaces of ours.
    const add = await run(['ip', 'netns', 'exec', host, PTP], { ...env, CNI_COMMAND: 'ADD' }, c);
    assert.equal(add.code, 0, add.raw);
    const addr = (add.out as { ips: Array<{ address: string; gateway: string }> }).ips[0]!;
    assert.match(addr.address, /^10\.44\.\d+\.\d+\/26$/);
    assert.equal(addr.gateway, '169.254.1.1');
    const ip = addr.address.split('/')[0]!;
    assert.match(ns(['-n', pod, 'addr', 'show', 'eth0']), new RegExp(`inet ${ip.replace(/\./g, '\\.')}/26`));
    execFileSync('ip', ['netns', 'exec', host, 'ping', '-c', '1', '-W', '2', ip]);
    const del = await run(['ip', 'netns', 'exec', host, PTP], { ...env, CNI_COMMAND: 'DEL' }, c);
    assert.equal(del.code, 0, del.raw);
    const check = await run([PLUGIN], { ...env, CNI_COMMAND: 'CHECK' }, c);
    assert.equal(check.code, 1, 'the address went back to the pool');
  });
});
