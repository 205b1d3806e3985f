// FelixConfiguration (calico.md §6; Calico's api/.../v3/felixconfig.go and its CRD): the agent's
// dataplane settings, cluster-wide in `default` and per node in `node.<nodename>`.
//
// Calico stores no defaults here: an unset field means "the agent's default", and a per-node object
// overrides only what it sets. So every field stays optional, and FELIX_DEFAULTS says what unset
// means. (Calico's CRD does stamp `nftablesMode: Auto` on every object, which makes each per-node
// object override the global mode; Tortie leaves it unset.) Words Felix takes in any case (its
// `^(?i)…$` patterns) are accepted in any case and stored in Calico's spelling.

import { z } from 'zod';
import { parseIP } from '../../lib/ip.js';
import { caselessEnum, duration, interfaceName, ipOrCidr, parseIPOrCIDR, regexp } from '../fields.js';
import { show } from '../issues.js';
import { defineKind } from '../kind.js';
import { CLUSTER_ROUTE_MODES, configNameProblem, LOG_SEVERITIES } from './bgp-configuration.js';

const PORT_PROTOCOLS = ['TCP', 'UDP', 'SCTP'] as const;

/** A failsafe port: always open to (inbound) or from (outbound) the host, whatever the policy. */
const protoPort = z.strictObject({
  /** Unset means TCP. */
  protocol: caselessEnum(PORT_PROTOCOLS).optional(),
  port: z.number().int().min(0).max(65535),
  /** Only this remote network; unset means any. */
  net: ipOrCidr().optional(),
});
export type ProtoPort = z.output<typeof protoPort>;

// A port or an inclusive range: 30000, "30000", "30000:32767".
const portRangeProblem = (v: number | string): string | null => {
  const ok = (n: number): boolean => Number.isInteger(n) && n >= 0 && n <= 65535;
  if (typeof v === 'number') return ok(v) ? null : `${v} is not a port number (0–65535)`;
  const m = /^(\d+)(?::(\d+))?$/.exec(v);
  if (m && ok(Number(m[1])) && (m[2] === undefined || (ok(Number(m[2])) && Number(m[1]) <= Number(m[2])))) return null;
  return `${show(v)} is not a port or a range "min:max" (0 <= min <= max <= 65535)`;
};
const portRange = () => z.union([z.number(), z.string()]).superRefine((v, ctx) => {
  const p = portRangeProblem(v);
  if (p) ctx.addIssue({ code: 'custom', message: p, input: v });
});

const routeTableRange = z.strictObject({ min: z.number().int(), max: z.number().int() });
const port = () => z.number().int().min(0).max(65535);
const mtu = () => z.number().int().min(0).max(65535);
const mark = () => z.number().int().min(0).max(0xffffffff);

