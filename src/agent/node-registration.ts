// The agent's own Node resource: created or updated with the node's address (with its mask, which
// CrossSubnet needs), refusing to start when another node already claims that address (calico.md
// §10: a wrongly detected address is the classic way to break a cluster). Other fields (tunnel
// addresses, AS number, labels) are kept.

import { TortieError, isTortieError } from '../lib/errors.js';
import { parseCIDR, type CIDR } from '../lib/ip.js';
import { Node, validateDocument, type Resource } from '../model/index.js';
import type { ResourceClient } from '../resources/index.js';

const addressOf = (n: Resource): CIDR | null => {
  const a = (n.spec['bgp'] as { ipv4Address?: unknown } | undefined)?.ipv4Address;
  return typeof a === 'string' ? parseCIDR(a) : null;
};

export async function registerNode(resources: ResourceClient, name: string, ipv4Address: string): Promise<Resource> {
  const mine = parseCIDR(ipv4Address);
  if (!mine) throw new TortieError('TORTIE_ERR_INTERNAL_BUG', `registerNode got "${ipv4Address}", not an address with a prefix length`);
  for (let attempt = 0; attempt < 10; attempt++) {
    const nodes = await resources.list(Node);
    const clash = nodes.find((n) => n.metadata.name !== name && addressOf(n)?.address === mine.address);
    if (clash) {
      throw new TortieError('TORTIE_ERR_NODE_ADDRESS_IN_USE',
        `Node ${clash.metadata.name} already uses ${ipv4Address.split('/')[0]}: two nodes cannot share an address. Check the address detection (--ip-autodetection-method) or delete the stale Node with: tortie delete node ${clash.metadata.name}`,
        { node: clash.metadata.name, address: ipv4Address });
    }
    const current = nodes.find((n) => n.metadata.name === name);
    try {
      if (!current) {
        const v = validateDocument({ apiVersion: 'tortie.io/v1', kind: 'Node', metadata: { name }, spec: { bgp: { ipv4Address } } });
        if (!v.ok) throw new TortieError('TORTIE_ERR_INTERNAL_BUG', `The Node for ${name} does not validate: ${JSON.stringify(v.issues)}`);
        return (await resources.create([v.resource]))[0]!.resource;
      }
      const bgp = (current.spec['bgp'] ?? {}) as Record<string, unknown>;
      if (bgp['ipv4Address'] === ipv4Address) return current;
      return (await resources.replace([{ ...current, spec: { ...current.spec, bgp: { ...bgp, ipv4Address } } }]))[0]!.resource;
    } catch (e) {
      if (!isTortieError(e) || !['TORTIE_ERR_DATASTORE_CONFLICT', 'TORTIE_ERR_DATASTORE_ALREADY_EXISTS'].includes(e.code)) throw e;
    }
  }
  throw new TortieError('TORTIE_ERR_DATASTORE_CONFLICT', `Node ${name} kept changing while the agent registered it`);
}

/** ClusterInformation `default`, created once (the CNI plugin reads `datastoreReady`). */
export async function ensureClusterInformation(resources: ResourceClient, version: string, uid: string): Promise<void> {
  const v = validateDocument({
    apiVersion: 'tortie.io/v1', kind: 'ClusterInformation', metadata: { name: 'default' },
    spec: { clusterGUID: uid.replaceAll('-', ''), clusterType: 'tortie', calicoVersion: version, datastoreReady: true },
  });
  if (!v.ok) throw new TortieError('TORTIE_ERR_INTERNAL_BUG', `ClusterInformation does not validate: ${JSON.stringify(v.issues)}`);
  await resources.create([v.resource], { skipExisting: true });
}
