// tortie lab end to end, through the real executable: clusters of 2 and 5 nodes, unencapsulated
// and VXLAN (CrossSubnet over two subnets, on a real etcd), every pod pinging every other; lab
// down leaving nothing behind; and Kubernetes-style policies whose real probe outcomes match the
// evaluator's matrix.

import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { TORTIE } from '../support/cluster-lab.js';
import { tempDir } from '../support/temp-dir.js';
import { tortie as cli, type CliResult } from '../support/tortie-cli.js';
import { within } from '../support/within.js';

const run = promisify(execFile);
const isRoot = process.getuid?.() === 0;
const dir = tempDir('lab');
after(() => dir.remove());
const env = { PATH: process.env['PATH'] ?? '', TORTIE_CONFIG: '/dev/null', TORTIE_LAB_DIR: join(dir.path, 'labs') };

const tortie = (...args: string[]): Promise<CliResult> => cli(args, env, undefined, 300_000);

const namespacesOf = (lab: string): string[] => execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').map((l) => l.split(' ')[0] ?? '').filter((n) => n.startsWith(`${lab}-`));

async function allPairsPing(lab: string, pods: string[]): Promise<string[]> {
  const failed: string[] = [];
  for (const a of pods) for (const b of pods) {
    if (a === b) continue;
    const r = await tortie('lab', 'ping', a, b, '--name', lab);
    if (r.code !== 0) failed.push(`${a} → ${b}`);
  }
  return failed;
}

