// The cluster `npm run bench:agent` programs: one node (the bench's), its pool, 20 namespaces,
// P policies shaped like bench/policy.ts's (half GlobalNetworkPolicy, half NetworkPolicy; label,
// named-port, net and port-range matches), and workload endpoints for the node — endpoint i is
// pod `p<i>` in namespace `ns<i % 20>`, host interface `cali` + sha1("<ns>.<pod>")[:11] as
// Calico's CNI names it, address i of the node's IPAM allocation.

import { workloadEndpointName, type Resource } from '../src/model/index.js';
import { ifaceOf, namespace, pod, valid } from '../test/support/policy-fixtures.js';
import { APPS, NAMESPACES, policy } from './policy-world.js';

export { APPS, NAMESPACES, policy };

export const NODE = 'bench-node';
export const NODE_CIDR = '10.99.0.5/24';
export const POOL_CIDR = '10.64.0.0/16';
/** /22 blocks: 10,000 pods fit in 10 blocks, below IPAM's default maxBlocksPerHost (20). */
export const BLOCK_SIZE = 22;

export const nsOf = (i: number): string => `ns${i % NAMESPACES}`;
export const podOf = (i: number): string => `p${i}`;
export const ifaceOfEndpoint = (i: number): string => ifaceOf(nsOf(i), podOf(i));
export const appOf = (i: number): string => `app${i % APPS}`;

export function infrastructure(): Resource[] {
  const out: Resource[] = [
    valid({ apiVersion: 'projectcalico.org/v3', kind: 'Node', metadata: { name: NODE }, spec: { bgp: { ipv4Address: NODE_CIDR } } }),
    valid({
      apiVersion: 'projectcalico.org/v3', kind: 'IPPool', metadata: { name: 'bench-pool' },
      spec: { cidr: POOL_CIDR, blockSize: BLOCK_SIZE, ipipMode: 'Never', vxlanMode: 'Never', natOutgoing: true, nodeSelector: 'all()' },
    }),
  ];
  for (let n = 0; n < NAMESPACES; n++) out.push(namespace(`ns${n}`, { team: `t${n % 4}` }));
  return out;
}

/** bench/policy.ts's policy p: selector app == app<p % 200>, four rules of varied kinds. */

/** The WorkloadEndpoint of endpoint i on the bench node, with `app` label `app`. */
export function endpoint(i: number, ip: string, app = appOf(i)): Resource {
  return pod(nsOf(i), podOf(i), ip, {
    node: NODE, labels: { app, tier: i % 2 ? 'web' : 'db' }, ports: [{ name: 'http', protocol: 'TCP', port: 8080 }],
  });
}

export const endpointName = (i: number): string => workloadEndpointName({ node: NODE, orchestrator: 'k8s', pod: podOf(i), endpoint: 'eth0' });
