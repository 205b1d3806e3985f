// Builds policy resources the way the datastore stores them (validated, Calico's defaults filled
// in, Kubernetes kinds converted), for evaluator, compiler and kernel tests.

import { createHash } from 'node:crypto';
import { parseAllDocuments } from 'yaml';
import { validateDocument, workloadEndpointName, type Resource } from '../../src/model/index.js';
import type { PolicyResources } from '../../src/policy/index.js';

export function valid(doc: unknown): Resource {
  const v = validateDocument(doc);
  if (!v.ok) throw new Error(`invalid fixture: ${JSON.stringify(v.issues)}\n${JSON.stringify(doc)}`);
  return v.resource;
}

/** Every document of a YAML text, validated. */
export function yamlResources(text: string): Resource[] {
  return parseAllDocuments(text).map((d) => d.toJS()).filter((d) => d !== null).map(valid);
}

export function namespace(name: string, labels: Record<string, string> = {}): Resource {
  return valid({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });
}

/** The host-side interface name Calico's CNI gives a pod: "cali" + sha1("<ns>.<pod>")[:11]. */
export const ifaceOf = (ns: string, pod: string): string => `cali${createHash('sha1').update(`${ns}.${pod}`).digest('hex').slice(0, 11)}`;

export interface PodOptions {
  readonly labels?: Record<string, string>;
  readonly node?: string;
  readonly ports?: ReadonlyArray<{ name: string; protocol: string; port: number }>;
  readonly serviceAccount?: string;
  readonly profiles?: readonly string[];
  readonly ipv6?: string;
}

export function pod(ns: string, name: string, ip: string, o: PodOptions = {}): Resource {
  const spec: Record<string, unknown> = {
    orchestrator: 'k8s', node: o.node ?? 'node1', pod: name, endpoint: 'eth0',
    ipNetworks: [`${ip}/32`, ...(o.ipv6 ? [`${o.ipv6}/128`] : [])], interfaceName: ifaceOf(ns, name),
    profiles: o.profiles ?? [`kns.${ns}`],
  };
  if (o.ports) spec['ports'] = o.ports;
  if (o.serviceAccount) spec['serviceAccountName'] = o.serviceAccount;
  const metaName = workloadEndpointName({ node: spec['node'] as string, orchestrator: 'k8s', pod: name, endpoint: 'eth0' });
  return valid({ apiVersion: 'projectcalico.org/v3', kind: 'WorkloadEndpoint', metadata: { name: metaName, namespace: ns, labels: o.labels ?? {} }, spec });
}

const FIELD: Readonly<Record<string, keyof PolicyResources>> = {
  WorkloadEndpoint: 'workloadEndpoints', HostEndpoint: 'hostEndpoints', Profile: 'profiles', Tier: 'tiers',
  NetworkPolicy: 'networkPolicies', GlobalNetworkPolicy: 'globalNetworkPolicies', NetworkSet: 'networkSets', GlobalNetworkSet: 'globalNetworkSets',
};

/** Groups resources by kind, as the CLI lists them from the datastore. */
export function group(resources: readonly Resource[]): PolicyResources {
  const out: Record<string, Resource[]> = {};
  for (const r of resources) {
    const f = FIELD[r.kind];
    if (f === undefined) throw new Error(`not a policy kind: ${r.kind}`);
    (out[f] ??= []).push(r);
  }
  return out as PolicyResources;
}

/**
 * The Kubernetes network-policy e2e world (test/e2e/network/netpol): namespaces x, y, z labelled
 * ns=<name>; pods a, b, c in each labelled pod=<name>, serving 80 and 81 over TCP, UDP and SCTP
 * with named ports serve-<port>-<proto>.
 */
export function xyzWorld(): Resource[] {
  const out: Resource[] = [];
  const nss = ['x', 'y', 'z'];
  nss.forEach((ns, i) => {
    out.push(namespace(ns, { ns }));
    ['a', 'b', 'c'].forEach((p, j) => {
      const ports = [80, 81].flatMap((port) => ['tcp', 'udp', 'sctp'].map((proto) => ({ name: `serve-${port}-${proto}`, protocol: proto.toUpperCase(), port })));
      out.push(pod(ns, p, `10.0.${i}.${j + 1}`, { labels: { pod: p }, ports }));
    });
  });
  return out;
}