describe('tortie lab', { skip: isRoot ? false : 'needs root (network namespaces)', timeout: 900_000 }, () => {
  after(async () => { for (const l of ['tl2', 'tl5', 'tlr', 'tlp']) await tortie('lab', 'down', '--name', l); });

  it('2 nodes, BGP mesh, no encapsulation: pods ping each other; status in JSON; down leaves nothing behind', async () => {
    const up = await tortie('lab', 'up', '--name', 'tl2', '--nodes', '2');
    assert.equal(up.code, 0, up.stderr);
    assert.match(up.stdout, /^node1\s+10\.0\.0\.11\/24\s+64512\s+\S+\s+1\/1 Established\s+ready$/m, 'lab up waits for the BGP session');
    for (const p of ['default/a', 'default/b', 'default/c']) assert.equal((await tortie('lab', 'pod', 'add', p, '--name', 'tl2')).code, 0);
    assert.deepEqual(await allPairsPing('tl2', ['default/a', 'default/b', 'default/c']), []);
    const st = JSON.parse((await tortie('lab', 'status', '--name', 'tl2', '-o', 'json')).stdout) as { nodes: Array<{ name: string; address: string; asNumber: number; blocks: string[]; bgp: string }>; pods: unknown[] };
    assert.deepEqual(st.nodes.map((n) => [n.name, n.address, n.asNumber, n.bgp]), [['node1', '10.0.0.11/24', 64512, '1/1 Established'], ['node2', '10.0.0.12/24', 64512, '1/1 Established']]);
    const other = st.nodes[1]!.blocks[0]!;
    assert.ok(execFileSync('ip', ['-n', 'tl2-n1', 'route'], { encoding: 'utf8' }).includes(`${other} via 10.0.0.12 dev eth0 proto 80`), 'node1 routes node2\'s block to node2');
    assert.ok(st.nodes.every((n) => n.blocks.length === 1), JSON.stringify(st.nodes));
    assert.equal(st.pods.length, 3);
    const envOut = (await tortie('lab', 'env', '--name', 'tl2')).stdout;
    assert.match(envOut, /^export TORTIE_DATASTORE='embedded'$/m);
    assert.match(envOut, /^export TORTIE_STORE_PATH='.*\/tl2\/store\.db'$/m);
    assert.equal((await tortie('lab', 'pod', 'rm', 'default/c', '--name', 'tl2')).code, 0);
    const down = await tortie('lab', 'down', '--name', 'tl2');
    assert.equal(down.code, 0, down.stderr);
    assert.deepEqual(namespacesOf('tl2'), []);
    assert.equal(existsSync(join(dir.path, 'labs', 'tl2')), false);
    assert.match((await tortie('lab', 'down', '--name', 'tl2')).stdout, /nothing left/, 'down is idempotent');
  });

  it('5 nodes over two subnets with VXLAN CrossSubnet on etcd: every pod pings every other', async () => {
    const up = await tortie('lab', 'up', '--name', 'tl5', '--nodes', '5', '--subnets', '2', '--encap', 'vxlan-crosssubnet', '--datastore', 'etcd');
    assert.equal(up.code, 0, up.stderr);
    const pods = ['default/a', 'default/b', 'default/c', 'default/d', 'default/e'];
    for (const p of pods) assert.equal((await tortie('lab', 'pod', 'add', p, '--name', 'tl5')).code, 0);
    assert.deepEqual(await allPairsPing('tl5', pods), []);
    const down = await tortie('lab', 'down', '--name', 'tl5');
    assert.equal(down.code, 0);
    assert.deepEqual(namespacesOf('tl5'), []);
  });

  it('5 nodes, route reflectors, no encapsulation: every pod pings every other; an external BIRD router learns every block', async () => {
    const up = await tortie('lab', 'up', '--name', 'tlr', '--nodes', '5', '--topology', 'rr');
    assert.equal(up.code, 0, up.stderr);
    assert.match(up.stdout, /^node1\s.*4\/4 Established \(RR\)/m);
    assert.match(up.stdout, /^node5\s.*2\/2 Established\s/m, 'a client peers with the two reflectors only');
    const pods = ['default/a', 'default/b', 'default/c', 'default/d', 'default/e'];
    for (const p of pods) assert.equal((await tortie('lab', 'pod', 'add', p, '--name', 'tlr')).code, 0);
    assert.deepEqual(await allPairsPing('tlr', pods), []);
    const r = await tortie('lab', 'router', 'add', 'tor', '--asn', '65000', '--name', 'tlr');
    assert.equal(r.code, 0, r.stderr);
    for (let i = 1; i <= 5; i++) assert.match(r.stdout, new RegExp(`^node${i}\\s+BGP\\s.*Established`, 'm'));
    const st = JSON.parse((await tortie('lab', 'status', '--name', 'tlr', '-o', 'json')).stdout) as { nodes: Array<{ blocks: string[]; bgp: string }>; routers: Array<{ name: string; asNumber: number }> };
    assert.deepEqual(st.routers.map((x) => [x.name, x.asNumber]), [['tor', 65000]]);
    assert.equal(st.nodes[4]!.bgp, '3/3 Established', 'a client now also peers with the router');
    const routes = execFileSync('ip', ['-n', 'tlr-xtor', 'route'], { encoding: 'utf8' });
    for (const b of st.nodes.flatMap((n) => n.blocks)) assert.ok(routes.includes(`${b} proto bird`), `the router has no route to ${b}:\n${routes}`);
    assert.equal((await tortie('lab', 'ping', 'tor', 'default/c', '--name', 'tlr')).code, 0, 'the router reaches a pod through the routes it learned');
    assert.equal((await tortie('lab', 'down', '--name', 'tlr')).code, 0);
    assert.deepEqual(namespacesOf('tlr'), []);
  });

  it('--encap ipip says clearly that this kernel lacks ipip', { skip: existsSync('/sys/module/ipip') ? 'this kernel has ipip' : false }, async () => {
    const up = await tortie('lab', 'up', '--name', 'tli', '--encap', 'ipip');
    assert.equal(up.code, 1);
    assert.match(up.stderr, /IPIP unavailable: this kernel lacks ipip/);
    assert.deepEqual(namespacesOf('tli'), []);
  });

  it('Kubernetes policies on x/y/z × a/b/c: real probes match the evaluator\'s matrix', async (t) => {
    // Without BGP: the agents program the routes between nodes from the datastore.
    assert.equal((await tortie('lab', 'up', '--name', 'tlp', '--nodes', '3', '--no-bgp')).code, 0);
    const pods: string[] = [];
    for (const ns of ['x', 'y', 'z']) {
      for (const pod of ['a', 'b', 'c']) {
        const r = await tortie('lab', 'pod', 'add', `${ns}/${pod}`, '--name', 'tlp', '--labels', `pod=${pod}`, '--port', 'serve-80:80/tcp', '--port', 'serve-81:81/tcp');
        assert.equal(r.code, 0, r.stderr);
        for (const port of ['80/tcp', '81/tcp']) await tortie('lab', 'serve', `${ns}/${pod}`, '--port', port, '--name', 'tlp');
        pods.push(`${ns}/${pod}`);
      }
    }
    const labEnv = Object.fromEntries((await tortie('lab', 'env', '--name', 'tlp')).stdout.trim().split('\n').map((l) => /^export (\w+)='(.*)'$/.exec(l)!.slice(1, 3) as [string, string]));
    const policies = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: allow-x-a-from-y, namespace: x }
spec:
  podSelector: { matchLabels: { pod: a } }
  ingress:
  - from: [{ namespaceSelector: { matchLabels: { kubernetes.io/metadata.name: y } } }]
    ports: [{ port: 80 }]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: deny-all-ingress, namespace: z }
spec:
  podSelector: {}
  policyTypes: [Ingress]
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: { name: no-b-to-81 }
spec:
  order: 10
  selector: pod == 'b'
  types: [Egress]
  egress:
  - action: Deny
    protocol: TCP
    destination: { ports: [81] }
  - action: Allow
`;
    writeFileSync(join(dir.path, 'policies.yaml'), policies);
    const applied = await run(process.execPath, [TORTIE, 'apply', '-f', join(dir.path, 'policies.yaml')], { env: { ...env, ...labEnv } });
    assert.match(applied.stdout, /created/);
    const matrix = JSON.parse((await run(process.execPath, [TORTIE, 'policy', 'matrix', '--ports', '80,81', '--protocols', 'tcp', '-o', 'json'], { env: { ...env, ...labEnv } })).stdout) as Array<{ from: string; to: string; port: number; verdict: string }>;
    // The agents have the policies: each reports counting all three (written after an apply, which
    // may have started just before they came: the retries below cover that).
    const labRun = (...args: string[]) => run(process.execPath, [TORTIE, ...args], { env: { ...env, ...labEnv } });
    const counts: Record<string, unknown> = {};
    const seen = await within(30_000, async () => {
      for (const n of ['node1', 'node2', 'node3']) counts[n] = (JSON.parse((await labRun('node', 'status', n, '-o', 'json')).stdout) as { agent: { policies?: number } | null }).agent?.policies;
      return Object.values(counts).every((c) => c === 3);
    }, 500);
    assert.notEqual(seen, null, `the agents' policy counts: ${JSON.stringify(counts)}`);
    // Every row once; a row that disagrees is probed again until it agrees or the deadline passes:
    // an agent may still be writing its table, or a probe gave up (after 1 s) on a busy machine.
    const rows = matrix.filter((row) => pods.includes(row.from) && pods.includes(row.to) && row.from !== row.to);
    const real = async (row: typeof rows[number]): Promise<string> =>
      (await tortie('lab', 'probe', row.from, row.to, '--port', String(row.port), '--protocol', 'tcp', '--name', 'tlp')).code === 0 ? 'allow' : 'deny';
    let pending = rows;
    let mismatches: string[] = [];
    let retried = 0;
    const agreeing = async (): Promise<boolean> => {
      const still: typeof rows = [];
      if (pending !== rows) retried += pending.length;
      mismatches = [];
      for (const row of pending) {
        const got = await real(row);
        if (got !== row.verdict) { still.push(row); mismatches.push(`${row.from} → ${row.to}:${row.port} evaluator ${row.verdict}, kernel ${got}`); }
      }
      pending = still;
      return pending.length === 0;
    };
    if (!(await agreeing())) await within(30_000, agreeing, 1000);
    t.diagnostic(`the agents counted the policies after ${seen} ms; ${rows.length} rows probed, ${retried} probed again`);
    assert.ok(matrix.some((r) => r.verdict === 'deny') && matrix.some((r) => r.verdict === 'allow'), 'both verdicts occur');
    if (mismatches.length > 0) {
      const labDirPath = join(dir.path, 'labs', 'tlp');
      const logs = ['node1', 'node2', 'node3'].map((n) => { try { return execFileSync('tail', ['-5', join(labDirPath, `${n}.log`)], { encoding: 'utf8' }); } catch { return ''; } }).join('\n');
      const table = (() => { try { return execFileSync('ip', ['netns', 'exec', 'tlp-n1', 'nft', 'list', 'table', 'inet', 'tortie'], { encoding: 'utf8' }).slice(0, 3000); } catch (e) { return String(e); } })();
      assert.deepEqual(mismatches, [], `${mismatches.length} of ${matrix.length} rows differ\n${logs}\n${table}`);
    }
    assert.equal((await tortie('lab', 'down', '--name', 'tlp')).code, 0);
  });
});
