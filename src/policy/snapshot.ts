// The datastore's policy-relevant resources, normalised once: endpoints with the labels Felix
// gives them, the things selectors can match by address, tiers in order with their policies in
// order, and profiles. The evaluator and the compiler both read this and nothing else.
//
// Labels (Calico's workloadendpointprocessor and Felix's label inheritance):
//   WorkloadEndpoint  labelsToApply of its profiles  <  own labels  <  projectcalico.org/namespace,
//                     projectcalico.org/orchestrator, projectcalico.org/serviceaccount
//   NetworkSet        labelsToApply of kns.<ns>  <  own labels  <  projectcalico.org/namespace
//   HostEndpoint, GlobalNetworkSet   own labels (labelsToApply of a HEP's profiles below them)
// Order (Felix's PolicySorter): tiers by order (absent = last) then name; in a tier, policies by
// order (absent = last) then name, a NetworkPolicy's name being "<namespace>/<name>".

import type { CIDR, IP } from '../lib/ip.js';
import {
  BUILTIN_TIERS, type GlobalNetworkPolicySpec, type HostEndpointSpec, type NetworkPolicySpec, type NetworkSetSpec,
  type ProfileSpec, type Resource, type TierAction, type TierSpec, type WorkloadEndpointSpec,
} from '../model/index.js';
import { NAMESPACE_LABEL, type Selector } from '../selector/index.js';
import { ORCHESTRATOR_LABEL, policySelector, SERVICE_ACCOUNT_LABEL } from './effective-selector.js';
import { ipKey, parseIPOrCIDRLoose } from './ip-util.js';
import { parseRule, protocolNumber, type ParsedRule } from './parsed-rule.js';

export type EntityKind = 'WorkloadEndpoint' | 'HostEndpoint' | 'NetworkSet' | 'GlobalNetworkSet';

/** Something a selector can match, by the addresses it holds. */
export interface Entity {
  readonly kind: EntityKind;
  /** Unique among entities: "x/a" (WEP by namespace/pod), "hep:eth0-host1", "netset:x/ext", "gnetset:ext". */
  readonly key: string;
  readonly name: string;
  readonly namespace?: string;
  readonly labels: ReadonlyMap<string, string>;
  readonly nets: readonly CIDR[];
}

export interface NamedPort { readonly name: string; readonly protocol: number; readonly port: number }

export interface Endpoint extends Entity {
  readonly kind: 'WorkloadEndpoint' | 'HostEndpoint';
  /** How people name it: NS/POD for a workload, the HostEndpoint's name otherwise. */
  readonly display: string;
  readonly interfaceName?: string;
  readonly node?: string;
  readonly profiles: readonly string[];
  readonly ports: readonly NamedPort[];
}

export interface TierInfo { readonly name: string; readonly order?: number; readonly defaultAction: TierAction }

export interface PolicyInfo {
  readonly kind: 'NetworkPolicy' | 'GlobalNetworkPolicy';
  readonly name: string;
  readonly namespace?: string;
  /** Felix's sort name: "<ns>/<name>" for a NetworkPolicy. */
  readonly sortName: string;
  /** "NetworkPolicy x/knp.default.deny" or "GlobalNetworkPolicy allow-dns". */
  readonly display: string;
  readonly tier: string;
  readonly order?: number;
  readonly selector: Selector;
  readonly ingress: readonly ParsedRule[] | null;
  readonly egress: readonly ParsedRule[] | null;
}

export interface TierWithPolicies extends TierInfo { readonly policies: readonly PolicyInfo[] }

export interface ProfileInfo {
  readonly name: string;
  readonly ingress: readonly ParsedRule[];
  readonly egress: readonly ParsedRule[];
  readonly labelsToApply: Readonly<Record<string, string>>;
}

export interface PolicyResources {
  readonly workloadEndpoints?: readonly Resource[];
  readonly hostEndpoints?: readonly Resource[];
  readonly profiles?: readonly Resource[];
  readonly tiers?: readonly Resource[];
  readonly networkPolicies?: readonly Resource[];
  readonly globalNetworkPolicies?: readonly Resource[];
  readonly networkSets?: readonly Resource[];
  readonly globalNetworkSets?: readonly Resource[];
}

export interface Snapshot {
  readonly tiers: readonly TierWithPolicies[];
  readonly profiles: ReadonlyMap<string, ProfileInfo>;
  readonly endpoints: readonly Endpoint[];
  readonly entities: readonly Entity[];
  /** Entities holding exactly this address (a /32 or /128), by ipKey. */
  readonly byHostIP: ReadonlyMap<string, readonly Entity[]>;
  /** Entities holding a wider network (network sets); scanned for containment. */
  readonly wide: readonly Entity[];
  /** Workload endpoints by "NS/POD". */
  readonly byPod: ReadonlyMap<string, Endpoint>;
}

