// The `tortie` CNI plugin's work, done inside the agent (the native shim only relays): CNI spec
// 1.1 ADD / DEL / CHECK / STATUS / GC, as Calico's plugin does them (calico.md §5).
//
//   ADD: addresses (Tortie's IPAM in-process, or the configured IPAM plugin) → veth + pod side +
//        host route → WorkloadEndpoint → result. Any failure after IPAM gives the addresses back and
//        removes what was made.
//   DEL: WorkloadEndpoint (unless it belongs to a newer container) → veth → addresses; idempotent.

import { createHash } from 'node:crypto';
import { isTortieError } from '../../lib/errors.js';
import { parseCIDR } from '../../lib/ip.js';
import {
  CNI_ERR, CniError, errorResult, parseCniEnv, parseNetworkConfig, pluginResult, prevResultAddresses, validAttachmentIds, versionResult,
  type CniEnv,
} from '../../cni/protocol/index.js';
import { WorkloadEndpoint, resourceKey, validateDocument, workloadEndpointName, type Resource } from '../../model/index.js';
import type { IpamService } from '../../ipam/service/index.js';
import type { ResourceClient } from '../../resources/index.js';
import type { Sysctl } from '../../dataplane/index.js';
import { createPodInterface, deletePodInterface, inspectPodInterface, HOST_VETH_MAC, POD_GATEWAY } from '../../dataplane/linux/index.js';
import { delegateIpam } from './delegate-ipam.js';

export interface CniHandlerDeps {
  readonly nodeName: string;
  readonly resources: ResourceClient;
  readonly ipam: IpamService;
  readonly sysctl: Sysctl;
  /** The pod MTU the agent computed (host MTU minus encapsulation). */
  readonly podMtu: () => number;
  /** null when the agent can serve ADD, else why not (STATUS). */
  readonly notReady: () => string | null;
  /** Lets the agent program a new endpoint without waiting for its own watch. */
  readonly onEndpointWritten?: (key: string, value: unknown) => void;
  readonly interfacePrefix?: string;
}

export interface CniOutcome { readonly exitCode: number; readonly stdout: string }

type Conf = Record<string, unknown> & { cniVersion: string; name: string };

interface Identity {
  readonly orchestrator: 'k8s' | 'cni';
  readonly namespace: string;
  readonly pod?: string;
  readonly wepName: string;
  readonly hostIface: string;
  readonly handle: string;
}

function identity(env: CniEnv, conf: Conf, node: string, prefix: string): Identity {
  const pod = env.args['K8S_POD_NAME'];
  const namespace = env.args['K8S_POD_NAMESPACE'] ?? 'default';
  const k8s = pod !== undefined && pod !== '';
  // Calico's host-side name: prefix + 11 hex of sha1("<namespace>.<pod>"), or of the container ID.
  const hostIface = `${prefix}${k8s ? createHash('sha1').update(`${namespace}.${pod}`).digest('hex').slice(0, 11) : env.containerId.slice(0, 11)}`;
  const wepName = k8s
    ? workloadEndpointName({ node, orchestrator: 'k8s', pod: pod!, endpoint: env.ifname })
    : workloadEndpointName({ node, orchestrator: 'cni', containerID: env.containerId, endpoint: env.ifname });
  return { orchestrator: k8s ? 'k8s' : 'cni', namespace, ...(k8s ? { pod: pod! } : {}), wepName, hostIface, handle: `${conf.name}.${env.containerId}` };
}

/** Labels and named ports the runtime passes in `args.cni` (the CNI conventions document's place). */
function podMetadata(conf: Conf): { labels: Record<string, string>; ports: Array<{ name: string; port: number; protocol: string }> } {
  const cni = ((conf['args'] as Record<string, unknown> | null | undefined)?.['cni'] ?? {}) as Record<string, unknown>;
  // What is not a list of objects carries no labels or ports (as entries without their fields).
  const entries = (v: unknown): Array<Record<string, unknown>> => (Array.isArray(v) ? v.filter((x): x is Record<string, unknown> => typeof x === 'object' && x !== null) : []);
  const labels: Record<string, string> = {};
  for (const l of entries(cni['labels'])) {
    if (typeof l['key'] === 'string' && typeof l['value'] === 'string') labels[l['key']] = l['value'];
  }
  const ports = (entries(cni['ports']) as Array<{ name?: unknown; port?: unknown; protocol?: unknown }>)
    .filter((p) => typeof p.name === 'string' && typeof p.port === 'number')
    .map((p) => ({ name: String(p.name), port: Number(p.port), protocol: typeof p.protocol === 'string' ? p.protocol.toUpperCase() : 'TCP' }));
  return { labels, ports };
}

