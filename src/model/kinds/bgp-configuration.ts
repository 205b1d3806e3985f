// BGPConfiguration (calico.md §1, §7; Calico's api/.../v3/bgpconfig.go): `default` holds the
// cluster-wide BGP settings, `node.<nodename>` overrides some of them for one node.
//
// Which fields a per-node object may hold follows Calico's clientv3 ValidateDefaultOnlyFields
// (nodeToNodeMeshEnabled, asNumber, serviceClusterIPs, serviceExternalIPs are `default`-only)
// plus the two mesh fields its API documents as `default`-only. Defaults are filled on the
// `default` object only: Calico's CRD also stamps logSeverityScreen/programClusterRoutes on every
// per-node object, which silently overrides the global value; here a per-node object inherits.

import { z } from 'zod';
import {
  asNumber, caselessEnum, dnsSubdomain, duration, ipAddressOf, ipOrCidr,
} from '../fields.js';
import { show, type Issue } from '../issues.js';
import { defineKind } from '../kind.js';

export const LOG_SEVERITIES = ['Trace', 'Debug', 'Info', 'Warning', 'Error', 'Fatal'] as const;
/** Who programs cluster routes (calico.md §7); BGPConfiguration names what BIRD/the BGP speaker owns. */
export const CLUSTER_ROUTE_MODES = ['Enabled', 'Disabled', 'EnabledIPIPOnly', 'EnabledNoEncapOnly'] as const;
export type ClusterRouteMode = (typeof CLUSTER_ROUTE_MODES)[number];

/** What an unset field of the `default` object means; filled into it on write. */
export const BGP_CONFIGURATION_DEFAULTS = {
  logSeverityScreen: 'Info',
  nodeToNodeMeshEnabled: true,
  asNumber: 64512,
  listenPort: 179,
  serviceLoadBalancerAggregation: 'Enabled',
  programClusterRoutes: 'EnabledNoEncapOnly',
} as const;

const GLOBAL_ONLY = ['nodeToNodeMeshEnabled', 'asNumber', 'serviceClusterIPs', 'serviceExternalIPs', 'nodeMeshPassword', 'nodeMeshMaxRestartTime'] as const;

/** `default` or `node.<nodename>`. */
export function configNameProblem(name: string): string | null {
  if (name === 'default' || /^node\..+/.test(name)) return null;
  return `${show(name)} is not a configuration name: use "default" for the cluster, or "node.<nodename>" for one node`;
}

/** A secret holding a BGP password (Kubernetes SecretKeySelector). */
export const bgpPassword = () => z.strictObject({
  secretKeyRef: z.strictObject({
    name: z.string().default(''),
    key: z.string().min(1),
    optional: z.boolean().optional(),
  }).optional(),
});

/** Standard `aa:nn` (16-bit parts) or large `aa:nn:mm` (32-bit parts) community; null when fine. */
export function communityProblem(v: string): string | null {
  const std = /^(\d+):(\d+)$/.exec(v);
  const large = /^(\d+):(\d+):(\d+)$/.exec(v);
  if (!std && !large) return `${show(v)} is not a community: use "aa:nn" (standard) or "aa:nn:mm" (large)`;
  const max = std ? 0xffff : 0xffffffff;
  const parts = (std ?? large)!.slice(1).map(Number);
  if (parts.some((n) => n > max)) return `${show(v)} is out of range: each part of a ${std ? 'standard community is 16' : 'large community is 32'} bits`;
  return null;
}

const serviceIPBlock = () => z.strictObject({ cidr: ipOrCidr({ masked: true }) });

// Calico's ignoredInterface rule: like an interface name, '*' allowed as a wildcard but not alone.
const ignoredInterface = () => z.string().refine((s) => s !== '*' && /^[a-zA-Z0-9_.*-]{1,15}$/.test(s), {
  error: (i) => `${show(i.input)} is not an interface name or pattern: 1 to 15 letters, digits, '_', '.', '-' or '*' (not "*" alone)`,
});

