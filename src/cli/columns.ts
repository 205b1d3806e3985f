// Table columns of `tortie get`, the same as calicoctl's (calicoctl/resourcemgr/*.go): the default
// view and `-o wide`. NAMESPACE is put first for namespaced kinds with --all-namespaces.

import type { Resource } from '../model/index.js';

export interface TableContext {
  /** The cluster AS number (BGPConfiguration default), shown as "(64512)" for nodes without one. */
  readonly defaultAsNumber: number;
}

type Cell = (r: Resource, ctx: TableContext) => string;

interface KindColumns {
  readonly ps: readonly string[];
  readonly wide: readonly string[];
  readonly cells: Readonly<Record<string, Cell>>;
}

const get = (o: unknown, path: string): unknown => path.split('.').reduce<unknown>((v, k) => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), o);
const str = (v: unknown): string => (v === undefined || v === null ? '' : Array.isArray(v) ? v.map(str).join(',') : typeof v === 'object' ? JSON.stringify(v) : String(v));
const spec = (path: string): Cell => (r) => str(get(r.spec, path));
const truncate = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n - 3)}...` : s);

const COMMON: Record<string, Cell> = {
  NAME: (r) => r.metadata.name,
  NAMESPACE: (r) => r.metadata.namespace ?? '',
};

const COLUMNS: Record<string, KindColumns> = {
  IPPool: {
    ps: ['NAME', 'CIDR', 'SELECTOR'],
    wide: ['NAME', 'CIDR', 'NAT', 'IPIPMODE', 'VXLANMODE', 'DISABLED', 'DISABLEBGPEXPORT', 'SELECTOR'],
    cells: {
      CIDR: spec('cidr'), NAT: (r) => str(r.spec['natOutgoing'] ?? false),
      IPIPMODE: (r) => str(r.spec['ipipMode'] || 'Never'), VXLANMODE: (r) => str(r.spec['vxlanMode'] || 'Never'),
      DISABLED: (r) => str(r.spec['disabled'] ?? false), DISABLEBGPEXPORT: (r) => str(r.spec['disableBGPExport'] ?? false),
      SELECTOR: spec('nodeSelector'),
    },
  },
  Node: {
    ps: ['NAME'],
    wide: ['NAME', 'ASN', 'IPV4', 'IPV6'],
    cells: {
      ASN: (r, ctx) => (get(r.spec, 'bgp') === undefined ? '' : get(r.spec, 'bgp.asNumber') !== undefined ? str(get(r.spec, 'bgp.asNumber')) : `(${ctx.defaultAsNumber})`),
      IPV4: spec('bgp.ipv4Address'), IPV6: spec('bgp.ipv6Address'),
    },
  },
  WorkloadEndpoint: {
    ps: ['WORKLOAD', 'NODE', 'NETWORKS', 'INTERFACE'],
    wide: ['NAME', 'WORKLOAD', 'NODE', 'NETWORKS', 'INTERFACE', 'PROFILES', 'NATS'],
    cells: {
      WORKLOAD: (r) => str(r.spec['workload'] || r.spec['pod']), NODE: spec('node'), NETWORKS: spec('ipNetworks'),
      INTERFACE: spec('interfaceName'), PROFILES: spec('profiles'),
      NATS: (r) => ((r.spec['ipNATs'] as { internalIP: string; externalIP: string }[] | undefined) ?? []).map((n) => `${n.internalIP}:${n.externalIP}`).join(','),
    },
  },
  HostEndpoint: {
    ps: ['NAME', 'NODE'],
    wide: ['NAME', 'NODE', 'INTERFACE', 'IPS', 'PROFILES'],
    cells: { NODE: spec('node'), INTERFACE: spec('interfaceName'), IPS: spec('expectedIPs'), PROFILES: spec('profiles') },
  },
  NetworkPolicy: {
    ps: ['NAME', 'TIER'],
    wide: ['NAME', 'TIER', 'ORDER', 'SELECTOR'],
    cells: { TIER: spec('tier'), ORDER: spec('order'), SELECTOR: spec('selector') },
  },
  GlobalNetworkPolicy: {
    ps: ['NAME'],
    wide: ['NAME', 'ORDER', 'SELECTOR'],
    cells: { ORDER: spec('order'), SELECTOR: spec('selector') },
  },
  Tier: { ps: ['NAME', 'ORDER'], wide: ['NAME', 'ORDER'], cells: { ORDER: spec('order') } },
  Profile: {
    ps: ['NAME'], wide: ['NAME', 'LABELS'],
    cells: { LABELS: (r) => Object.entries((r.spec['labelsToApply'] as Record<string, string> | undefined) ?? {}).map(([k, v]) => `${k}=${v}`).join(',') },
  },
  NetworkSet: { ps: ['NAME'], wide: ['NAME', 'NETS'], cells: { NETS: (r) => truncate(str(r.spec['nets']), 80) } },
  GlobalNetworkSet: { ps: ['NAME'], wide: ['NAME', 'NETS'], cells: { NETS: (r) => truncate(str(r.spec['nets']), 80) } },
  BGPConfiguration: {
    ps: ['NAME', 'LOGSEVERITY', 'MESHENABLED', 'ASNUMBER'],
    wide: ['NAME', 'LOGSEVERITY', 'MESHENABLED', 'ASNUMBER'],
    cells: {
      LOGSEVERITY: spec('logSeverityScreen'),
      MESHENABLED: (r) => (r.spec['nodeToNodeMeshEnabled'] !== undefined ? str(r.spec['nodeToNodeMeshEnabled']) : '-'),
      ASNUMBER: (r) => (r.spec['asNumber'] !== undefined ? str(r.spec['asNumber']) : '-'),
    },
  },
  BGPPeer: {
    ps: ['NAME', 'PEERIP', 'NODE', 'ASN'],
    wide: ['NAME', 'PEERIP', 'NODE', 'ASN'],
    cells: {
      PEERIP: spec('peerIP'), ASN: spec('asNumber'),
      NODE: (r) => str(r.spec['node'] || r.spec['nodeSelector'] || '(global)'),
    },
  },
  FelixConfiguration: { ps: ['NAME'], wide: ['NAME'], cells: {} },
  IPAMConfiguration: {
    ps: ['NAME', 'STRICTAFFINITY', 'AUTOALLOCATEBLOCKS'],
    wide: ['NAME', 'STRICTAFFINITY', 'AUTOALLOCATEBLOCKS', 'MAXBLOCKSPERHOST'],
    cells: { STRICTAFFINITY: spec('strictAffinity'), AUTOALLOCATEBLOCKS: spec('autoAllocateBlocks'), MAXBLOCKSPERHOST: spec('maxBlocksPerHost') },
  },
  ClusterInformation: {
    ps: ['NAME', 'CLUSTERGUID', 'CLUSTERTYPE', 'CALICOVERSION', 'DATASTOREREADY'],
    wide: ['NAME', 'CLUSTERGUID', 'CLUSTERTYPE', 'CALICOVERSION', 'DATASTOREREADY'],
    cells: { CLUSTERGUID: spec('clusterGUID'), CLUSTERTYPE: spec('clusterType'), CALICOVERSION: spec('calicoVersion'), DATASTOREREADY: spec('datastoreReady') },
  },
};

/** The header and rows of a table of resources of one kind. */
export function tableOf(kind: string, resources: readonly Resource[], opts: { wide: boolean; namespaced: boolean; allNamespaces: boolean; ctx: TableContext }): { head: string[]; rows: string[][] } {
  const def = COLUMNS[kind] ?? { ps: ['NAME'], wide: ['NAME'], cells: {} };
  const head = [...(opts.wide ? def.wide : def.ps)];
  if (opts.namespaced && opts.allNamespaces) head.unshift('NAMESPACE');
  const cell = (col: string): Cell => def.cells[col] ?? COMMON[col] ?? (() => '');
  return { head, rows: resources.map((r) => head.map((col) => cell(col)(r, opts.ctx))) };
}
