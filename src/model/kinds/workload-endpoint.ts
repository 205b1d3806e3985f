// WorkloadEndpoint (calico.md §1; Calico's internalapi/workloadendpoint.go): one interface of a
// pod, written by the CNI plugin. Its name is made from the spec, each part's own '-' doubled
// (libcalico-go/lib/names/workloadendpoint.go):
//   k8s         <node>-k8s-<pod>-<endpoint>            node1-k8s-mypod--1-eth0
//   cni         <node>-cni-<containerID>-<endpoint>
//   libnetwork  <node>-libnetwork-libnetwork-<endpoint>
//   other       <node>-<orchestrator>-<workload>-<endpoint>
// and Calico refuses a WorkloadEndpoint whose name does not match (clientv3 assignOrValidateName).

import { z } from 'zod';
import { cidrContainsIP, parseIP } from '../../lib/ip.js';
import {
  dnsSubdomain, interfaceName, ipAddress, ipAddressOf, ipOrCidr, macAddress, parseIPOrCIDR,
  portName, protocol, protocolHasPorts,
} from '../fields.js';
import { show, type Issue } from '../issues.js';
import { defineKind } from '../kind.js';

/** The parts a WorkloadEndpoint name is made from. */
export interface WorkloadEndpointIds {
  readonly node: string;
  readonly orchestrator: string;
  readonly endpoint: string;
  /** k8s */
  readonly pod?: string;
  /** cni */
  readonly containerID?: string;
  /** any other orchestrator but libnetwork */
  readonly workload?: string;
}

type Field = 'node' | 'orchestrator' | 'pod' | 'containerID' | 'workload' | 'endpoint';

/** Which spec fields make up the name, in order (Calico's getSegments). */
function segmentFields(orchestrator: string | undefined): readonly Field[] {
  switch (orchestrator) {
    case 'k8s': return ['node', 'orchestrator', 'pod', 'endpoint'];
    case 'cni': return ['node', 'orchestrator', 'containerID', 'endpoint'];
    case 'libnetwork': return ['node', 'orchestrator', 'orchestrator', 'endpoint'];
    default: return ['node', 'orchestrator', 'workload', 'endpoint'];
  }
}

const escape = (part: string): string => part.replaceAll('-', '--');

/** "node, orchestrator, pod and endpoint": the fields a name is made from, for messages. */
function describeParts(orchestrator: string | undefined): string {
  const fields = [...new Set(segmentFields(orchestrator))];
  return `${fields.slice(0, -1).join(', ')} and ${fields[fields.length - 1]!}`;
}

/** Fields the name needs that `ids` lacks (empty when the name can be made). */
export function missingNameParts(ids: Partial<Record<Field, string>>): Field[] {
  return [...new Set(segmentFields(ids.orchestrator).filter((f) => !ids[f]))];
}

/** The name Calico gives the endpoint; throws when a part is missing or starts or ends with '-'. */
export function workloadEndpointName(ids: WorkloadEndpointIds): string {
  const missing = missingNameParts(ids);
  if (missing.length > 0) throw new Error(`A WorkloadEndpoint name needs ${missing.join(', ')}`);
  return segmentFields(ids.orchestrator).map((f) => {
    const v = ids[f]!;
    if (v.startsWith('-') || v.endsWith('-')) throw new Error(`WorkloadEndpoint ${f} ${show(v)} must not start or end with '-'`);
    return escape(v);
  }).join('-');
}

/**
 * The start of every name with these leading parts, ending in '-' (the CNI plugin lists a pod's
 * endpoints this way). A prefix can also match a longer part (`pod` matches `pod--1`), so check
 * each hit with parseWorkloadEndpointName.
 */
export function workloadEndpointNamePrefix(ids: Partial<WorkloadEndpointIds> & { readonly node: string; readonly orchestrator: string }): string {
  const parts: string[] = [];
  for (const f of segmentFields(ids.orchestrator)) {
    const v = ids[f];
    if (!v) break;
    parts.push(escape(v));
  }
  return `${parts.join('-')}-`;
}

/** Splits on single dashes; a doubled dash is an escaped '-' inside a part. */
function splitName(name: string): string[] {
  const parts: string[] = [];
  let start = 0;
  for (let i = 1; i < name.length; i++) {
    if (name[i] !== '-') continue;
    if (name[i + 1] === '-') { i++; continue; }
    parts.push(name.slice(start, i).replaceAll('--', '-'));
    start = i + 1;
  }
  parts.push(name.slice(start).replaceAll('--', '-'));
  return parts;
}

/**
 * The parts of a WorkloadEndpoint name (Calico's ParseWorkloadEndpointName): as many as the name
 * holds, so a prefix gives a partial answer. null for an empty name or one with too many parts.
 */
export function parseWorkloadEndpointName(name: string): (Partial<WorkloadEndpointIds> & { node: string }) | null {
  if (name === '') return null;
  const parts = splitName(name);
  const out: { -readonly [K in keyof WorkloadEndpointIds]?: string } & { node: string } = { node: parts[0]! };
  if (parts.length === 1) return out;
  const orchestrator = parts[1]!;
  out.orchestrator = orchestrator;
  const rest = segmentFields(orchestrator).slice(2);
  if (parts.length - 2 > rest.length) return null;
  parts.slice(2).forEach((p, i) => {
    const f = rest[i]!;
    if (f !== 'orchestrator' && f !== 'node') out[f] = p;
  });
  return out;
}

