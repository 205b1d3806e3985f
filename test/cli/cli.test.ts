// The CLI end to end, through the real executable, on both real backends.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { EtcdStore } from '../../src/datastore/etcd/index.js';
import { SqliteStore } from '../../src/datastore/sqlite/index.js';
import type { Store } from '../../src/datastore/ports.js';
import { EtcdServer } from '../support/etcd-server.js';
import { freePort } from '../support/free-port.js';
import { tempDir } from '../support/temp-dir.js';
import { makeTlsFiles } from '../support/tls-certs.js';
import { tortie } from '../support/tortie-cli.js';

const dir = tempDir('cli');
after(() => dir.remove());

const POOL = `apiVersion: projectcalico.org/v3
kind: IPPool
metadata:
  name: default-ipv4-ippool
spec:
  cidr: 192.168.0.0/16
  ipipMode: Always
  natOutgoing: true
`;

const THREE_MISTAKES = `apiVersion: projectcalico.org/v3
kind: IPPool
metadata:
  name: good-pool
spec:
  cidr: 10.10.0.0/16
---
apiVersion: projectcalico.org/v3
kind: IPPool
metadata:
  name: bad-pool
spec:
  cidr: 10.0.0.0/33
  ipipMode: Sometimes
  blockSize: 40
`;

function file(name: string, text: string): string {
  const p = join(dir.path, name);
  writeFileSync(p, text);
  return p;
}

interface Backend { name: string; env: () => Record<string, string>; raw: () => Promise<Store> }