export const bgpConfigurationSpec = z.strictObject({
  logSeverityScreen: caselessEnum(LOG_SEVERITIES).optional(),
  nodeToNodeMeshEnabled: z.boolean().optional(),
  asNumber: asNumber().optional(),
  listenPort: z.number().int().min(1).max(65535).optional(),
  bindMode: z.enum(['None', 'NodeIP']).optional(),
  serviceClusterIPs: z.array(serviceIPBlock()).optional(),
  serviceExternalIPs: z.array(serviceIPBlock()).optional(),
  serviceLoadBalancerIPs: z.array(serviceIPBlock()).optional(),
  serviceLoadBalancerAggregation: z.enum(['Enabled', 'Disabled']).optional(),
  communities: z.array(z.strictObject({ name: dnsSubdomain(), value: z.string() })).optional(),
  prefixAdvertisements: z.array(z.strictObject({
    cidr: ipOrCidr({ masked: true }),
    /** Names from `communities`, or literal "aa:nn" / "aa:nn:mm" values. */
    communities: z.array(z.string()),
  })).optional(),
  nodeMeshPassword: bgpPassword().optional(),
  /** Graceful-restart time of mesh sessions; unset means BIRD's 120s. */
  nodeMeshMaxRestartTime: duration().optional(),
  ignoredInterfaces: z.array(ignoredInterface()).optional(),
  localWorkloadPeeringIPV4: ipAddressOf(4).optional(),
  localWorkloadPeeringIPV6: ipAddressOf(6).optional(),
  programClusterRoutes: z.enum(CLUSTER_ROUTE_MODES).optional(),
  ipv4NormalRoutePriority: z.number().int().min(1).max(2147483647).optional(),
  ipv6NormalRoutePriority: z.number().int().min(1).max(2147483647).optional(),
}).transform((s, ctx) => {
  const issue = (path: PropertyKey[], message: string, input: unknown): void => { ctx.addIssue({ code: 'custom', path, message, input }); };
  const names = new Set((s.communities ?? []).map((c) => c.name));
  (s.communities ?? []).forEach((c, i) => {
    const p = communityProblem(c.value);
    if (p) issue(['communities', i, 'value'], p, c.value);
  });
  if ((s.communities ?? []).length > 0 && (s.prefixAdvertisements ?? []).length === 0) {
    issue(['communities'], 'are defined but not used: add prefixAdvertisements that refer to them, or remove them', s.communities);
  }
  (s.prefixAdvertisements ?? []).forEach((pa, i) => pa.communities.forEach((v, j) => {
    if (!names.has(v) && communityProblem(v) !== null) {
      issue(['prefixAdvertisements', i, 'communities', j], `${show(v)} is neither a community defined in communities nor a value "aa:nn" or "aa:nn:mm"`, v);
    }
  }));
  // Calico's CRD rules: mesh-only settings make no sense with the mesh off.
  if (s.nodeToNodeMeshEnabled === false) {
    if (s.nodeMeshPassword !== undefined) issue(['nodeMeshPassword'], 'cannot be set when nodeToNodeMeshEnabled is false', s.nodeMeshPassword);
    if (s.nodeMeshMaxRestartTime !== undefined) issue(['nodeMeshMaxRestartTime'], 'cannot be set when nodeToNodeMeshEnabled is false', s.nodeMeshMaxRestartTime);
  }
  return s;
});

export type BGPConfigurationSpec = z.output<typeof bgpConfigurationSpec>;

function finish(meta: { readonly name: string }, spec: BGPConfigurationSpec): { spec: BGPConfigurationSpec; issues: Issue[] } {
  if (meta.name === 'default') return { spec: { ...BGP_CONFIGURATION_DEFAULTS, ...spec }, issues: [] };
  const issues: Issue[] = [];
  for (const f of GLOBAL_ONLY) {
    const v = spec[f];
    if (v === undefined || (Array.isArray(v) && v.length === 0)) continue;
    issues.push({ path: `spec.${f}`, message: `can only be set on the "default" BGPConfiguration, not on ${show(meta.name)}` });
  }
  return { spec, issues };
}

export const BGPConfiguration = defineKind({
  kind: 'BGPConfiguration', plural: 'bgpconfigurations', shortNames: ['bgpconfig', 'bgpconfigs'], namespaced: false,
  spec: bgpConfigurationSpec, nameCheck: configNameProblem, finish,
});
