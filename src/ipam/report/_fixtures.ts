// Plain-data IPAM states for the report tests: blocks made with the real block functions, the rest
// written out as the records and resources they stand for.

import { parseCIDR } from '../../lib/ip.js';
import { allocate, newBlock, type AllocationBlock } from '../block/index.js';
import type { IpamSnapshot } from './snapshot.js';

export function block(cidr: string, owner: string | null, allocs: ReadonlyArray<readonly [handle: string, count: number, attrs?: Record<string, string>]> = []): AllocationBlock {
  let b = newBlock(parseCIDR(cidr)!, owner ? `host:${owner}` : null);
  for (const [handle, count, attrs] of allocs) b = allocate(b, { count, handle, ...(attrs ? { secondary: attrs } : {}) }).block;
  return b;
}

export const pod = (node: string, namespace: string, name: string): Record<string, string> => ({ node, namespace, pod: name });

/**
 * A healthy cluster: pool 10.65.0.0/16; node1 owns 10.65.0.0/26 holding web-1 (10.65.0.0), its own
 * IPIP tunnel address (10.65.0.1) and db-1 (10.65.0.2); node2 owns 10.65.0.64/26 holding api-1.
 */
export function healthy(): IpamSnapshot {
  return {
    pools: [{ name: 'default-ipv4-ippool', cidr: '10.65.0.0/16', blockSize: 26, disabled: false }],
    blocks: [
      block('10.65.0.0/26', 'node1', [
        ['k8s-pod-network.web1', 1, pod('node1', 'default', 'web-1')],
        ['ipip-tunnel-addr-node1', 1, { node: 'node1', type: 'ipipTunnelAddress' }],
        ['k8s-pod-network.db1', 1, pod('node1', 'prod', 'db-1')],
      ]),
      block('10.65.0.64/26', 'node2', [['k8s-pod-network.api1', 1, pod('node2', 'default', 'api-1')]]),
    ],
    affinities: [
      { node: 'node1', cidr: '10.65.0.0/26', state: 'confirmed' },
      { node: 'node2', cidr: '10.65.0.64/26', state: 'confirmed' },
    ],
    handles: [
      { id: 'k8s-pod-network.web1', block: { '10.65.0.0/26': 1 }, revision: 11 },
      { id: 'ipip-tunnel-addr-node1', block: { '10.65.0.0/26': 1 }, revision: 12 },
      { id: 'k8s-pod-network.db1', block: { '10.65.0.0/26': 1 }, revision: 13 },
      { id: 'k8s-pod-network.api1', block: { '10.65.0.64/26': 1 }, revision: 14 },
    ],
    workloads: [
      { namespace: 'default', name: 'node1-k8s-web--1-eth0', node: 'node1', pod: 'web-1', ips: ['10.65.0.0'] },
      { namespace: 'prod', name: 'node1-k8s-db--1-eth0', node: 'node1', pod: 'db-1', ips: ['10.65.0.2'] },
      { namespace: 'default', name: 'node2-k8s-api--1-eth0', node: 'node2', pod: 'api-1', ips: ['10.65.0.64'] },
    ],
    nodes: [
      { name: 'node1', tunnels: [{ ip: '10.65.0.1', field: 'spec.bgp.ipv4IPIPTunnelAddr' }] },
      { name: 'node2', tunnels: [] },
    ],
  };
}