function backendSuite(b: Backend): void {
  describe(`tortie CLI on ${b.name}`, () => {
    it('applies a projectcalico.org/v3 manifest and shows it with Calico defaults; the key is Calico\'s', async () => {
      const applied = await tortie(['apply', '-f', file('pool.yaml', POOL)], b.env());
      assert.equal(applied.code, 0, applied.stderr);
      assert.equal(applied.stdout, 'IPPool default-ipv4-ippool created\n');
      const got = await tortie(['get', 'ippool', 'default-ipv4-ippool', '-o', 'yaml'], b.env());
      assert.equal(got.code, 0, got.stderr);
      const doc = parse(got.stdout) as { apiVersion: string; kind: string; metadata: Record<string, string>; spec: Record<string, unknown> };
      assert.equal(doc.apiVersion, 'tortie.io/v1');
      assert.equal(doc.kind, 'IPPool');
      assert.deepEqual(doc.spec, {
        cidr: '192.168.0.0/16', ipipMode: 'Always', vxlanMode: 'Never', natOutgoing: true, disabled: false,
        disableBGPExport: false, nodeSelector: 'all()', assignmentMode: 'Automatic', blockSize: 26, allowedUses: ['Workload', 'Tunnel'],
      });
      assert.match(doc.metadata['resourceVersion']!, /^\d+$/);
      assert.match(doc.metadata['uid']!, /^[0-9a-f-]{36}$/);
      const raw = await b.raw();
      try {
        const kv = await raw.get('/calico/resources/v3/projectcalico.org/ippools/default-ipv4-ippool');
        const stored = kv.value as { apiVersion: string; metadata: Record<string, unknown>; spec: unknown };
        assert.equal(stored.apiVersion, 'projectcalico.org/v3');
        assert.equal(stored.metadata['resourceVersion'], undefined, 'the revision is the store\'s, not stored in the value');
        assert.deepEqual(stored.spec, doc.spec);
        assert.equal(String(kv.revision), doc.metadata['resourceVersion']);
      } finally {
        await raw.close();
      }
    });

    it('tables use calicoctl\'s columns; kind names are case-insensitive with plurals and short names', async () => {
      for (const k of ['ippools', 'IPPool', 'ipp', 'Pools']) {
        const r = await tortie(['get', k], b.env());
        assert.equal(r.code, 0, r.stderr);
        assert.deepEqual(r.stdout.split('\n')[0]!.split(/\s+/), ['NAME', 'CIDR', 'SELECTOR']);
      }
      const wide = await tortie(['get', 'ippools', '-o', 'wide'], b.env());
      assert.deepEqual(wide.stdout.split('\n')[1]!.split(/\s+/), ['default-ipv4-ippool', '192.168.0.0/16', 'true', 'Always', 'Never', 'false', 'false', 'all()']);
    });

    it('a manifest with three mistakes exits 1, names all three paths, and stores nothing', async () => {
      const before = await b.raw().then(async (s) => { try { return await s.revision(); } finally { await s.close(); } });
      const r = await tortie(['apply', '-f', file('bad.yaml', THREE_MISTAKES)], b.env());
      assert.equal(r.code, 1);
      assert.match(r.stderr, /^Error \[TORTIE_ERR_MANIFEST_INVALID\]: 3 problems in 1 of 2 documents; nothing was written/);
      for (const p of ['spec.cidr: "10.0.0.0/33" is not a valid CIDR', 'spec.ipipMode: "Sometimes" is not one of: Never, Always, CrossSubnet', 'spec.blockSize: 40']) {
        assert.ok(r.stderr.includes(p), `missing "${p}" in:\n${r.stderr}`);
      }
      const get = await tortie(['get', 'ippool', 'good-pool'], b.env());
      assert.equal(get.code, 1, 'the valid document in the same manifest was not written either');
      const after = await b.raw().then(async (s) => { try { return await s.revision(); } finally { await s.close(); } });
      assert.equal(after, before);
    });

    it('-o yaml and -o json round-trip through apply (unchanged), and delete/re-create works', async () => {
      for (const fmt of ['yaml', 'json']) {
        const out = await tortie(['get', 'ippools', '-o', fmt], b.env());
        assert.equal(out.code, 0);
        const list = (fmt === 'json' ? JSON.parse(out.stdout) : parse(out.stdout)) as { kind: string; items: unknown[] };
        assert.equal(list.kind, 'List');
        assert.equal(list.items.length, 1);
        const again = await tortie(['apply', '-f', file(`round.${fmt}`, out.stdout)], b.env());
        assert.equal(again.code, 0, again.stderr);
        assert.equal(again.stdout, 'IPPool default-ipv4-ippool unchanged\n');
      }
      const single = await tortie(['get', 'ippool', 'default-ipv4-ippool', '-o', 'json'], b.env());
      assert.equal((JSON.parse(single.stdout) as { kind: string }).kind, 'IPPool', 'one named object prints as itself');
      const del = await tortie(['delete', 'ippool', 'default-ipv4-ippool'], b.env());
      assert.equal(del.stdout, 'IPPool default-ipv4-ippool deleted\n');
      const gone = await tortie(['delete', 'ippool', 'default-ipv4-ippool'], b.env());
      assert.equal(gone.code, 1);
      assert.match(gone.stderr, /TORTIE_ERR_DATASTORE_NOT_FOUND/);
      assert.equal((await tortie(['delete', 'ippool', 'default-ipv4-ippool', '--skip-not-exists'], b.env())).code, 0);
      const back = await tortie(['apply', '-f', join(dir.path, 'round.yaml')], b.env());
      assert.equal(back.stdout, 'IPPool default-ipv4-ippool created\n');
    });

    it('create refuses an existing object and writes none of its batch; replace is conditional on resourceVersion', async () => {
      const two = `${POOL}---\napiVersion: tortie.io/v1\nkind: IPPool\nmetadata: {name: second}\nspec: {cidr: 10.20.0.0/16}\n`;
      const c = await tortie(['create', '-f', file('two.yaml', two)], b.env());
      assert.equal(c.code, 1);
      assert.match(c.stderr, /TORTIE_ERR_DATASTORE_ALREADY_EXISTS\]: IPPool default-ipv4-ippool already exists/);
      assert.equal((await tortie(['get', 'ippool', 'second'], b.env())).code, 1);
      const skip = await tortie(['create', '-f', join(dir.path, 'two.yaml'), '--skip-exists'], b.env());
      assert.equal(skip.stdout, 'IPPool default-ipv4-ippool skipped\nIPPool second created\n');

      const cur = parse((await tortie(['get', 'ippool', 'second', '-o', 'yaml'], b.env())).stdout) as { spec: Record<string, unknown> };
      cur.spec['natOutgoing'] = true;
      const staleFile = file('stale.yaml', JSON.stringify(cur));
      assert.equal((await tortie(['replace', '-f', staleFile], b.env())).code, 0);
      const stale = await tortie(['replace', '-f', staleFile], b.env());
      assert.equal(stale.code, 1, 'the same resourceVersion twice: the second is stale');
      assert.match(stale.stderr, /TORTIE_ERR_DATASTORE_CONFLICT/);
      assert.equal((await tortie(['delete', '-f', join(dir.path, 'two.yaml')], b.env())).code, 0);
    });
  });
}

let etcd: EtcdServer;
const sqlitePath = join(dir.path, 'store.db');
before(async () => { etcd = await EtcdServer.start(); });
after(async () => { await etcd?.stop(); });

backendSuite({
  name: 'embedded (SQLite)',
  env: () => ({ TORTIE_STORE_PATH: sqlitePath }),
  raw: async () => new SqliteStore({ path: sqlitePath }),
});
backendSuite({
  name: 'etcd',
  env: () => ({ TORTIE_DATASTORE: 'etcd', TORTIE_ETCD_ENDPOINTS: etcd.endpoint }),
  raw: () => EtcdStore.open({ endpoints: [etcd.endpoint] }),
});

