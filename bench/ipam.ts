// `npm run bench:ipam`: Tortie's IPAM next to its ceiling and its reference, in the same run.
//
//   allocation   IpamService.autoAssign, one node (one loop) and 8 nodes (8 loops at once),
//                vs the datastore's raw compare-and-swap rate (1 loop / 8 loops on distinct keys):
//                an allocation is at least one CAS write, so the raw rate is its ceiling
//   CNI ADD      the tortie-ipam executable (a process per call, as a runtime runs it) vs the
//                reference host-local IPAM plugin (containernetworking-plugins), same calls
// Backends: the embedded SQLite store and a real etcd on loopback. Rates run in alternating rounds.
// Output: a table, then one `BENCH_JSON {...}` line. Target (reported, never enforced): single-node
// allocation >= 50% of the raw CAS rate on both backends.

import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import Table from 'cli-table3';
import { Etcd3 } from 'etcd3';
import type { DatastoreConfig } from '../src/datastore/config.js';
import { openStore } from '../src/datastore/connect/index.js';
import type { Store } from '../src/datastore/ports.js';
import { IpamService } from '../src/ipam/service/index.js';
import { validateDocument } from '../src/model/index.js';
import { ResourceClient } from '../src/resources/index.js';
import { EtcdServer } from '../test/support/etcd-server.js';
import { tempDir } from '../test/support/temp-dir.js';
import { RawSqlite, rawEtcdCas, rawEtcdCreate } from './datastore-raw.js';
import { alternate, type Loop, type RateResult } from './measure.js';

const run = promisify(execFile);
const ROUNDS = 4;
const SECONDS = { embedded: 0.5, etcd: 1 } as const;
const NODES = Array.from({ length: 8 }, (_, i) => `bench-node${i + 1}`);
const CNI_CALLS = 40;
const TARGET = 0.5;
const PLUGIN = fileURLToPath(new URL('../../bin/tortie-ipam', import.meta.url));
const HOST_LOCAL = '/usr/lib/cni/host-local';

type Backend = 'embedded' | 'etcd';

function resource(kind: string, name: string, spec: Record<string, unknown>) {
  const v = validateDocument({ apiVersion: 'tortie.io/v1', kind, metadata: { name }, spec });
  if (!v.ok) throw new Error(JSON.stringify(v.issues));
  return v.resource;
}

async function seed(store: Store): Promise<void> {
  // A big pool and no block limit, so rounds never run out of room.
  await new ResourceClient(store).apply([
    resource('IPPool', 'bench', { cidr: '10.128.0.0/10' }),
    resource('IPAMConfiguration', 'default', { strictAffinity: true, maxBlocksPerHost: 1_000_000 }),
    ...NODES.map((n) => resource('Node', n, {})),
  ]);
}

let handleSeq = 0;
const allocLoop = (ipam: IpamService, node: string): Loop => async (until) => {
  let n = 0;
  while (performance.now() < until) { await ipam.autoAssign({ node, handle: `bench.${handleSeq++}` }); n++; }
  return n;
};
const parallel = (loops: Loop[]): Loop => async (until) => (await Promise.all(loops.map((l) => l(until)))).reduce((a, b) => a + b, 0);

interface Row { backend: Backend; measurement: string; tortie: number; reference: number; unit: string; ratio: number }

/** A small value, and one the size of a busy /26 block as IpamService writes it. */
const SMALL = (n: number): string => `{"n":${n}}`;
const BLOCK = (n: number): string => JSON.stringify({
  cidr: '10.128.0.0/26', affinity: 'host:bench-node1', strictAffinity: false, sequenceNumber: n, deleted: false,
  allocations: Array.from({ length: 64 }, (_, i) => i), unallocated: [],
  attributes: Array.from({ length: 64 }, (_, i) => ({ handle_id: `k8s-pod-network.${n}-${i}`, secondary: { node: 'bench-node1', namespace: 'default', pod: `pod-${i}` } })),
  sequenceNumberForAllocation: Object.fromEntries(Array.from({ length: 64 }, (_, i) => [String(i), n])),
});

async function rates(backend: Backend, config: DatastoreConfig, rawCas: (key: string, value: (n: number) => string) => Promise<Loop>): Promise<Row[]> {
  const store = await openStore(config);
  try {
    await seed(store);
    const ipam = new IpamService(store, new ResourceClient(store));
    const opts = { rounds: ROUNDS, seconds: SECONDS[backend], warmupSeconds: SECONDS[backend] };
    const one = await alternate(allocLoop(ipam, NODES[0]!), await rawCas('/bench/raw/one', SMALL), opts);
    // The same, against a raw CAS of what an allocation really writes: a /26 block (~3 KB of JSON).
    const oneBlock = await alternate(allocLoop(ipam, NODES[0]!), await rawCas('/bench/raw/block', BLOCK), opts);
    const eight = await alternate(parallel(NODES.map((n) => allocLoop(ipam, n))), parallel(await Promise.all(NODES.map((n) => rawCas(`/bench/raw/${n}`, SMALL)))), opts);
    const row = (m: string, r: { a: RateResult; b: RateResult }): Row => ({
      backend, measurement: m, tortie: r.a.perSecond, reference: r.b.perSecond, unit: '/s', ratio: r.a.perSecond / r.b.perSecond,
    });
    return [row('allocations, 1 node vs raw CAS', one), row('allocations, 1 node vs raw CAS of a block-sized value', oneBlock), row('allocations, 8 nodes vs raw CAS ×8', eight)];
  } finally {
    await store.close();
  }
}

