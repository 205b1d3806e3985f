// Shared set-up of the agent integration tests: a ClusterLab whose nodes run real agents on one
// embedded store, and pods given addresses by Tortie's IPAM and registered as WorkloadEndpoints.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Store } from '../../src/datastore/ports.js';
import { SqliteStore } from '../../src/datastore/sqlite/index.js';
import { IpamService } from '../../src/ipam/service/index.js';
import { validateDocument, workloadEndpointName, type Resource } from '../../src/model/index.js';
import { ResourceClient } from '../../src/resources/index.js';
import { ClusterLab, type LabPod } from '../support/cluster-lab.js';
import { tempDir, type TempDir } from '../support/temp-dir.js';

export function doc(apiVersion: string, kind: string, name: string, spec: Record<string, unknown>, meta: Record<string, unknown> = {}): Resource {
  const v = validateDocument({ apiVersion, kind, metadata: { name, ...meta }, spec });
  assert.ok(v.ok, JSON.stringify(!v.ok && v.issues));
  return v.resource;
}

export class AgentCluster {
  readonly dir: TempDir;
  readonly lab: ClusterLab;
  readonly storePath: string;
  store!: Store;
  resources!: ResourceClient;
  ipam!: IpamService;

  constructor(readonly id: string) {
    this.dir = tempDir(`agent-${id}`);
    this.lab = new ClusterLab(id, this.dir.path);
    this.storePath = join(this.dir.path, 'store.db');
  }

  private extraArgs: (node: string) => string[] = () => [];

  async start(nodes: Array<[string, 'A' | 'B', number]>, pool: Record<string, unknown>, extraArgs?: (node: string) => string[]): Promise<void> {
    if (extraArgs) this.extraArgs = extraArgs;
    this.lab.createRouter();
    for (const [name, subnet, host] of nodes) this.lab.addNode(name, subnet, host);
    this.store = new SqliteStore({ path: this.storePath });
    this.resources = new ResourceClient(this.store);
    this.ipam = new IpamService(this.store, this.resources);
    await this.resources.apply([
      doc('projectcalico.org/v3', 'IPPool', 'pool', { cidr: '10.65.0.0/16', ...pool }),
      doc('v1', 'Namespace', 'default', {}),
    ]);
    for (const [name] of nodes) this.startAgent(name);
  }

  startAgent(node: string): void {
    this.lab.startAgent(node, { TORTIE_STORE_PATH: this.storePath }, ['--refresh-interval', '1', '--reporting-interval', '1', '--log-level', 'debug', ...this.extraArgs(node)]);
  }

  /** Waits until every named node has registered and reports "ready". */
  async waitReady(nodes: string[], ms = 30_000): Promise<void> {
    const end = performance.now() + ms;
    for (const n of nodes) {
      for (;;) {
        const kv = await this.store.get(`/calico/felix/v2/no-region/host/${n}/status`).catch(() => null);
        if ((kv?.value as { state?: string } | undefined)?.state === 'ready') break;
        if (performance.now() > end) assert.fail(`agent ${n} not ready in ${ms} ms; its log:\n${this.lab.agentLog(n).slice(-3000)}`);
        await sleep(100);
      }
    }
  }

  /** A pod on `node` with an address from IPAM, wired like the CNI, with its WorkloadEndpoint. */
  async addPod(name: string, node: string, labels: Record<string, string> = {}): Promise<LabPod> {
    const [ip] = await this.ipam.autoAssign({ node, handle: `k8s-pod-network.${name}`, attributes: { node, namespace: 'default', pod: name } });
    const pod = this.lab.addPod(name, node, ip!);
    await this.resources.apply([doc('projectcalico.org/v3', 'WorkloadEndpoint', workloadEndpointName({ node, orchestrator: 'k8s', pod: name, endpoint: 'eth0' }), {
      node, orchestrator: 'k8s', pod: name, endpoint: 'eth0', interfaceName: pod.hostIface, ipNetworks: [`${ip}/32`], profiles: ['kns.default'],
    }, { namespace: 'default', labels: { pod: name, ...labels } })]);
    return pod;
  }

  async destroy(): Promise<void> {
    await this.lab.destroy();
    await this.store?.close();
    this.dir.remove();
  }
}
