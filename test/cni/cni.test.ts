// The tortie CNI plugin as a runtime calls it: the native shim (dist/tortie-cni, installed as
// "tortie" on CNI_PATH) run inside the node's namespace, handing the request to the node's agent.

import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { WorkloadEndpoint } from '../../src/model/index.js';
import { AgentCluster } from '../agent/cluster.js';
import { TORTIE } from '../support/cluster-lab.js';

const run = promisify(execFile);
const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const isRoot = process.getuid?.() === 0;

interface CniCall { code: number; out: Record<string, unknown> | null; raw: string }

describe('the tortie CNI plugin', { skip: isRoot ? false : 'needs root (network namespaces)', timeout: 600_000 }, () => {
  const c = new AgentCluster('cn');
  const cniPath = join(c.dir.path, 'cni-bin');
  const socket = (node: string): string => join(c.lab.stateDir, node, 'cni.sock');
  const conf = (node: string, extra: Record<string, unknown> = {}, version = '1.0.0'): Record<string, unknown> => ({
    cniVersion: version, name: 'k8s-pod-network', type: 'tortie', agent_socket: socket(node), ipam: { type: 'tortie-ipam' }, ...extra,
  });

  /** One plugin call, exactly as a runtime makes it: env, config on stdin, in the node's namespace. */
  function cni(plugin: string, node: string, env: Record<string, string>, config: unknown): Promise<CniCall> {
    return new Promise((resolve) => {
      const bin = existsSync(join(cniPath, plugin)) ? join(cniPath, plugin) : join('/usr/lib/cni', plugin);
      const p = spawn('ip', ['netns', 'exec', `tt-cn-${node}`, bin], {
        env: { PATH: process.env['PATH'] ?? '', CNI_PATH: `${cniPath}:/usr/lib/cni`, CNI_IFNAME: 'eth0', ...env }, stdio: ['pipe', 'pipe', 'pipe'],
      });
      let raw = '';
      p.stdout.on('data', (d: Buffer) => { raw += d; });
      p.on('close', (code) => {
        let out: Record<string, unknown> | null = null;
        try { out = raw.trim() ? JSON.parse(raw) as Record<string, unknown> : null; } catch { out = { unparsable: raw }; }
        resolve({ code: code ?? -1, out, raw });
      });
      p.stdin.end(typeof config === 'string' ? config : JSON.stringify(config));
    });
  }

  const podEnv = (pod: string, cmd: string): Record<string, string> => ({
    CNI_COMMAND: cmd, CNI_CONTAINERID: `cid-${pod}`, CNI_NETNS: `/var/run/netns/tt-cn-${pod}`, CNI_ARGS: `IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=${pod}`,
  });
  const makeNetns = (pod: string): void => {
    execFileSync('ip', ['netns', 'add', `tt-cn-${pod}`]);
  };
  const ipOf = (r: CniCall): string => String((r.out!['ips'] as Array<{ address: string }>)[0]!.address).split('/')[0]!;

  before(async () => {
    mkdirSync(cniPath, { recursive: true });
    symlinkSync(join(REPO, 'dist', 'tortie-cni'), join(cniPath, 'tortie'));
    symlinkSync(join(REPO, 'bin', 'tortie-ipam'), join(cniPath, 'tortie-ipam'));
    await c.start([['n1', 'A', 1], ['n2', 'A', 2]], { vxlanMode: 'Never' });
    await c.waitReady(['n1', 'n2']);
  });
  after(async () => { await c.destroy(); });

  it('ADD wires a pod that reaches another pod and its host; CHECK passes; DEL removes everything, twice', async () => {
    makeNetns('a1'); makeNetns('b1');
    const a = await cni('tortie', 'n1', podEnv('a1', 'ADD'), conf('n1'));
    assert.equal(a.code, 0, `${a.raw}\n${c.lab.agentLog('n1').slice(-3000)}`);
    const b = await cni('tortie', 'n2', podEnv('b1', 'ADD'), conf('n2'));
    assert.equal(b.code, 0, b.raw);
    const aip = ipOf(a), bip = ipOf(b);
    const iface = (a.out!['interfaces'] as Array<{ name: string; mac: string; sandbox?: string }>);
    assert.match(iface[0]!.name, /^cali[0-9a-f]{11}$/);
    assert.equal(iface[0]!.mac, 'ee:ee:ee:ee:ee:ee');
    assert.equal(iface[1]!.sandbox, '/var/run/netns/tt-cn-a1');
    assert.ok(await c.lab.pingUntil('tt-cn-a1', bip, 15_000), 'pod → pod across nodes');
    assert.ok(c.lab.ping('tt-cn-a1', '10.99.1.1'), 'pod → its host');
    const check = await cni('tortie', 'n1', podEnv('a1', 'CHECK'), { ...conf('n1'), prevResult: a.out });
    assert.equal(check.code, 0, `${check.raw}\n${c.lab.agentLog('n1').split('\n').filter((l) => !l.includes('"level":20')).slice(-30).join('\n')}`);
    const wep = (await c.resources.list(WorkloadEndpoint, 'default')).find((w) => w.spec['pod'] === 'a1')!;
    assert.equal(wep.spec['containerID'], 'cid-a1');
    assert.deepEqual(wep.spec['ipNetworks'], [`${aip}/32`]);

    assert.equal((await cni('tortie', 'n1', podEnv('a1', 'DEL'), conf('n1'))).code, 0);
    assert.ok(!c.lab.ip('n1', 'link', 'show').includes(iface[0]!.name), 'the veth is gone');
    const left = c.lab.ip('n1', 'route', 'show');
    assert.ok(!new RegExp(`^${aip.replace(/\./g, '\\.')} `, 'm').test(left), `the route is gone: ${left}`);
    assert.equal((await c.resources.list(WorkloadEndpoint, 'default')).some((w) => w.spec['pod'] === 'a1'), false, 'the endpoint is gone');
    assert.deepEqual(await c.ipam.ipsOfHandle('k8s-pod-network.cid-a1'), [], 'the address is released');
    assert.equal((await cni('tortie', 'n1', podEnv('a1', 'DEL'), conf('n1'))).code, 0, 'DEL again succeeds');
    execFileSync('ip', ['netns', 'del', 'tt-cn-a1']);
    assert.equal((await cni('tortie', 'n1', podEnv('a1', 'DEL'), conf('n1'))).code, 0, 'DEL with the netns gone succeeds');
    await cni('tortie', 'n2', podEnv('b1', 'DEL'), conf('n2'));
    execFileSync('ip', ['netns', 'del', 'tt-cn-b1']);
  });

  it('50 pods added and deleted concurrently: distinct addresses, nothing left behind, ipam check clean', async () => {
    const pods = Array.from({ length: 50 }, (_, i) => `c${i}`);
    for (const p of pods) makeNetns(p);
    const adds = await Promise.all(pods.map((p, i) => cni('tortie', i % 2 ? 'n2' : 'n1', podEnv(p, 'ADD'), conf(i % 2 ? 'n2' : 'n1'))));
    assert.deepEqual(adds.filter((r) => r.code !== 0).map((r) => r.raw), []);
    const ips = adds.map(ipOf);
    assert.equal(new Set(ips).size, 50);
    const dels = await Promise.all(pods.map((p, i) => cni('tortie', i % 2 ? 'n2' : 'n1', podEnv(p, 'DEL'), conf(i % 2 ? 'n2' : 'n1'))));
    assert.deepEqual(dels.filter((r) => r.code !== 0).map((r) => r.raw), []);
    for (const p of pods) execFileSync('ip', ['netns', 'del', `tt-cn-${p}`]);
    for (const n of ['n1', 'n2']) {
      const links = c.lab.ip(n, 'link', 'show');
      assert.doesNotMatch(links, /cali[0-9a-f]{11}/, `no cali* link left on ${n}: ${links}\n${c.lab.agentLog(n).split('\n').filter((l) => l.includes('"level":50') || l.includes('"level":40')).slice(-10).join('\n')}`);
      assert.doesNotMatch(c.lab.ip(n, 'route', 'show'), /dev cali/, `no pod route left on ${n}`);
    }
    assert.equal((await c.resources.list(WorkloadEndpoint)).length, 0);
    const check = await run(process.execPath, [TORTIE, 'ipam', 'check'], { env: { PATH: process.env['PATH'] ?? '', TORTIE_STORE_PATH: c.storePath, TORTIE_CONFIG: '/dev/null' } });
    assert.match(check.stdout, /Check complete; found 0 problems\./);
  });

  it('chained before the reference portmap plugin: a host port reaches the pod', async () => {
    makeNetns('web');
    const add = await cni('tortie', 'n1', podEnv('web', 'ADD'), conf('n1'));
    assert.equal(add.code, 0, add.raw);
    const pm = { cniVersion: '1.0.0', name: 'k8s-pod-network', type: 'portmap', capabilities: { portMappings: true },
      runtimeConfig: { portMappings: [{ hostPort: 18080, containerPort: 80, protocol: 'tcp' }] }, prevResult: add.out };
    const p = await cni('portmap', 'n1', podEnv('web', 'ADD'), pm);
    assert.equal(p.code, 0, `portmap: ${p.raw}`);
    const server = spawn('ip', ['netns', 'exec', 'tt-cn-web', process.execPath, '-e',
      "require('net').createServer((s) => s.end('hello from the pod\\n')).listen(80, () => console.log('up'))"], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      await new Promise((r) => server.stdout.once('data', r));
      const got = await run('ip', ['netns', 'exec', c.lab.router, process.execPath, '-e',
        "const s = require('net').connect(18080, '10.99.1.1'); s.on('data', (d) => { process.stdout.write(d); s.end(); }); s.setTimeout(10000, () => process.exit(2));"]);
      assert.equal(got.stdout, 'hello from the pod\n');
    } finally {
      server.kill();
      await cni('portmap', 'n1', podEnv('web', 'DEL'), pm);
      await cni('tortie', 'n1', podEnv('web', 'DEL'), conf('n1'));
      execFileSync('ip', ['netns', 'del', 'tt-cn-web']);
    }
  });

  it('works with the reference host-local IPAM plugin instead of tortie-ipam', async () => {
    makeNetns('hl');
    const hl = conf('n1', { ipam: { type: 'host-local', ranges: [[{ subnet: '10.65.200.0/24' }]], dataDir: join(c.dir.path, 'host-local') } });
    const add = await cni('tortie', 'n1', podEnv('hl', 'ADD'), hl);
    assert.equal(add.code, 0, add.raw);
    assert.match(ipOf(add), /^10\.65\.200\./);
    assert.ok(await c.lab.pingUntil('tt-cn-hl', '10.99.1.1', 15_000), 'pod → host');
    assert.equal((await cni('tortie', 'n1', podEnv('hl', 'DEL'), hl)).code, 0);
    execFileSync('ip', ['netns', 'del', 'tt-cn-hl']);
  });

  it('labels and named ports from args.cni reach the WorkloadEndpoint; STATUS answers; GC releases what is not valid any more', async () => {
    makeNetns('lbl');
    const withMeta = conf('n1', { args: { cni: { labels: [{ key: 'app', value: 'web' }], ports: [{ name: 'http', port: 8080, protocol: 'tcp' }] } } }, '1.1.0');
    const add = await cni('tortie', 'n1', podEnv('lbl', 'ADD'), withMeta);
    assert.equal(add.code, 0, add.raw);
    const wep = (await c.resources.list(WorkloadEndpoint, 'default')).find((w) => w.spec['pod'] === 'lbl')!;
    assert.deepEqual(wep.metadata.labels, { app: 'web' });
    assert.deepEqual(wep.spec['ports'], [{ name: 'http', port: 8080, protocol: 'TCP' }]);
    assert.equal((await cni('tortie', 'n1', { CNI_COMMAND: 'STATUS' }, conf('n1', {}, '1.1.0'))).code, 0, 'STATUS: the agent is ready');
    // GC with an empty list of valid attachments: everything of this network on the node goes.
    const gc = await cni('tortie', 'n1', { CNI_COMMAND: 'GC' }, { ...conf('n1', {}, '1.1.0'), 'cni.dev/valid-attachments': [] });
    assert.equal(gc.code, 0, gc.raw);
    assert.equal((await c.resources.list(WorkloadEndpoint, 'default')).some((w) => w.spec['pod'] === 'lbl'), false);
    assert.deepEqual(await c.ipam.ipsOfHandle('k8s-pod-network.cid-lbl'), []);
    assert.doesNotMatch(c.lab.ip('n1', 'link', 'show'), /cali[0-9a-f]{11}/);
    execFileSync('ip', ['netns', 'del', 'tt-cn-lbl']);
  });

  it('bad config and environment get the spec\'s codes and leave nothing behind', async () => {
    makeNetns('bad');
    const cases: Array<[Record<string, string>, unknown, number, RegExp]> = [
      [podEnv('bad', 'ADD'), '{oops', 6, /not (JSON|a JSON object)/],
      [podEnv('bad', 'ADD'), '{"cniVersion": "1.0.0", "agent_socket": "SOCK", }', 6, /not JSON/],
      [podEnv('bad', 'ADD'), { cniVersion: '1.0.0', type: 'tortie', agent_socket: socket('n1'), ipam: { type: 'tortie-ipam' } }, 7, /name is missing/],
      [podEnv('bad', 'ADD'), { ...conf('n1'), ipam: undefined }, 7, /no "ipam" section/],
      [podEnv('bad', 'ADD'), conf('n1', { ipam: { type: 'no-such-ipam' } }), 7, /"no-such-ipam" is not in CNI_PATH/],
      [{ ...podEnv('bad', 'ADD'), CNI_NETNS: '' }, conf('n1'), 4, /CNI_NETNS is required/],
      [podEnv('bad', 'ADD'), conf('n1', {}, '9.9.9'), 1, /not supported/],
      [podEnv('bad', 'ADD'), { ...conf('n1'), agent_socket: join(c.dir.path, 'no-agent.sock') }, 11, /not running/],
    ];
    for (const [env, config, code, msg] of cases) {
      const r = await cni('tortie', 'n1', env, typeof config === 'string' ? config.replace('SOCK', socket('n1')) : config);
      assert.equal(r.code, 1, r.raw);
      assert.equal(r.out!['code'], code, r.raw);
      assert.match(String(r.out!['msg']), msg);
    }
    // Nothing to wait for: a failed ADD undoes its work before it answers (the CNI spec's rule).
    assert.doesNotMatch(c.lab.ip('n1', 'link', 'show'), /cali[0-9a-f]{11}/);
    assert.equal((await c.resources.list(WorkloadEndpoint)).length, 0);
    assert.deepEqual(await c.ipam.ipsOfHandle('k8s-pod-network.cid-bad'), []);
    execFileSync('ip', ['netns', 'del', 'tt-cn-bad']);
  });
});