/** Mean milliseconds per call of a CNI IPAM plugin executable (ADD then DEL per container). */
async function cniCalls(bin: string, conf: object, env: Record<string, string>): Promise<{ add: number; del: number }> {
  let add = 0, del = 0;
  for (let i = 0; i < CNI_CALLS; i++) {
    const base = { PATH: process.env['PATH'] ?? '', CNI_CONTAINERID: `bench${i}`, CNI_NETNS: '/var/run/netns/tt-bench', CNI_IFNAME: 'eth0', CNI_PATH: '/usr/lib/cni', TORTIE_CONFIG: '/dev/null', ...env };
    for (const command of ['ADD', 'DEL'] as const) {
      const t = performance.now();
      const child = run(bin, [], { env: { ...base, CNI_COMMAND: command } });
      child.child.stdin!.end(JSON.stringify(conf));
      const r = await child;
      if (command === 'ADD' && !r.stdout.includes('"ips"')) throw new Error(`${bin} ADD gave ${r.stdout}`);
      if (command === 'ADD') add += performance.now() - t; else del += performance.now() - t;
    }
  }
  return { add: add / CNI_CALLS, del: del / CNI_CALLS };
}

async function main(): Promise<void> {
  const dir = tempDir('bench-ipam');
  const etcd = await EtcdServer.start();
  const raw = new Etcd3({ hosts: etcd.endpoint });
  const rows: Row[] = [];
  try {
    const sqlitePath = join(dir.path, 'store.db');
    const rawDb = new RawSqlite(join(dir.path, 'raw.db'));
    rows.push(...await rates('embedded', { type: 'embedded', path: sqlitePath }, async (key, value) => {
      let rev = rawDb.create(key, value(0));
      return async (until) => { let n = 0; while (performance.now() < until) { rev = rawDb.cas(key, value(n), rev); n++; } return n; };
    }));
    rows.push(...await rates('etcd', { type: 'etcd', endpoints: [etcd.endpoint] }, async (key, value) => {
      let rev = await rawEtcdCreate(raw, key, value(0));
      return async (until) => { let n = 0; while (performance.now() < until) { rev = await rawEtcdCas(raw, key, value(n), rev); n++; } return n; };
    }));
    rawDb.close();

    if (existsSync(HOST_LOCAL)) {
      const tortie = await cniCalls(PLUGIN, { cniVersion: '1.0.0', name: 'bench', type: 'ptp', ipam: { type: 'tortie-ipam', nodename: NODES[0], store_path: sqlitePath } }, {});
      const hostLocal = await cniCalls(HOST_LOCAL, { cniVersion: '1.0.0', name: 'bench', type: 'ptp', ipam: { type: 'host-local', dataDir: join(dir.path, 'host-local'), ranges: [[{ subnet: '10.200.0.0/16' }]] } }, {});
      rows.push({ backend: 'embedded', measurement: 'CNI ADD (process), vs host-local', tortie: tortie.add, reference: hostLocal.add, unit: 'ms', ratio: tortie.add / hostLocal.add });
      rows.push({ backend: 'embedded', measurement: 'CNI DEL (process), vs host-local', tortie: tortie.del, reference: hostLocal.del, unit: 'ms', ratio: tortie.del / hostLocal.del });
    } else {
      console.log(`(${HOST_LOCAL} is missing: install containernetworking-plugins for the CNI reference row)`);
    }
  } finally {
    raw.close();
    await etcd.stop();
    dir.remove();
  }

  const table = new Table({ head: ['backend', 'measurement', 'tortie', 'reference', 'tortie/reference'], style: { head: [], border: [] } });
  for (const r of rows) {
    const f = (v: number): string => (r.unit === 'ms' ? `${v.toFixed(1)} ms` : `${v.toFixed(0)}/s`);
    table.push([r.backend, r.measurement, f(r.tortie), f(r.reference), r.ratio.toFixed(2)]);
  }
  console.log(table.toString());
  for (const b of ['embedded', 'etcd'] as const) {
    const r = rows.find((x) => x.backend === b && x.measurement.startsWith('allocations, 1 node'))!;
    console.log(`${b}: single-node allocation is ${(r.ratio * 100).toFixed(0)}% of the raw CAS rate (target >= ${TARGET * 100}%): ${r.ratio >= TARGET ? 'met' : 'NOT met'}`);
  }
  console.log(`load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(`BENCH_JSON ${JSON.stringify({ bench: 'ipam', target: TARGET, rows, loadavg: loadavg() })}`);
}

await main();
