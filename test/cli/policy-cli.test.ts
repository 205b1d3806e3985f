// tortie policy trace / matrix and apply --dry-run --impact, through the real executable, on the
// embedded store and on a real etcd: the x/y/z × a/b/c world with one Kubernetes NetworkPolicy.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { EtcdServer } from '../support/etcd-server.js';
import { tempDir } from '../support/temp-dir.js';
import { tortie } from '../support/tortie-cli.js';
import { xyzWorld } from '../support/policy-fixtures.js';

const dir = tempDir('policy-cli');
after(() => dir.remove());

const POLICY = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: x-a-from-y, namespace: x }
spec:
  podSelector: { matchLabels: { pod: a } }
  ingress:
  - from: [{ namespaceSelector: { matchLabels: { ns: y } } }]
    ports: [{ port: 80 }]
`;

function file(name: string, text: string): string {
  const p = join(dir.path, name);
  writeFileSync(p, text);
  return p;
}

function policySuite(backend: string, env: Record<string, string>): void {
describe(`tortie policy on ${backend}`, () => {
  before(async () => {
    const world = xyzWorld().map((r) => ({ ...r, apiVersion: 'projectcalico.org/v3', metadata: { ...r.metadata } }));
    const r = await tortie(['apply', '-f', file('world.yaml', world.map((d) => stringify(d)).join('---\n'))], env);
    assert.equal(r.code, 0, r.stderr);
  });

  it('apply --dry-run --impact lists the pairs that would change, and writes nothing', async () => {
    const r = await tortie(['apply', '--dry-run', '--impact', '-o', 'json', '-f', file('policy.yaml', POLICY)], env);
    assert.equal(r.code, 0, r.stderr);
    const rows = JSON.parse(r.stdout) as Array<{ from: string; to: string; protocol: string; port: number | null; before: string; after: string }>;
    assert.ok(rows.length > 0);
    assert.ok(rows.every((x) => x.to === 'x/a' && x.before === 'allow' && x.after === 'deny'));
    assert.ok(rows.some((x) => x.from === 'x/b' && x.protocol === 'tcp' && x.port === 80));
    assert.ok(!rows.some((x) => x.from.startsWith('y/') && x.protocol === 'tcp' && x.port === 80), 'y may still reach x/a on TCP 80');
    const got = await tortie(['get', 'networkpolicy', '-n', 'x', '-o', 'json'], env);
    assert.equal(JSON.parse(got.stdout).items.length, 0, 'the dry run wrote nothing');
    const text = await tortie(['apply', '--dry-run', '--impact', '-f', join(dir.path, 'policy.yaml')], env);
    assert.match(text.stdout, /NetworkPolicy x\/knp\.default\.x-a-from-y would be created \(dry run: nothing written\)/);
    assert.match(text.stdout, /^x\/b\s+x\/a\s+TCP\s+80\s+allow\s+deny$/m);
  });

  it('trace explains the verdict in words and in JSON', async () => {
    assert.equal((await tortie(['apply', '-f', join(dir.path, 'policy.yaml')], env)).code, 0);
    const denied = await tortie(['policy', 'trace', '--from', 'x/b', '--to', 'x/a', '--protocol', 'tcp', '--port', '80'], env);
    assert.equal(denied.code, 0, denied.stderr);
    assert.match(denied.stdout, /^DENY: x\/b \(10\.0\.0\.2\) → x\/a \(10\.0\.0\.1\), TCP port 80$/m);
    assert.match(denied.stdout, /ingress of x\/a: DENY by end of tier default/);
    const json = await tortie(['policy', 'trace', '--from', 'y/c', '--to', 'x/a', '--protocol', 'tcp', '--port', '80', '-o', 'json'], env);
    const t = JSON.parse(json.stdout) as { verdict: string; ingress: { decision: { policy: string; rule: number } } };
    assert.equal(t.verdict, 'allow');
    assert.equal(t.ingress.decision.policy, 'NetworkPolicy x/knp.default.x-a-from-y');
    assert.equal(t.ingress.decision.rule, 0);
    const ip = await tortie(['policy', 'trace', '--from', '192.0.2.1', '--to', 'x/a', '--protocol', 'icmp', '-o', 'json'], env);
    assert.equal(JSON.parse(ip.stdout).verdict, 'deny');
  });

  it('matrix: rows for every pair, protocol and port; ICMP as echo without a port', async () => {
    const r = await tortie(['policy', 'matrix', '--ports', '80,81', '--protocols', 'tcp,udp,sctp,icmp', '--ip', '192.0.2.1', '-o', 'json'], env);
    assert.equal(r.code, 0, r.stderr);
    const rows = JSON.parse(r.stdout) as Array<{ from: string; to: string; protocol: string; port: number | null; verdict: string }>;
    // 10 peers: 10 × 10 ordered pairs minus the IP to itself; 7 rows each (3 protocols × 2 ports + ICMP).
    assert.equal(rows.length, (10 * 10 - 1) * 7);
    assert.deepEqual(rows.find((x) => x.from === 'x/b' && x.to === 'x/a' && x.protocol === 'tcp' && x.port === 80)?.verdict, 'deny');
    assert.deepEqual(rows.find((x) => x.from === 'y/b' && x.to === 'x/a' && x.protocol === 'tcp' && x.port === 80)?.verdict, 'allow');
    assert.deepEqual(rows.find((x) => x.from === 'x/a' && x.to === 'y/c' && x.protocol === 'icmp')?.port, null);
    const table = await tortie(['policy', 'matrix', '-n', 'x', '--ports', '80'], env);
    assert.match(table.stdout, /^TCP\/80\s+x\/a\s+x\/b\s+x\/c$/m);
    assert.match(table.stdout, /^x\/b\s+X\s+\.\s+\.$/m);
  });

  it('names what is wrong: an unknown pod, a bad peer, a missing port', async () => {
    const unknown = await tortie(['policy', 'trace', '--from', 'x/nope', '--to', 'x/a', '--protocol', 'tcp', '--port', '80'], env);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /^Error \[TORTIE_ERR_POLICY_UNKNOWN_ENDPOINT\]: .*x\/nope.*workloads in x: x\/a, x\/b, x\/c/);
    const bad = await tortie(['policy', 'trace', '--from', 'not a peer', '--to', 'x/a', '--protocol', 'tcp', '--port', '80'], env);
    assert.match(bad.stderr, /TORTIE_ERR_POLICY_BAD_PEER/);
    const noPort = await tortie(['policy', 'trace', '--from', 'x/b', '--to', 'x/a', '--protocol', 'udp'], env);
    assert.match(noPort.stderr, /^Error \[TORTIE_ERR_CLI_USAGE\]: --port is required for udp/);
    const impactAlone = await tortie(['apply', '--impact', '-f', join(dir.path, 'policy.yaml')], env);
    assert.match(impactAlone.stderr, /TORTIE_ERR_CLI_USAGE/);
  });
});
}

policySuite('the embedded store', { TORTIE_STORE_PATH: join(dir.path, 'store.db') });

const etcdEnv: Record<string, string> = { TORTIE_DATASTORE: 'etcd' };
let etcd: EtcdServer;
before(async () => { etcd = await EtcdServer.start(); etcdEnv['TORTIE_ETCD_ENDPOINTS'] = etcd.endpoint; });
after(async () => { await etcd?.stop(); });
policySuite('etcd', etcdEnv);