export const felixConfigurationSpec = z.strictObject({
  // Interfaces, chains and actions.
  interfacePrefix: z.string().min(1).optional(),
  interfaceExclude: z.string().optional(),
  chainInsertMode: caselessEnum(['Insert', 'Append']).optional(),
  defaultEndpointToHostAction: caselessEnum(['Drop', 'Accept', 'Return']).optional(),
  iptablesFilterAllowAction: caselessEnum(['Accept', 'Return']).optional(),
  iptablesMangleAllowAction: caselessEnum(['Accept', 'Return']).optional(),
  iptablesFilterDenyAction: caselessEnum(['Drop', 'Reject']).optional(),
  nftablesFilterAllowAction: caselessEnum(['Accept', 'Return']).optional(),
  nftablesMangleAllowAction: caselessEnum(['Accept', 'Return']).optional(),
  nftablesFilterDenyAction: caselessEnum(['Drop', 'Reject']).optional(),
  iptablesMarkMask: mark().optional(),
  nftablesMarkMask: mark().optional(),
  iptablesBackend: caselessEnum(['Auto', 'Legacy', 'NFT']).optional(),
  nftablesMode: z.enum(['Disabled', 'Enabled', 'Auto']).optional(),
  iptablesNATOutgoingInterfaceFilter: z.string().optional(),
  featureDetectOverride: z.string().regex(/^([a-zA-Z0-9-_]+=(true|false|),)*([a-zA-Z0-9-_]+=(true|false|))?$/, {
    error: (i) => `${show(i.input)} is not a list like "SNATFullyRandom=true,MASQFullyRandom=false"`,
  }).optional(),
  featureGates: z.string().regex(/^([a-zA-Z0-9-_]+=([^=]+),)*([a-zA-Z0-9-_]+=([^=]+))?$/, {
    error: (i) => `${show(i.input)} is not a list like "FeatureA=enabled,FeatureB=false"`,
  }).optional(),
  bpfEnabled: z.boolean().optional(),
  bpfLogLevel: caselessEnum(['Off', 'Info', 'Debug']).optional(),
  bpfDataIfacePattern: regexp().optional(),
  bpfExternalServiceMode: caselessEnum(['Tunnel', 'DSR']).optional(),
  bpfConnectTimeLoadBalancing: z.enum(['TCP', 'Enabled', 'Disabled']).optional(),
  bpfKubeProxyIptablesCleanupEnabled: z.boolean().optional(),
  bpfEnforceRPF: caselessEnum(['Disabled', 'Strict', 'Loose']).optional(),
  xdpEnabled: z.boolean().optional(),
  genericXDPEnabled: z.boolean().optional(),
  useInternalDataplaneDriver: z.boolean().optional(),
  dataplaneDriver: z.string().optional(),
  ipv6Support: z.boolean().optional(),

  // Encapsulation. ipipEnabled/vxlanEnabled unset: derived from the IP pools.
  ipipEnabled: z.boolean().optional(),
  ipipMTU: mtu().optional(),
  vxlanEnabled: z.boolean().optional(),
  vxlanMTU: mtu().optional(),
  vxlanMTUV6: mtu().optional(),
  vxlanPort: z.number().int().min(1).max(65535).optional(),
  vxlanVNI: z.number().int().min(1).max(0xffffff).optional(),
  allowIPIPPacketsFromWorkloads: z.boolean().optional(),
  allowVXLANPacketsFromWorkloads: z.boolean().optional(),
  wireguardEnabled: z.boolean().optional(),
  wireguardEnabledV6: z.boolean().optional(),
  wireguardInterfaceName: interfaceName().optional(),
  wireguardInterfaceNameV6: interfaceName().optional(),
  wireguardListeningPort: port().optional(),
  wireguardListeningPortV6: port().optional(),
  wireguardMTU: mtu().optional(),
  wireguardMTUV6: mtu().optional(),
  wireguardRoutingRulePriority: z.number().int().min(0).optional(),
  wireguardHostEncryptionEnabled: z.boolean().optional(),
  wireguardKeepAlive: duration().optional(),
  mtuIfacePattern: regexp().optional(),

  // Refresh intervals and timeouts.
  routeRefreshInterval: duration().optional(),
  iptablesRefreshInterval: duration().optional(),
  ipsetsRefreshInterval: duration().optional(),
  interfaceRefreshInterval: duration().optional(),
  nftablesRefreshInterval: duration().optional(),
  xdpRefreshInterval: duration().optional(),
  iptablesPostWriteCheckInterval: duration().optional(),
  iptablesLockProbeInterval: duration().optional(),
  netlinkTimeout: duration().optional(),
  reportingInterval: duration().optional(),
  reportingTTL: duration().optional(),
  dataplaneWatchdogTimeout: duration().optional(),
  healthTimeoutOverrides: z.array(z.strictObject({
    name: z.string().regex(/^[a-zA-Z0-9_ -]+$/, { error: (i) => `${show(i.input)} is not a component name: letters, digits, '_', ' ' and '-'` }),
    timeout: duration(),
  })).optional(),
  maxIpsetSize: z.number().int().min(1).optional(),

  // Failsafe ports.
  failsafeInboundHostPorts: z.array(protoPort).optional(),
  failsafeOutboundHostPorts: z.array(protoPort).optional(),

  // NAT.
  natOutgoingAddress: z.string().optional(),
  natPortRange: portRange().optional(),
  natOutgoingExclusions: z.enum(['IPPoolsOnly', 'IPPoolsAndHostIPs']).optional(),
  kubeNodePortRanges: z.array(portRange()).max(7).optional(),
  externalNodesList: z.array(ipOrCidr()).optional(),

  // Health, metrics, reporting, logging.
  healthEnabled: z.boolean().optional(),
  healthHost: z.string().optional(),
  healthPort: port().optional(),
  prometheusMetricsEnabled: z.boolean().optional(),
  prometheusMetricsHost: z.string().optional(),
  prometheusMetricsPort: port().optional(),
  prometheusGoMetricsEnabled: z.boolean().optional(),
  prometheusProcessMetricsEnabled: z.boolean().optional(),
  prometheusWireGuardMetricsEnabled: z.boolean().optional(),
  endpointReportingEnabled: z.boolean().optional(),
  endpointReportingDelay: duration().optional(),
  endpointStatusPathPrefix: z.string().optional(),
  usageReportingEnabled: z.boolean().optional(),
  logSeverityScreen: caselessEnum(LOG_SEVERITIES).optional(),
  logSeverityFile: caselessEnum(LOG_SEVERITIES).optional(),
  logSeveritySys: caselessEnum(LOG_SEVERITIES).optional(),
  logFilePath: z.string().optional(),
  logPrefix: z.string().regex(/^([a-zA-Z0-9%: /_-])*$/, {
    error: (i) => `${show(i.input)} is not a log prefix: letters, digits, '%', ':', ' ', '/', '_' and '-'`,
  }).optional(),
  logDebugFilenameRegex: regexp().optional(),
  logActionRateLimit: z.string().regex(/^[1-9]\d{0,3}\/(second|minute|hour|day)$/, {
    error: (i) => `${show(i.input)} is not a rate like "10/second" (1–9999 per second, minute, hour or day)`,
  }).optional(),
  logActionRateLimitBurst: z.number().int().min(0).max(9999).optional(),
  debugPort: port().optional(),
  debugHost: z.string().optional(),

  // Routes and workload traffic.
  routeSource: caselessEnum(['WorkloadIPs', 'CalicoIPAM']).optional(),
  routeTableRange: routeTableRange.optional(),
  routeTableRanges: z.array(routeTableRange).optional(),
  routeSyncDisabled: z.boolean().optional(),
  deviceRouteProtocol: z.number().int().min(0).max(255).optional(),
  deviceRouteSourceAddress: z.string().optional(),
  deviceRouteSourceAddressIPv6: z.string().optional(),
  removeExternalRoutes: z.boolean().optional(),
  /** What the agent (not the BGP speaker) programs; complements BGPConfiguration.programClusterRoutes. */
  programClusterRoutes: z.enum(CLUSTER_ROUTE_MODES).optional(),
  ipForwarding: z.enum(['Enabled', 'Disabled']).optional(),
  ipv4NormalRoutePriority: z.number().int().min(1).max(2147483647).optional(),
  ipv6NormalRoutePriority: z.number().int().min(1).max(2147483647).optional(),
  ipv4ElevatedRoutePriority: z.number().int().min(1).max(2147483647).optional(),
  ipv6ElevatedRoutePriority: z.number().int().min(1).max(2147483647).optional(),
  disableConntrackInvalidCheck: z.boolean().optional(),
  serviceLoopPrevention: caselessEnum(['Drop', 'Reject', 'Disabled']).optional(),
  workloadSourceSpoofing: caselessEnum(['Disabled', 'Any']).optional(),
  floatingIPs: z.enum(['Enabled', 'Disabled']).optional(),
  metadataAddr: z.string().optional(),
  metadataPort: port().optional(),
  openstackRegion: z.string().optional(),
  awsSrcDstCheck: z.enum(['DoNothing', 'Enable', 'Disable']).optional(),
}).transform((s, ctx) => {
  const issue = (path: PropertyKey[], message: string, input: unknown): void => { ctx.addIssue({ code: 'custom', path, message, input }); };
  const family = (field: 'natOutgoingAddress' | 'deviceRouteSourceAddress' | 'deviceRouteSourceAddressIPv6', v: 4 | 6): void => {
    const value = s[field];
    if (value && parseIP(value)?.version !== v) issue([field], `${show(value)} is not a valid IPv${v} address`, value);
  };
  family('natOutgoingAddress', 4);
  family('deviceRouteSourceAddress', 4);
  family('deviceRouteSourceAddressIPv6', 6);
  if (s.routeTableRange !== undefined && s.routeTableRanges !== undefined) {
    issue(['routeTableRanges'], 'cannot be set together with routeTableRange (deprecated): keep only routeTableRanges', s.routeTableRanges);
  }
  if (s.routeTableRange !== undefined) {
    const { min, max } = s.routeTableRange;
    if (min < 1 || max < min || max > 250) issue(['routeTableRange'], `${min}–${max} is not a range of route tables within 1–250`, s.routeTableRange);
  }
  (s.routeTableRanges ?? []).forEach((r, i) => {
    if (r.min < 1 || r.max < r.min || r.max > 0xffffffff) issue(['routeTableRanges', i], `${r.min}–${r.max} is not a range of route tables (1 <= min <= max)`, r);
  });
  (s.externalNodesList ?? []).forEach((c, i) => {
    if (parseIPOrCIDR(c)?.version === 6) issue(['externalNodesList', i], `${show(c)} is IPv6: only IPv4 networks are supported here`, c);
  });
  // Calico: the region becomes part of a namespace name "openstack-region-<region>" (a DNS label).
  if (s.openstackRegion) {
    if (s.openstackRegion.length > 63 - 'openstack-region-'.length) issue(['openstackRegion'], `${show(s.openstackRegion)} is too long: at most 46 characters`, s.openstackRegion);
    else if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(s.openstackRegion)) issue(['openstackRegion'], `${show(s.openstackRegion)} is not a DNS label: lower-case letters, digits and '-'`, s.openstackRegion);
  }
  return s;
});

