// What a trace can see: every node and the underlay router of a lab, or — on a real node — that
// node alone; the policy snapshot and the nodes' addresses come from the datastore.

import { Node } from '../../model/index.js';
import { buildSnapshot, tracePacket, type ResolvedPeer, type TraceRequest } from '../../policy/index.js';
import { loadPolicyResources, type ResourceClient } from '../../resources/index.js';
import type { LabState } from '../state.js';
import { routerNs } from '../topology.js';
import { LiveKernel, type KernelView } from './kernel.js';
import { tracePath, type TraceBox, type TraceWorld } from './path.js';
import type { TraceReport } from './render.js';

async function nodeAddresses(client: ResourceClient): Promise<Map<string, string>> {
  const nodes = await client.list(Node);
  const out = new Map<string, string>();
  for (const n of nodes) {
    const a = (n.spec['bgp'] as { ipv4Address?: string } | undefined)?.ipv4Address;
    if (a) out.set(n.metadata.name, a.split('/')[0]!);
  }
  return out;
}

async function world(client: ResourceClient, boxes: TraceBox[], kernel: KernelView): Promise<TraceWorld> {
  const [resources, addresses] = await Promise.all([loadPolicyResources(client), nodeAddresses(client)]);
  return { snap: buildSnapshot(resources), kernel, boxes, nodeAddresses: addresses };
}

export function labTraceWorld(s: LabState, client: ResourceClient, kernel: KernelView = new LiveKernel()): Promise<TraceWorld> {
  const boxes: TraceBox[] = [
    ...s.nodes.map((n) => ({ name: n.name, kind: 'node' as const, netns: n.netns })),
    { name: 'router', kind: 'router', netns: routerNs(s.name) },
  ];
  return world(client, boxes, kernel);
}

/** On a node where the agent runs: this namespace is the node; the others are out of sight. */
export function nodeTraceWorld(nodeName: string, client: ResourceClient, kernel: KernelView = new LiveKernel()): Promise<TraceWorld> {
  return world(client, [{ name: nodeName, kind: 'node', netns: null }], kernel);
}

export async function traceReport(w: TraceWorld, from: ResolvedPeer, to: ResolvedPeer, req: TraceRequest): Promise<TraceReport> {
  const policy = tracePacket(w.snap, from, to, req);
  const path = await tracePath(w, from, to, policy);
  return { from: policy.from, to: policy.to, srcIP: policy.srcIP, dstIP: policy.dstIP, protocol: policy.protocol, port: policy.port, ...path, policy };
}
