// One life of the writer that `sqlite-crash.test.ts` kills with SIGKILL. It works the embedded store
// as two nodes' CNI traffic does, through the real IpamService and ResourceClient, in a tight loop:
//
//   ADD     addresses → WorkloadEndpoint (the agent's CNI ADD order); an address is block +
//           handle in one commit, after a block claim when the node's blocks are full (pending
//           affinity, then block + confirmed affinity)
//   DEL     WorkloadEndpoint → release by handle: block + handle (the agent's CNI DEL order)
//   ledger  three keys /tt-crash/ledger/{a,b,c} holding the same counter, with padding of a few
//           pages, in one commit: any torn commit shows as keys that disagree
//
// and closes and reopens the store every 25 operations, as the CLI and the plugins do (so kills
// land in opening, WAL recovery and the checkpoint on close too); the history is compacted every
// 1,000 commits, inside a commit (historyRevisions 1,000). Before it starts, it releases
// what earlier lives left allocated without a WorkloadEndpoint (the runtime's CNI GC), so at any
// moment at most the one operation in flight can have left an address without its endpoint.
//
// argv: <store path> <seed> <life> [finish]   (finish: collect the leftovers, then exit 0)
// It touches nothing before a line arrives on stdin, so the parent can start the next life while
// it checks the last one. Marks on stdout, written with writeSync (a mark written is delivered
// even when SIGKILL follows at once):
//   W          loaded, waiting for the go
//   R          running        B  a commit begins     D <rev>  it returned at revision rev
//   F          it failed (nothing written)            L <n>    the commit that follows is ledger n

import { writeSync } from 'node:fs';
import { SqliteStore } from '../../src/datastore/sqlite/index.js';
import type { CommitResult, KV, WriteOp } from '../../src/datastore/ports.js';
import { HANDLE_PREFIX } from '../../src/ipam/block/index.js';
import { IpamService } from '../../src/ipam/service/index.js';
import { isTortieError } from '../../src/lib/errors.js';
import { WorkloadEndpoint, validateDocument, workloadEndpointName } from '../../src/model/index.js';
import { ResourceClient } from '../../src/resources/index.js';
import { prng } from '../support/prng.js';

const NODES = ['tt-node-a', 'tt-node-b'];
const NETWORK = 'tt-net';
const NAMESPACE = 'tt-crash';
const LEDGER = ['/tt-crash/ledger/a', '/tt-crash/ledger/b', '/tt-crash/ledger/c'];
const MAX_PER_NODE = 14;

const mark = (s: string): void => { writeSync(1, `${s}\n`); };

/** The real store, with a mark on each side of every commit. */
class MarkedStore extends SqliteStore {
  override async commit(ops: readonly WriteOp[]): Promise<CommitResult> {
    mark('B');
    let r: CommitResult;
    try { r = await super.commit(ops); } catch (e) { mark('F'); throw e; }
    mark(`D ${r.revision}`);
    return r;
  }
}

interface Pod { readonly node: string; readonly containerId: string; readonly pod: string; readonly ip: string }

const [path, seedText, life, finish] = process.argv.slice(2) as [string, string, string, string | undefined];
const random = prng(Number(seedText));
mark('W');
await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()));

let store = new MarkedStore({ path, historyRevisions: 1000 });
let resources = new ResourceClient(store);
let ipam = new IpamService(store, resources, { random });
const reopen = async (): Promise<void> => {
  await store.close();
  store = new MarkedStore({ path, historyRevisions: 1000 });
  resources = new ResourceClient(store);
  ipam = new IpamService(store, resources, { random });
};

const wepName = (node: string, pod: string): string => workloadEndpointName({ node, orchestrator: 'k8s', pod, endpoint: 'eth0' });

// What the endpoints say is running; everything else of our network was left by a killed life.
const pods: Pod[] = (await resources.list(WorkloadEndpoint, NAMESPACE)).map((w) => ({
  node: String(w.spec['node']), containerId: String(w.spec['containerID']), pod: String(w.spec['pod']),
  ip: String((w.spec['ipNetworks'] as string[])[0]).split('/')[0]!,
}));
const live = new Set(pods.map((p) => `${NETWORK}.${p.containerId}`));
for (const kv of (await store.list(`${HANDLE_PREFIX}${NETWORK}.`)).items) {
  const handle = kv.key.slice(HANDLE_PREFIX.length);
  if (!live.has(handle)) await ipam.releaseByHandle(handle);
}
if (finish) process.exit(0);
mark('R');

async function add(node: string, n: number): Promise<void> {
  const containerId = `tt-${life}-${n}`;
  const pod = `tt-pod-${life}-${n}`;
  const handle = `${NETWORK}.${containerId}`;
  const existing = await ipam.ipsOfHandle(handle);
  const ips = existing.length > 0 ? existing : await ipam.autoAssign({
    node, handle, count: 1, attributes: { node, namespace: NAMESPACE, pod, timestamp: new Date().toISOString() },
  });
  const v = validateDocument({
    apiVersion: 'projectcalico.org/v3', kind: 'WorkloadEndpoint',
    metadata: { name: wepName(node, pod), namespace: NAMESPACE },
    spec: {
      orchestrator: 'k8s', node, endpoint: 'eth0', containerID: containerId, pod,
      interfaceName: `tt${String(n).padStart(6, '0')}`.slice(0, 15), mac: 'ee:ee:ee:ee:ee:ee',
      ipNetworks: ips.map((a) => `${a}/32`), profiles: [`kns.${NAMESPACE}`],
    },
  });
  if (!v.ok) throw new Error(`invalid WorkloadEndpoint: ${JSON.stringify(v.issues)}`);
  await resources.apply([v.resource]);
  pods.push({ node, containerId, pod, ip: ips[0]! });
}

async function del(p: Pod): Promise<void> {
  await resources.delete([{ kind: WorkloadEndpoint, name: wepName(p.node, p.pod), namespace: NAMESPACE }], { skipMissing: true });
  pods.splice(pods.indexOf(p), 1);
  await ipam.releaseByHandle(`${NETWORK}.${p.containerId}`);
}

async function ledger(): Promise<void> {
  const cur = await Promise.all(LEDGER.map((k) => store.get(k).catch((e: unknown) => {
    if (isTortieError(e, 'TORTIE_ERR_DATASTORE_NOT_FOUND')) return null;
    throw e;
  })));
  const n = ((cur[0]?.value as { n?: number } | undefined)?.n ?? 0) + 1;
  // A few pages per key, so the commit spans many WAL frames.
  const pad = 'x'.repeat(Math.floor(random() * 12_000));
  mark(`L ${n}`);
  await store.commit(LEDGER.map((key, i): WriteOp => {
    const old: KV | null = cur[i] ?? null;
    const value = { n, pad };
    return old ? { op: 'update', key, value, revision: old.revision } : { op: 'create', key, value };
  }));
}

for (let n = 0; ; n++) {
  if (n > 0 && n % 25 === 0) await reopen();
  const node = NODES[n % NODES.length]!;
  const mine = pods.filter((p) => p.node === node);
  const r = random();
  if (r < 0.15) await ledger();
  else if (mine.length === 0 || (mine.length < MAX_PER_NODE && r < 0.6)) await add(node, n);
  else await del(mine[Math.floor(random() * mine.length)]!);
}