export type FelixConfigurationSpec = z.output<typeof felixConfigurationSpec>;

const failsafe = (spec: string): ProtoPort[] => spec.split(',').map((e) => {
  const [protocol, port] = e.split(':');
  return { protocol: protocol!.toUpperCase() as ProtoPort['protocol'], port: Number(port) };
});

/** What an unset field means (calico.md §6, Felix's config_params.go); the agent's starting point. */
export const FELIX_DEFAULTS = Object.freeze({
  interfacePrefix: 'cali',
  interfaceExclude: 'kube-ipvs0',
  chainInsertMode: 'Insert',
  defaultEndpointToHostAction: 'Drop',
  iptablesFilterAllowAction: 'Accept',
  iptablesMangleAllowAction: 'Accept',
  iptablesFilterDenyAction: 'Drop',
  iptablesMarkMask: 0xffff0000,
  iptablesBackend: 'Auto',
  nftablesMode: 'Auto',
  bpfEnabled: false,
  ipipMTU: 0,
  vxlanMTU: 0,
  vxlanPort: 4789,
  vxlanVNI: 4096,
  routeRefreshInterval: '90s',
  iptablesRefreshInterval: '180s',
  ipsetsRefreshInterval: '90s',
  interfaceRefreshInterval: '90s',
  failsafeInboundHostPorts: failsafe('tcp:22,udp:68,tcp:179,tcp:2379,tcp:2380,tcp:5473,tcp:6443,tcp:6666,tcp:6667'),
  failsafeOutboundHostPorts: failsafe('udp:53,udp:67,tcp:179,tcp:2379,tcp:2380,tcp:5473,tcp:6443,tcp:6666,tcp:6667'),
  natOutgoingExclusions: 'IPPoolsOnly',
  kubeNodePortRanges: ['30000:32767'],
  healthPort: 9099,
  prometheusMetricsEnabled: false,
  prometheusMetricsPort: 9091,
  reportingInterval: '30s',
  logSeverityScreen: 'Info',
  logPrefix: 'calico-packet',
  routeSource: 'CalicoIPAM',
  /** Felix programs its routes with protocol 80 when this is left at 3 (calico.md §6). */
  deviceRouteProtocol: 3,
  removeExternalRoutes: true,
  programClusterRoutes: 'EnabledIPIPOnly',
  ipForwarding: 'Enabled',
  mtuIfacePattern: '^((en|wl|ww|sl|ib)[Pcopsvx].*|(eth|wlan|wwan).*)',
  allowIPIPPacketsFromWorkloads: false,
  allowVXLANPacketsFromWorkloads: false,
  serviceLoopPrevention: 'Drop',
  workloadSourceSpoofing: 'Disabled',
} satisfies FelixConfigurationSpec);

export const FelixConfiguration = defineKind({
  kind: 'FelixConfiguration', plural: 'felixconfigurations', shortNames: ['felixconfig', 'felixconfigs'], namespaced: false,
  spec: felixConfigurationSpec, nameCheck: configNameProblem,
});
