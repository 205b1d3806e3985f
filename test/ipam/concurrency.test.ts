// IPAM under concurrency and faults, through the tortie-ipam plugin, on the real backends:
// 8 processes acting as 8 nodes allocate 250 addresses each at the same time — also while etcd
// is killed with SIGKILL and restarted 7 s later.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { DatastoreConfig } from '../../src/datastore/config.js';
import { openStore } from '../../src/datastore/connect/index.js';
import type { Store } from '../../src/datastore/ports.js';
import { affinityNode } from '../../src/ipam/block/index.js';
import { validateDocument, type Resource } from '../../src/model/index.js';
import { ResourceClient } from '../../src/resources/index.js';
import { EtcdServer } from '../support/etcd-server.js';
import { tempDir } from '../support/temp-dir.js';
import { within } from '../support/within.js';
import { audit, ipamState } from '../support/ipam-audit.js';
import { tortie } from '../support/tortie-cli.js';

const WORKER = fileURLToPath(new URL('./ipam-worker.js', import.meta.url));
const NODES = Array.from({ length: 8 }, (_, i) => `node${i + 1}`);
const PER_NODE = 250;

interface Line { containerId: string; exitCode: number; result: { ips?: Array<{ address: string }>; code?: number; msg?: string; details?: string } | null; startedAt: number; endedAt: number }

function runWorker(command: 'ADD' | 'DEL', node: string, count: number, conf: object): Promise<Line[]> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--enable-source-maps', WORKER, command, node, String(count), JSON.stringify({ ...conf, ipam: { ...(conf as { ipam: object }).ipam, nodename: node } })], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    p.stdout.on('data', (d: Buffer) => { out += d; });
    p.stderr.on('data', (d: Buffer) => { err += d; });
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve(out.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line)) : reject(new Error(`worker ${node} exited ${code}: ${err}`))));
  });
}

function doc(kind: string, name: string, spec: Record<string, unknown>): Resource {
  const v = validateDocument({ apiVersion: 'tortie.io/v1', kind, metadata: { name }, spec });
  assert.ok(v.ok, JSON.stringify(!v.ok && v.issues));
  return v.resource;
}