// Calico's `name` and `containerID` rules.
const name = () => dnsSubdomain();
const containerID = () => z.string().regex(/^[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?$/, {
  error: (i) => `${show(i.input)} is not a container ID: letters, digits and '-', starting and ending with a letter or digit`,
});

const workloadEndpointPort = z.strictObject({
  name: portName().optional(),
  protocol: protocol(),
  port: z.number().int().min(1).max(65535),
  hostPort: z.number().int().min(0).max(65535).optional(),
  hostIP: ipOrCidr({ masked: true }).optional(),
}).transform((p, ctx) => {
  if (!protocolHasPorts(p.protocol)) {
    ctx.addIssue({ code: 'custom', path: ['protocol'], input: p.protocol, message: `${show(p.protocol)} has no ports: use TCP, UDP or SCTP` });
  }
  if (!p.name && !p.hostPort) {
    ctx.addIssue({ code: 'custom', path: ['name'], input: p, message: 'is required when no hostPort is given' });
  }
  return p;
});

// Per-endpoint bandwidth, packet-rate and connection limits (Calico's QoSControls); 0 or unset = no limit.
const limit = () => z.number().int().min(0).optional();
const qosControls = z.strictObject({
  ingressBandwidth: limit(), ingressBurst: limit(), ingressPeakrate: limit(), ingressMinburst: limit(),
  egressBandwidth: limit(), egressBurst: limit(), egressPeakrate: limit(), egressMinburst: limit(),
  ingressPacketRate: limit(), ingressPacketBurst: limit(), egressPacketRate: limit(), egressPacketBurst: limit(),
  ingressMaxConnections: limit(), egressMaxConnections: limit(),
  dscp: z.union([z.number().int().min(0).max(63), z.string().min(1)]).optional(),
});

export const workloadEndpointSpec = z.strictObject({
  orchestrator: name().optional(),
  workload: name().optional(),
  node: name().optional(),
  containerID: containerID().optional(),
  pod: name().optional(),
  endpoint: name().optional(),
  serviceAccountName: name().optional(),
  /** Only single addresses: /32 (IPv4) or /128 (IPv6); a bare address means the same. */
  ipNetworks: z.array(ipOrCidr({ masked: true })).optional(),
  ipNATs: z.array(z.strictObject({ internalIP: ipAddress(), externalIP: ipAddress() })).optional(),
  ipv4Gateway: ipAddressOf(4).optional(),
  ipv6Gateway: ipAddressOf(6).optional(),
  profiles: z.array(name()).optional(),
  /** The host side of the veth, e.g. `cali0123456789a`; required (Calico's `interface` rule). */
  interfaceName: interfaceName(),
  mac: macAddress().optional(),
  ports: z.array(workloadEndpointPort).optional(),
  allowSpoofedSourcePrefixes: z.array(ipOrCidr()).optional(),
  qosControls: qosControls.optional(),
}).transform((s, ctx) => {
  const issue = (path: PropertyKey[], message: string, input: unknown): void => { ctx.addIssue({ code: 'custom', path, message, input }); };
  for (const f of missingNameParts(s)) {
    const which = f === 'orchestrator' || s.orchestrator === undefined ? '' : ` for orchestrator ${show(s.orchestrator)}`;
    issue([f], `is required${which}: the WorkloadEndpoint name is made from ${describeParts(s.orchestrator)}`, s[f]);
  }
  const nets = (s.ipNetworks ?? []).map((n) => parseIPOrCIDR(n));
  nets.forEach((c, i) => {
    if (c && c.prefix !== (c.version === 4 ? 32 : 128)) {
      issue(['ipNetworks', i], `${show(s.ipNetworks![i])} holds more than one address: only /32 (IPv4) and /128 (IPv6) networks are supported`, s.ipNetworks![i]);
    }
  });
  (s.ipNATs ?? []).forEach((nat, i) => {
    const int = parseIP(nat.internalIP);
    const ext = parseIP(nat.externalIP);
    if (int && ext && int.version !== ext.version) {
      issue(['ipNATs', i, 'externalIP'], `${show(nat.externalIP)} is IPv${ext.version} but internalIP ${show(nat.internalIP)} is IPv${int.version}`, nat.externalIP);
    }
    if (int && !nets.some((c) => c !== null && cidrContainsIP(c, int))) {
      issue(['ipNATs', i, 'internalIP'], `${show(nat.internalIP)} is not one of the endpoint's ipNetworks`, nat.internalIP);
    }
  });
  return s;
});

export type WorkloadEndpointSpec = z.output<typeof workloadEndpointSpec>;

function finish(meta: { readonly name: string }, spec: WorkloadEndpointSpec): { spec: WorkloadEndpointSpec; issues: Issue[] } {
  // The spec transform has already reported missing parts; the name is checked once it can be made.
  if (missingNameParts(spec).length > 0) return { spec, issues: [] };
  const expected = workloadEndpointName(spec as WorkloadEndpointIds);
  return {
    spec,
    issues: expected === meta.name ? [] : [{
      path: 'metadata.name',
      message: `${show(meta.name)} does not match the spec: a WorkloadEndpoint with this ${describeParts(spec.orchestrator)} is named ${show(expected)}`,
    }],
  };
}

export const WorkloadEndpoint = defineKind({
  kind: 'WorkloadEndpoint', plural: 'workloadendpoints', shortNames: ['wep', 'weps'], namespaced: true,
  spec: workloadEndpointSpec, finish,
});