/** Sorts by order (absent = last), then by name. */
export function byOrderThenName<T extends { order?: number }>(name: (t: T) => string): (a: T, b: T) => number {
  return (a, b) => {
    const oa = a.order ?? Infinity, ob = b.order ?? Infinity;
    if (oa !== ob) return oa < ob ? -1 : 1;
    const na = name(a), nb = name(b);
    return na < nb ? -1 : na > nb ? 1 : 0;
  };
}

function profilesOf(resources: readonly Resource[]): Map<string, ProfileInfo> {
  const out = new Map<string, ProfileInfo>();
  for (const r of resources) {
    const s = r.spec as unknown as ProfileSpec;
    out.set(r.metadata.name, {
      name: r.metadata.name,
      ingress: (s.ingress ?? []).map((x, i) => parseRule(x, i, undefined)),
      egress: (s.egress ?? []).map((x, i) => parseRule(x, i, undefined)),
      labelsToApply: s.labelsToApply ?? {},
    });
  }
  return out;
}

function inherited(profiles: readonly string[], all: ReadonlyMap<string, ProfileInfo>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of profiles) Object.assign(out, all.get(p)?.labelsToApply ?? {});
  return out;
}

const netsOf = (list: readonly string[] | undefined): CIDR[] =>
  (list ?? []).map(parseIPOrCIDRLoose).filter((c): c is CIDR => c !== null);

const portsOf = (list: ReadonlyArray<{ name?: string; protocol: string | number; port: number }> | undefined): NamedPort[] =>
  (list ?? []).flatMap((p) => (p.name ? [{ name: p.name, protocol: protocolNumber(p.protocol) ?? 0, port: p.port }] : []));

function workloadEndpoint(r: Resource, profiles: ReadonlyMap<string, ProfileInfo>): Endpoint {
  const s = r.spec as unknown as WorkloadEndpointSpec;
  const ns = r.metadata.namespace ?? 'default';
  const profileNames = s.profiles ?? [];
  const labels: Record<string, string> = { ...inherited(profileNames, profiles), ...(r.metadata.labels ?? {}) };
  labels[NAMESPACE_LABEL] = ns;
  if (s.orchestrator) labels[ORCHESTRATOR_LABEL] = s.orchestrator;
  if (s.serviceAccountName) labels[SERVICE_ACCOUNT_LABEL] = s.serviceAccountName;
  const podName = s.pod ?? s.workload ?? r.metadata.name;
  const out: { -readonly [K in keyof Endpoint]: Endpoint[K] } = {
    kind: 'WorkloadEndpoint', key: `${ns}/${podName}`, display: `${ns}/${podName}`, name: r.metadata.name, namespace: ns,
    labels: new Map(Object.entries(labels)), nets: netsOf(s.ipNetworks), profiles: profileNames, ports: portsOf(s.ports),
  };
  if (s.interfaceName) out.interfaceName = s.interfaceName;
  if (s.node) out.node = s.node;
  return out;
}

function hostEndpoint(r: Resource, profiles: ReadonlyMap<string, ProfileInfo>): Endpoint {
  const s = r.spec as unknown as HostEndpointSpec;
  const profileNames = s.profiles ?? [];
  const out: { -readonly [K in keyof Endpoint]: Endpoint[K] } = {
    kind: 'HostEndpoint', key: `hep:${r.metadata.name}`, display: r.metadata.name, name: r.metadata.name,
    labels: new Map(Object.entries({ ...inherited(profileNames, profiles), ...(r.metadata.labels ?? {}) })),
    nets: netsOf(s.expectedIPs), profiles: profileNames, ports: portsOf(s.ports), node: s.node,
  };
  if (s.interfaceName) out.interfaceName = s.interfaceName;
  return out;
}

function networkSet(r: Resource, profiles: ReadonlyMap<string, ProfileInfo>, global: boolean): Entity {
  const s = r.spec as unknown as NetworkSetSpec;
  const base = { name: r.metadata.name, nets: netsOf(s.nets) };
  if (global) return { ...base, kind: 'GlobalNetworkSet', key: `gnetset:${r.metadata.name}`, labels: new Map(Object.entries(r.metadata.labels ?? {})) };
  const ns = r.metadata.namespace ?? 'default';
  const labels = { ...(profiles.get(`kns.${ns}`)?.labelsToApply ?? {}), ...(r.metadata.labels ?? {}), [NAMESPACE_LABEL]: ns };
  return { ...base, kind: 'NetworkSet', key: `netset:${ns}/${r.metadata.name}`, namespace: ns, labels: new Map(Object.entries(labels)) };
}