/** Stands in for the pod's address when its endpoint is checked before IPAM gives one (TEST-NET-1, RFC 5737). */
const PLACEHOLDER_IP = '192.0.2.1';

const isTortieIpam = (conf: Conf): boolean => (conf['ipam'] as { type?: unknown } | undefined)?.type === 'tortie-ipam';

/** `ipam.ipv4_pools` of Tortie's IPAM: pool names or CIDRs. */
function ipv4Pools(conf: Conf): string[] | undefined {
  const v = (conf['ipam'] as Record<string, unknown>)['ipv4_pools'];
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.some((p) => typeof p !== 'string')) throw new CniError(CNI_ERR.INVALID_NETWORK_CONFIG, 'ipam.ipv4_pools must be a list of pool names or CIDRs');
  return v as string[];
}

function toCniError(e: unknown): CniError {
  if (e instanceof CniError) return e;
  if (isTortieError(e)) {
    if (e.retryable || e.code === 'TORTIE_ERR_DATASTORE_UNAVAILABLE') return new CniError(CNI_ERR.TRY_AGAIN_LATER, e.message, e.code);
    if (e.code.startsWith('TORTIE_ERR_IPAM_')) return new CniError(CNI_ERR.IPAM_FAILURE, e.message, e.code);
    return new CniError(CNI_ERR.PLUGIN_FAILURE, e.message, e.code);
  }
  return new CniError(CNI_ERR.PLUGIN_FAILURE, `Unexpected failure in the Tortie agent: ${e instanceof Error ? e.message : String(e)}`, 'TORTIE_ERR_INTERNAL_BUG');
}

export class CniHandler {
  constructor(private readonly d: CniHandlerDeps) {}

  async handle(rawEnv: Readonly<Record<string, string>>, stdin: string): Promise<CniOutcome> {
    let version: string | undefined;
    try {
      const env = parseCniEnv(rawEnv);
      if (env.command === 'VERSION') return { exitCode: 0, stdout: JSON.stringify(versionResult(tryVersion(stdin))) };
      const conf = parseNetworkConfig(stdin) as Conf;
      version = conf.cniVersion;
      // Checked before any command acts: a DEL must not remove the endpoint and then find it cannot release the addresses.
      const ipam = conf['ipam'];
      if (typeof ipam !== 'object' || ipam === null || typeof (ipam as Record<string, unknown>)['type'] !== 'string') {
        throw new CniError(CNI_ERR.INVALID_NETWORK_CONFIG, 'The network configuration has no "ipam" section naming its plugin (e.g. {"type": "tortie-ipam"})');
      }
      const out = await this.dispatch(env, rawEnv, conf);
      return { exitCode: 0, stdout: out ? JSON.stringify(out) : '' };
    } catch (e) {
      return { exitCode: 1, stdout: JSON.stringify(errorResult(toCniError(e), version)) };
    }
  }

  private dispatch(env: CniEnv, raw: Readonly<Record<string, string>>, conf: Conf): Promise<Record<string, unknown> | null> {
    switch (env.command) {
      case 'ADD': return this.add(env, raw, conf);
      case 'DEL': return this.del(env, raw, conf).then(() => null);
      case 'CHECK': return this.check(env, conf).then(() => null);
      case 'STATUS': return this.status(conf).then(() => null);
      case 'GC': return this.gc(conf).then(() => null);
      default: throw new CniError(CNI_ERR.INVALID_ENVIRONMENT, `CNI_COMMAND ${env.command} is not handled here`);
    }
  }