describe('tortie CLI errors', () => {
  it('exits 2 and names the endpoint when etcd is unreachable', async () => {
    const port = await freePort();
    const r = await tortie(['get', 'ippools', '--datastore', 'etcd', '--etcd-endpoints', `http://127.0.0.1:${port}`]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`^Error \\[TORTIE_ERR_DATASTORE_UNAVAILABLE\\]: .*127\\.0\\.0\\.1:${port}`));
  });

  it('names the store file when it cannot be opened (exit 2) or is not a store (exit 1)', async () => {
    const r = await tortie(['get', 'ippools', '--store-path', '/proc/tt-no-such-dir/store.db']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /TORTIE_ERR_DATASTORE_UNAVAILABLE\]: Cannot open the sqlite file \/proc\/tt-no-such-dir\/store.db/);
    const junk = file('not-a-store.db', 'this is not sqlite'.repeat(100));
    const j = await tortie(['get', 'ippools', '--store-path', junk]);
    assert.equal(j.code, 1, j.stderr);
    assert.match(j.stderr, /TORTIE_ERR_DATASTORE_CORRUPT\]: The sqlite file .*not-a-store.db is not a Tortie store/);
  });

  it('exits 1 with a usage error for bad flags and configs, without a stack trace', async () => {
    const cases: [string[], RegExp][] = [
      [['get'], /TORTIE_ERR_CLI_USAGE/],
      [['get', 'ippools', '-o', 'xml'], /TORTIE_ERR_CLI_USAGE/],
      [['get', 'ippools', '--datastore', 'mysql'], /TORTIE_ERR_CONFIG_INVALID\]: Datastore "mysql"/],
      [['get', 'ippools', '--datastore', 'etcd'], /TORTIE_ERR_CONFIG_INVALID\]: The etcd datastore needs endpoints/],
      [['get', 'ippools', '--datastore', 'etcd', '--etcd-endpoints', 'localhost:2379'], /TORTIE_ERR_CONFIG_INVALID/],
      [['apply', '-f', '/nonexistent/x.yaml'], /TORTIE_ERR_FILE_UNREADABLE\]: Cannot read \/nonexistent\/x.yaml/],
    ];
    for (const [args, re] of cases) {
      const r = await tortie(args, { TORTIE_STORE_PATH: sqlitePath });
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, re);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    }
  });

  it('reports YAML syntax errors with their line', async () => {
    const r = await tortie(['validate', '-f', file('broken.yaml', 'kind: IPPool\nspec: {cidr: [\n')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /TORTIE_ERR_MANIFEST_PARSE\]: .*broken.yaml is not valid YAML or JSON at line \d+/);
  });
});

describe('tortie CLI on etcd over TLS with client certificates', () => {
  let tlsEtcd: EtcdServer;
  const certs = tempDir('tls');
  const tls = makeTlsFiles(certs.path);
  before(async () => { tlsEtcd = await EtcdServer.start({ tls: { ca: tls.ca, serverCert: tls.serverCert, serverKey: tls.serverKey } }); });
  after(async () => { await tlsEtcd?.stop(); certs.remove(); });

  it('writes and reads with --etcd-ca-cert-file/--etcd-cert-file/--etcd-key-file, and the same from a config file', async () => {
    const flags = ['--datastore', 'etcd', '--etcd-endpoints', tlsEtcd.endpoint, '--etcd-ca-cert-file', tls.ca, '--etcd-cert-file', tls.clientCert, '--etcd-key-file', tls.clientKey];
    const applied = await tortie(['apply', '-f', file('tls-pool.yaml', POOL), ...flags]);
    assert.equal(applied.code, 0, applied.stderr);
    const cfg = file('tortie.yaml', `apiVersion: projectcalico.org/v3\nkind: CalicoAPIConfig\nspec:\n  datastoreType: etcdv3\n  etcdEndpoints: ${tlsEtcd.endpoint}\n  etcdCACertFile: ${tls.ca}\n  etcdCertFile: ${tls.clientCert}\n  etcdKeyFile: ${tls.clientKey}\n`);
    const got = await tortie(['get', 'ippools', '-c', cfg]);
    assert.equal(got.code, 0, got.stderr);
    assert.match(got.stdout, /default-ipv4-ippool\s+192\.168\.0\.0\/16/);
    const noCert = await tortie(['get', 'ippools', '--datastore', 'etcd', '--etcd-endpoints', tlsEtcd.endpoint, '--etcd-ca-cert-file', tls.ca]);
    assert.equal(noCert.code, 2, 'without a client certificate the server refuses us');
    assert.match(noCert.stderr, /TORTIE_ERR_DATASTORE_UNAVAILABLE/);
  });
});