function scenario(name: string, config: () => DatastoreConfig, outage?: { kill: () => Promise<void>; start: () => Promise<void> }): void {
  describe(`IPAM through tortie-ipam, 8 nodes × ${PER_NODE}, ${name}`, () => {
    let store: Store;
    const network = 'k8s-pod-network';
    const conf = (): object => {
      const c = config();
      return {
        cniVersion: '1.0.0', name: network, type: 'ptp',
        ipam: c.type === 'embedded' ? { type: 'tortie-ipam', store_path: c.path } : { type: 'tortie-ipam', datastore_type: 'etcdv3', etcd_endpoints: c.endpoints.join(',') },
      };
    };
    before(async () => {
      store = await openStore(config());
      await new ResourceClient(store).apply([doc('IPPool', 'pool', { cidr: '10.96.0.0/20' }), ...NODES.map((n) => doc('Node', n, {}))]);
    });
    after(async () => { await store?.close(); });

    it(outage ? 'every ADD succeeds with a unique address, or fails clearly and holds nothing, across the outage; nothing leaks; DEL clears all; ipam check is clean'
      : 'hands out 2,000 distinct addresses, each in a block affine to its node; DEL of all empties the blocks', { timeout: 600_000 }, async (t) => {
      const adds = Promise.all(NODES.map((n) => runWorker('ADD', n, PER_NODE, conf())));
      let down: { from: number; to: number } | null = null;
      if (outage) {
        // Once the nodes are busy allocating, etcd dies with SIGKILL (no goodbye, whatever was in
        // flight) and comes back 7 s later: ADDs in flight ride it out (tortie-ipam waits up to
        // 30 s for the datastore) or fail with "try again later" holding nothing.
        let handles = 0;
        const busy = await within(120_000, async () => (handles = (await store.list('/calico/ipam/v2/handle/')).items.length) >= 100, 200);
        assert.notEqual(busy, null, `the nodes did not get going: ${handles} handles after 120 s`);
        const from = Date.now();
        await outage.kill();
        await new Promise((r) => setTimeout(r, 7000)); // the outage itself, not a wait for readiness
        await outage.start();
        down = { from, to: Date.now() };
      }
      const lines = (await adds).flat();
      assert.equal(lines.length, NODES.length * PER_NODE);
      const ok = lines.filter((l) => l.exitCode === 0);
      const failed = lines.filter((l) => l.exitCode !== 0);
      const ips = ok.map((l) => l.result!.ips![0]!.address.replace(/\/32$/, ''));
      assert.equal(new Set(ips).size, ips.length, 'no address was handed out twice');
      for (const f of failed) {
        // A clear CNI error: "try again later" for the outage, with a message naming the datastore.
        assert.equal(f.result?.code, 11, JSON.stringify(f.result));
        assert.match(f.result!.msg!, /etcd at http:\/\/127\.0\.0\.1:\d+/);
      }
      if (down) {
        // The test means something only if ADDs were in flight while etcd was down.
        // An ADD takes milliseconds; one that started before the kill and ended after the 7 s
        // without etcd waited the outage out.
        const across = lines.filter((l) => l.startedAt < down!.from && l.endedAt > down!.from + 7000);
        assert.ok(across.length > 0, `no ADD was in flight across the outage: ${ok.length} succeeded, ${failed.length} failed`);
        t.diagnostic(`${across.length} ADD(s) in flight across the ${Math.round((down.to - down.from) / 1000)} s outage; ${ok.length} succeeded, ${failed.length} failed`);
      } else {
        assert.equal(failed.length, 0, JSON.stringify(failed.slice(0, 3)));
      }

      // Every address held is held by an ADD that succeeded — a failed ADD holds nothing, also
      // one whose write landed before etcd died (the write is recognised when it is retried).
      const held = audit(await ipamState(store));
      assert.equal(held.size, ok.length, `${held.size} addresses held for ${ok.length} successful ADDs`);
      for (const l of ok) {
        const ip = l.result!.ips![0]!.address.replace(/\/32$/, '');
        const h = held.get(ip);
        assert.equal(h?.handle, `${network}.${l.containerId}`, `${ip} is held by its container's handle`);
        const node = l.containerId.split('-c')[0]!;
        assert.equal(affinityNode(h!.block), node, `${ip} lies in a block affine to ${node} (no borrowing was needed)`);
      }

      const dels = (await Promise.all(NODES.map((n) => runWorker('DEL', n, PER_NODE, conf())))).flat();
      assert.deepEqual(dels.filter((l) => l.exitCode !== 0), []);
      const after = await ipamState(store);
      assert.deepEqual(audit(after).size, 0);
      assert.equal(after.handles.size, 0, 'no handle is left');
      for (const b of after.blocks) assert.equal(b.unallocated.length, b.allocations.length, `block ${b.cidr} is empty`);
      if (outage) {
        const c = config();
        const check = await tortie(['ipam', 'check'], c.type === 'etcd' ? { TORTIE_DATASTORE: 'etcd', TORTIE_ETCD_ENDPOINTS: c.endpoints.join(',') } : { TORTIE_STORE_PATH: c.path });
        assert.match(check.stdout, /Check complete; found 0 problems/, `${check.stdout}${check.stderr}`);
      }
    });
  });
}

const dir = tempDir('ipam-conc');
after(() => dir.remove());
scenario('embedded store', () => ({ type: 'embedded', path: join(dir.path, 'store.db') }));

let etcd: EtcdServer;
before(async () => { etcd = await EtcdServer.start(); });
after(async () => { await etcd?.stop(); });
scenario('etcd', () => ({ type: 'etcd', endpoints: [etcd.endpoint] }));

let etcd2: EtcdServer;
before(async () => { etcd2 = await EtcdServer.start(); });
after(async () => { await etcd2?.stop(); });
scenario('etcd killed (SIGKILL) and restarted mid-run', () => ({ type: 'etcd', endpoints: [etcd2.endpoint] }), { kill: () => etcd2.halt('SIGKILL'), start: () => etcd2.restart() });