  private async add(env: CniEnv, raw: Readonly<Record<string, string>>, conf: Conf): Promise<Record<string, unknown>> {
    const id = identity(env, conf, this.d.nodeName, this.d.interfacePrefix ?? 'cali');
    const meta = podMetadata(conf);
    const mtu = conf['mtu'] === undefined ? this.d.podMtu() : conf['mtu'];
    if (typeof mtu !== 'number' || !Number.isInteger(mtu) || mtu < 68 || mtu > 65535) throw new CniError(CNI_ERR.INVALID_NETWORK_CONFIG, `mtu ${JSON.stringify(mtu)} is not a whole number from 68 to 65535`);
    // 0. What the input decides is checked before anything is allocated or made: the endpoint as it
    // will be written (its addresses and MAC, filled in below, are valid by construction).
    this.endpoint(env, conf, id, [PLACEHOLDER_IP], HOST_VETH_MAC, meta);
    // 1. Addresses.
    let ips: string[];
    if (isTortieIpam(conf)) {
      const pools = ipv4Pools(conf);
      const existing = await this.d.ipam.ipsOfHandle(id.handle);
      ips = existing.length > 0 ? existing : await this.d.ipam.autoAssign({
        node: this.d.nodeName, handle: id.handle, count: 1, ...(pools ? { pools } : {}),
        attributes: { node: this.d.nodeName, namespace: id.namespace, ...(id.pod ? { pod: id.pod } : {}), timestamp: new Date().toISOString() },
      });
    } else {
      const r = await delegateIpam('ADD', env, raw, conf);
      ips = r!.ips.map((i) => i.address.split('/')[0]!).filter((a) => parseCIDR(`${a}/32`) !== null);
      if (ips.length === 0) throw new CniError(CNI_ERR.PLUGIN_FAILURE, 'The IPAM plugin gave no IPv4 address (Tortie pods are IPv4 for now)');
    }
    const releaseAddresses = async (): Promise<void> => {
      if (isTortieIpam(conf)) await this.d.ipam.releaseByHandle(id.handle).catch(() => {});
      else await delegateIpam('DEL', env, raw, conf).catch(() => {});
    };
    // 2. Interfaces, 3. the WorkloadEndpoint; undone on failure.
    let made = false;
    try {
      await deletePodInterface(id.hostIface).catch(() => false); // a leftover of the same name goes first (Calico does)
      const pi = await createPodInterface({ netns: env.netns, hostIface: id.hostIface, podIface: env.ifname, addresses: ips, mtu }, this.d.sysctl);
      made = true;
      await this.writeEndpoint(env, conf, id, ips, pi.podMac, meta);
      return pluginResult(conf.cniVersion, {
        interfaces: [{ name: id.hostIface, mac: pi.hostMac || HOST_VETH_MAC }, { name: env.ifname, mac: pi.podMac, sandbox: env.netns, mtu }],
        ips: ips.map((a) => ({ address: `${a}/32`, interface: 1 })),
        routes: [{ dst: '0.0.0.0/0', gw: POD_GATEWAY }],
      });
    } catch (e) {
      if (made) await deletePodInterface(id.hostIface).catch(() => {});
      await releaseAddresses();
      throw e;
    }
  }