function policyOf(r: Resource, global: boolean): PolicyInfo {
  const s = r.spec as unknown as GlobalNetworkPolicySpec & NetworkPolicySpec;
  const namespace = global ? undefined : r.metadata.namespace ?? 'default';
  const types = s.types ?? [];
  const out: { -readonly [K in keyof PolicyInfo]: PolicyInfo[K] } = {
    kind: global ? 'GlobalNetworkPolicy' : 'NetworkPolicy',
    name: r.metadata.name,
    sortName: namespace === undefined ? r.metadata.name : `${namespace}/${r.metadata.name}`,
    display: `${global ? 'GlobalNetworkPolicy' : 'NetworkPolicy'} ${namespace === undefined ? '' : `${namespace}/`}${r.metadata.name}`,
    tier: s.tier || 'default',
    selector: policySelector({
      ...(namespace !== undefined ? { namespace } : {}), selector: s.selector ?? 'all()',
      ...(s.namespaceSelector ? { namespaceSelector: s.namespaceSelector } : {}),
      ...(s.serviceAccountSelector ? { serviceAccountSelector: s.serviceAccountSelector } : {}),
    }),
    ingress: types.includes('Ingress') ? (s.ingress ?? []).map((x, i) => parseRule(x, i, namespace)) : null,
    egress: types.includes('Egress') ? (s.egress ?? []).map((x, i) => parseRule(x, i, namespace)) : null,
  };
  if (namespace !== undefined) out.namespace = namespace;
  if (s.order !== undefined) out.order = s.order;
  return out;
}

function tiersOf(stored: readonly Resource[], policies: readonly PolicyInfo[]): TierWithPolicies[] {
  const infos = new Map<string, TierInfo>();
  for (const t of BUILTIN_TIERS) infos.set(t.name, { name: t.name, order: t.order, defaultAction: t.defaultAction });
  for (const r of stored) {
    const s = r.spec as unknown as TierSpec;
    infos.set(r.metadata.name, { name: r.metadata.name, ...(s.order !== undefined ? { order: s.order } : {}), defaultAction: s.defaultAction ?? 'Deny' });
  }
  // A policy naming a tier that is not stored (Calico refuses to write one) still lands somewhere visible.
  for (const p of policies) if (!infos.has(p.tier)) infos.set(p.tier, { name: p.tier, defaultAction: 'Deny' });
  const byTier = new Map<string, PolicyInfo[]>();
  for (const p of policies) {
    if (!byTier.has(p.tier)) byTier.set(p.tier, []);
    byTier.get(p.tier)!.push(p);
  }
  return [...infos.values()].sort(byOrderThenName((t) => t.name))
    .map((t) => ({ ...t, policies: (byTier.get(t.name) ?? []).sort(byOrderThenName((p) => p.sortName)) }));
}

export function buildSnapshot(res: PolicyResources): Snapshot {
  const profiles = profilesOf(res.profiles ?? []);
  const endpoints = [
    ...(res.workloadEndpoints ?? []).map((r) => workloadEndpoint(r, profiles)),
    ...(res.hostEndpoints ?? []).map((r) => hostEndpoint(r, profiles)),
  ];
  const entities: Entity[] = [
    ...endpoints,
    ...(res.networkSets ?? []).map((r) => networkSet(r, profiles, false)),
    ...(res.globalNetworkSets ?? []).map((r) => networkSet(r, profiles, true)),
  ];
  const byHostIP = new Map<string, Entity[]>();
  const wide: Entity[] = [];
  for (const e of entities) {
    let isWide = false;
    for (const c of e.nets) {
      if (c.prefix !== (c.version === 4 ? 32 : 128)) { isWide = true; continue; }
      const k = ipKey({ version: c.version, value: c.address });
      if (!byHostIP.has(k)) byHostIP.set(k, []);
      byHostIP.get(k)!.push(e);
    }
    if (isWide) wide.push(e);
  }
  const policies = [
    ...(res.networkPolicies ?? []).map((r) => policyOf(r, false)),
    ...(res.globalNetworkPolicies ?? []).map((r) => policyOf(r, true)),
  ];
  const byPod = new Map<string, Endpoint>();
  for (const e of endpoints) if (e.kind === 'WorkloadEndpoint' && !byPod.has(e.display)) byPod.set(e.display, e);
  return { tiers: tiersOf(res.tiers ?? [], policies), profiles, endpoints, entities, byHostIP, wide, byPod };
}

/** The endpoint that owns an address (workloads first), if any. */
export function endpointAt(snap: Snapshot, ip: IP): Endpoint | undefined {
  return snap.byHostIP.get(ipKey(ip))?.find((e): e is Endpoint => e.kind === 'WorkloadEndpoint' || e.kind === 'HostEndpoint');
}

/** The first address of an endpoint in a family (IPv4 preferred when no family is asked for). */
export function addressOf(e: Entity, version?: 4 | 6): IP | undefined {
  const c = e.nets.find((n) => (version === undefined ? n.version === 4 : n.version === version)) ?? (version === undefined ? e.nets[0] : undefined);
  return c === undefined ? undefined : { version: c.version, value: c.address };
}

