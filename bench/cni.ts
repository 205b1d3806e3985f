// `npm run bench:cni`: ADD and DEL latency of the tortie CNI plugin (the native shim + the node's
// agent, Tortie's IPAM) next to the reference ptp + host-local plugins doing the same in the same
// run, on the same node namespace, pods alternating between the two.
// Output: a table, then one `BENCH_JSON {...}` line. Targets (reported, never enforced): ADD p50
// no more than 2× the reference, DEL p50 no more than 1.5×.

import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, symlinkSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import Table from 'cli-table3';
import { SqliteStore } from '../src/datastore/sqlite/index.js';
import { validateDocument } from '../src/model/index.js';
import { ResourceClient } from '../src/resources/index.js';
import { ClusterLab } from '../test/support/cluster-lab.js';
import { tempDir } from '../test/support/temp-dir.js';
import { percentile } from './measure.js';

const PODS = 100;
const REPO = fileURLToPath(new URL('../../', import.meta.url));

function call(node: string, plugin: string, env: Record<string, string>, conf: object): Promise<{ ms: number; code: number; out: string }> {
  return new Promise((resolve) => {
    const t = performance.now();
    const p = spawn('ip', ['netns', 'exec', node, plugin], { env: { PATH: process.env['PATH'] ?? '', CNI_IFNAME: 'eth0', ...env }, stdio: ['pipe', 'pipe', 'ignore'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => { out += d; });
    p.on('close', (code) => resolve({ ms: performance.now() - t, code: code ?? -1, out }));
    p.stdin.end(JSON.stringify(conf));
  });
}

async function main(): Promise<void> {
  const dir = tempDir('bench-cni');
  const lab = new ClusterLab('bc', dir.path);
  const cniPath = join(dir.path, 'cni-bin');
  const results = { tortie: { add: [] as number[], del: [] as number[] }, reference: { add: [] as number[], del: [] as number[] } };
  let storeRef: SqliteStore | null = null;
  try {
    mkdirSync(cniPath);
    symlinkSync(join(REPO, 'dist', 'tortie-cni'), join(cniPath, 'tortie'));
    lab.createRouter();
    const node = lab.addNode('n1', 'A', 1);
    const storePath = join(dir.path, 'store.db');
    storeRef = new SqliteStore({ path: storePath });
    const docs = [
      { apiVersion: 'projectcalico.org/v3', kind: 'IPPool', metadata: { name: 'pool' }, spec: { cidr: '10.65.0.0/16' } },
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } },
    ].map((d) => { const v = validateDocument(d); if (!v.ok) throw new Error(JSON.stringify(v.issues)); return v.resource; });
    await new ResourceClient(storeRef).apply(docs);
    const socket = join(dir.path, 'n1', 'cni.sock');
    lab.startAgent('n1', { TORTIE_STORE_PATH: storePath }, ['--cni-socket', socket]);
    for (let i = 0; i < 300; i++) {
      const kv = await storeRef.get('/calico/felix/v2/no-region/host/n1/status').catch(() => null);
      if ((kv?.value as { state?: string } | undefined)?.state === 'ready') break;
      await sleep(100);
    }
    const tortieConf = { cniVersion: '1.0.0', name: 'k8s-pod-network', type: 'tortie', agent_socket: socket, ipam: { type: 'tortie-ipam' } };
    const refConf = { cniVersion: '1.0.0', name: 'ref', type: 'ptp', ipam: { type: 'host-local', ranges: [[{ subnet: '10.201.0.0/16' }]], dataDir: join(dir.path, 'host-local') } };
    const envOf = (pod: string, cmd: string): Record<string, string> => ({
      CNI_COMMAND: cmd, CNI_CONTAINERID: `cid-${pod}`, CNI_NETNS: `/var/run/netns/${pod}`, CNI_PATH: `${cniPath}:/usr/lib/cni`,
      CNI_ARGS: `IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=${pod}`,
    });
    // Warm-up: one pod each, not measured.
    const pods = Array.from({ length: PODS + 1 }, (_, i) => `tt-bc-p${i}`);
    for (const p of pods) for (const side of ['t', 'r']) execFileSync('ip', ['netns', 'add', `${p}${side}`]);
    for (const [i, p] of pods.entries()) {
      const order = i % 2 === 0 ? ['t', 'r'] : ['r', 't'];
      for (const side of order) {
        const pod = `${p}${side}`;
        const r = side === 't'
          ? await call(node.netns, join(cniPath, 'tortie'), envOf(pod, 'ADD'), tortieConf)
          : await call(node.netns, '/usr/lib/cni/ptp', envOf(pod, 'ADD'), refConf);
        if (r.code !== 0) throw new Error(`${side === 't' ? 'tortie' : 'ptp'} ADD failed: ${r.out}`);
        if (i > 0) (side === 't' ? results.tortie : results.reference).add.push(r.ms);
      }
    }
    for (const [i, p] of pods.entries()) {
      const order = i % 2 === 0 ? ['r', 't'] : ['t', 'r'];
      for (const side of order) {
        const pod = `${p}${side}`;
        const r = side === 't'
          ? await call(node.netns, join(cniPath, 'tortie'), envOf(pod, 'DEL'), tortieConf)
          : await call(node.netns, '/usr/lib/cni/ptp', envOf(pod, 'DEL'), refConf);
        if (r.code !== 0) throw new Error(`${side === 't' ? 'tortie' : 'ptp'} DEL failed: ${r.out}`);
        if (i > 0) (side === 't' ? results.tortie : results.reference).del.push(r.ms);
      }
    }
  } finally {
    await lab.destroy();
    await storeRef?.close();
    dir.remove();
  }
  const stat = (xs: number[]): { p50: number; p99: number } => { const s = [...xs].sort((a, b) => a - b); return { p50: percentile(s, 50), p99: percentile(s, 99) }; };
  const rows = (['add', 'del'] as const).map((op) => {
    const t = stat(results.tortie[op]), r = stat(results.reference[op]);
    const target = op === 'add' ? 2 : 1.5;
    return { op, tortie: t, reference: r, ratio: t.p50 / r.p50, target, met: t.p50 / r.p50 <= target };
  });
  const table = new Table({ head: ['', 'tortie p50', 'tortie p99', 'ptp+host-local p50', 'p99', 'ratio p50', 'target'], style: { head: [], border: [] } });
  for (const r of rows) {
    table.push([r.op.toUpperCase(), `${r.tortie.p50.toFixed(1)} ms`, `${r.tortie.p99.toFixed(1)} ms`, `${r.reference.p50.toFixed(1)} ms`, `${r.reference.p99.toFixed(1)} ms`, r.ratio.toFixed(2), `≤ ${r.target} ${r.met ? 'met' : 'NOT met'}`]);
  }
  console.log(`${PODS} pods each, one at a time, alternating; every call through \`ip netns exec\` of the node namespace (the same cost on both sides)`);
  console.log(table.toString());
  console.log(`load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(`BENCH_JSON ${JSON.stringify({ bench: 'cni', pods: PODS, rows, loadavg: loadavg() })}`);
}

await main();