  /** This attachment's WorkloadEndpoint, validated: CNI error 7 when the pod's names or metadata make it invalid. */
  private endpoint(env: CniEnv, conf: Conf, id: Identity, ips: readonly string[], mac: string, meta: ReturnType<typeof podMetadata>): Resource {
    const profiles = id.orchestrator === 'k8s' ? [`kns.${id.namespace}`] : [conf.name];
    const v = validateDocument({
      apiVersion: 'projectcalico.org/v3', kind: 'WorkloadEndpoint',
      metadata: { name: id.wepName, namespace: id.namespace, ...(Object.keys(meta.labels).length > 0 ? { labels: meta.labels } : {}) },
      spec: {
        orchestrator: id.orchestrator, node: this.d.nodeName, endpoint: env.ifname, containerID: env.containerId,
        ...(id.pod ? { pod: id.pod } : { workload: env.containerId }),
        interfaceName: id.hostIface, mac, ipNetworks: ips.map((a) => `${a}/32`), profiles,
        ...(meta.ports.length > 0 ? { ports: meta.ports } : {}),
      },
    });
    if (!v.ok) throw new CniError(CNI_ERR.INVALID_NETWORK_CONFIG, `The WorkloadEndpoint for this pod would be invalid: ${v.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
    return v.resource;
  }

  private async writeEndpoint(env: CniEnv, conf: Conf, id: Identity, ips: readonly string[], mac: string, meta: ReturnType<typeof podMetadata>): Promise<void> {
    const wep = this.endpoint(env, conf, id, ips, mac, meta);
    if (id.orchestrator === 'cni') await this.ensureNetworkProfile(conf.name);
    await this.d.resources.apply([wep]);
    const key = resourceKey(WorkloadEndpoint, id.wepName, id.namespace);
    const stored = await this.d.resources.store.get(key).catch(() => null);
    if (stored) this.d.onEndpointWritten?.(key, stored.value);
  }

  /** Outside Kubernetes, Calico gives a network a profile of its name that allows everything. */
  private async ensureNetworkProfile(name: string): Promise<void> {
    const v = validateDocument({ apiVersion: 'projectcalico.org/v3', kind: 'Profile', metadata: { name }, spec: { ingress: [{ action: 'Allow' }], egress: [{ action: 'Allow' }] } });
    if (v.ok) await this.d.resources.create([v.resource], { skipExisting: true });
  }

  private async del(env: CniEnv, raw: Readonly<Record<string, string>>, conf: Conf): Promise<void> {
    const id = identity(env, conf, this.d.nodeName, this.d.interfacePrefix ?? 'cali');
    let wep: Resource | null = null;
    try { wep = await this.d.resources.get(WorkloadEndpoint, id.wepName, id.namespace); } catch (e) {
      if (!isTortieError(e, 'TORTIE_ERR_DATASTORE_NOT_FOUND')) throw e;
    }
    // A newer sandbox of the same pod owns the endpoint (and the interface name): leave both.
    const stale = wep !== null && typeof wep.spec['containerID'] === 'string' && wep.spec['containerID'] !== env.containerId;
    if (wep && !stale) {
      await this.d.resources.delete([{ kind: WorkloadEndpoint, name: id.wepName, namespace: id.namespace }], { skipMissing: true });
      const key = resourceKey(WorkloadEndpoint, id.wepName, id.namespace);
      this.d.onEndpointWritten?.(key, null);
    }
    if (!stale) await deletePodInterface(id.hostIface);
    if (isTortieIpam(conf)) await this.d.ipam.releaseByHandle(id.handle);
    else await delegateIpam('DEL', env, raw, conf);
  }

  private async check(env: CniEnv, conf: Conf): Promise<void> {
    const id = identity(env, conf, this.d.nodeName, this.d.interfacePrefix ?? 'cali');
    if (conf['prevResult'] === undefined || conf['prevResult'] === null) throw new CniError(CNI_ERR.INVALID_NETWORK_CONFIG, 'CHECK needs prevResult in the network configuration');
    const want = prevResultAddresses(conf);
    const state = await inspectPodInterface(env.netns, id.hostIface, env.ifname);
    const problems: string[] = [];
    if (!state.hostExists) problems.push(`the host interface ${id.hostIface} is missing`);
    if (state.podAddresses === null) problems.push(`${env.ifname} is missing in ${env.netns}`);
    else for (const a of want) if (!state.podAddresses.includes(a)) problems.push(`${env.ifname} lacks ${a} (has ${state.podAddresses.join(', ') || 'none'})`);
    if (!state.podRoutes.some((r) => r.startsWith(`default via ${POD_GATEWAY}`))) problems.push(`the default route via ${POD_GATEWAY} is missing`);
    const wep = await this.d.resources.get(WorkloadEndpoint, id.wepName, id.namespace).catch(() => null);
    if (!wep) problems.push(`the WorkloadEndpoint ${id.namespace}/${id.wepName} is missing`);
    else if (wep.spec['containerID'] !== env.containerId) problems.push(`the WorkloadEndpoint belongs to container ${String(wep.spec['containerID'])}`);
    if (isTortieIpam(conf)) {
      const held = await this.d.ipam.ipsOfHandle(id.handle);
      for (const a of want) if (!held.includes(a.split('/')[0]!)) problems.push(`${a} is not allocated to ${id.handle}`);
    }
    if (problems.length > 0) throw new CniError(CNI_ERR.PLUGIN_FAILURE, `CHECK failed: ${problems.join('; ')}`);
  }

  private async status(conf: Conf): Promise<void> {
    const why = this.d.notReady();
    if (why) throw new CniError(50, `The Tortie agent cannot serve ADD yet: ${why}`);
    if (isTortieIpam(conf)) {
      const pools = ipv4Pools(conf);
      await this.d.ipam.poolsFor(await this.d.ipam.node(this.d.nodeName), 'Workload', pools).catch((e: unknown) => {
        throw new CniError(50, `No address can be given: ${e instanceof Error ? e.message : String(e)}`);
      });
    }
  }

  /** Releases what belongs to attachments the runtime no longer has (cni.dev/valid-attachments). */
  private async gc(conf: Conf): Promise<void> {
    const valid = new Set(validAttachmentIds(conf));
    for (const w of await this.d.resources.list(WorkloadEndpoint)) {
      const cid = w.spec['containerID'];
      if (w.spec['node'] !== this.d.nodeName || typeof cid !== 'string' || valid.has(cid)) continue;
      await this.d.resources.delete([{ kind: WorkloadEndpoint, name: w.metadata.name, namespace: w.metadata.namespace ?? 'default' }], { skipMissing: true });
      if (typeof w.spec['interfaceName'] === 'string') await deletePodInterface(w.spec['interfaceName']).catch(() => false);
      this.d.onEndpointWritten?.(resourceKey(WorkloadEndpoint, w.metadata.name, w.metadata.namespace), null);
    }
    if (isTortieIpam(conf)) {
      const prefix = `/calico/ipam/v2/handle/${conf.name}.`;
      for (const kv of (await this.d.resources.store.list(prefix)).items) {
        const cid = kv.key.slice(prefix.length);
        if (!valid.has(cid)) await this.d.ipam.releaseByHandle(`${conf.name}.${cid}`);
      }
    }
  }
}

function tryVersion(stdin: string): string | undefined {
  try { return (JSON.parse(stdin) as { cniVersion?: string }).cniVersion; } catch { return undefined; }
}

