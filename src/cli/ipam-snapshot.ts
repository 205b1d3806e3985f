// Reads what the IPAM reports are computed from. The IPAM records come from one list of the IPAM
// root, so blocks, affinities and handles are seen at a single revision and never disagree because
// of a write landing between two reads.

import { IPAM_ROOT } from '../ipam/block/index.js';
import { nodeInfo, parseIpamRecords, poolInfo, workloadInfo, type IpamSnapshot } from '../ipam/report/index.js';
import { IPPool, Node, WorkloadEndpoint } from '../model/index.js';
import type { ResourceClient } from '../resources/index.js';

export async function loadIpamSnapshot(client: ResourceClient): Promise<IpamSnapshot> {
  const { items } = await client.store.list(IPAM_ROOT);
  const records = parseIpamRecords(items);
  const [pools, weps, nodes] = await Promise.all([
    client.list(IPPool),
    client.list(WorkloadEndpoint),
    client.list(Node),
  ]);
  return {
    pools: pools.flatMap((p) => { const i = poolInfo(p); return i ? [i] : []; }),
    blocks: records.blocks,
    affinities: records.affinities,
    handles: records.handles,
    workloads: weps.map(workloadInfo),
    nodes: nodes.map(nodeInfo),
    unreadable: records.unreadable,
  };
}
