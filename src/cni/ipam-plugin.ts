// `tortie-ipam`: a CNI IPAM plugin (CNI spec 1.1.0, the IPAM protocol) over Tortie's IPAM, usable
// by any main plugin (Tortie's own, or the reference ptp/bridge). Config fields follow Calico's
// calico-ipam where they exist, read from the `ipam` section or else the top level:
//   nodename | nodename_file (default /var/lib/tortie/nodename) | the hostname
//   datastore_type embedded | etcdv3, store_path, etcd_endpoints, etcd_{ca_cert,cert,key}_file
//   ipv4_pools [names or CIDRs], assign_ipv4 ("true"), assign_ipv6 (only "false": v6 is not built yet)
// and, for main plugins that expect a subnet rather than Calico's host routes (the reference ptp):
//   address_prefix "host" (default: each address as a /32) | "block" (the block's prefix length),
//   gateway (returned with each address, e.g. "169.254.1.1"), routes [{dst, gw?}] (passed through)
// The handle of an attachment is `<network name>.<container id>`, as Calico's.

import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { isTortieError } from '../lib/errors.js';
import { cidrContainsIP, parseCIDR, parseIP } from '../lib/ip.js';
import type { DatastoreSettings } from '../datastore/config.js';
import { loadDatastoreConfig, openStore } from '../datastore/connect/index.js';
import type { Store } from '../datastore/ports.js';
import { HANDLE_PREFIX } from '../ipam/block/index.js';
import { IpamService } from '../ipam/service/index.js';
import { ResourceClient } from '../resources/index.js';
import {
  CNI_ERR, CniError, errorResult, ipamResult, parseCniEnv, parseNetworkConfig, prevResultAddresses, validAttachmentIds, versionResult,
  type CniEnv, type IpamResultOptions,
} from './protocol/index.js';

export const DEFAULT_NODENAME_FILE = '/var/lib/tortie/nodename';

export interface PluginIO {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdin: string;
}

export interface PluginOutcome {
  readonly stdout: string;
  readonly exitCode: number;
}

type Conf = Record<string, unknown>;

/** A setting from the `ipam` section, else the top level of the network config. */
function setting(conf: Conf, name: string): unknown {
  const ipam = conf['ipam'];
  if (typeof ipam === 'object' && ipam !== null && (ipam as Conf)[name] !== undefined) return (ipam as Conf)[name];
  return conf[name];
}

function stringSetting(conf: Conf, name: string): string | undefined {
  const v = setting(conf, name);
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw new CniError(CNI_ERR.INVALID_NETWORK_CONFIG, `${name} must be a string, got ${JSON.stringify(v)}`);
  return v;
}

function nodeName(conf: Conf): string {
  const explicit = stringSetting(conf, 'nodename');
  if (explicit) return explicit;
  const file = stringSetting(conf, 'nodename_file') ?? DEFAULT_NODENAME_FILE;
  try {
    const n = readFileSync(file, 'utf8').trim();
    if (n) return n;
  } catch (e) {
    if (stringSetting(conf, 'nodename_file') !== undefined && setting(conf, 'nodename_file_optional') !== true) {
      throw new CniError(CNI_ERR.INVALID_NETWORK_CONFIG, `Cannot read nodename_file ${file}: ${(e as Error).message} (is the Tortie agent running on this node?)`);
    }
  }
  return hostname();
}

function datastoreSettings(conf: Conf): DatastoreSettings {
  const s: DatastoreSettings = {};
  const type = stringSetting(conf, 'datastore_type');
  if (type) {
    if (!['embedded', 'etcd', 'etcdv3'].includes(type)) throw new CniError(CNI_ERR.INVALID_NETWORK_CONFIG, `datastore_type "${type}" is not one of: embedded, etcdv3`);
    s.datastore = type === 'etcdv3' ? 'etcd' : type;
  }
  const pairs: Array<[keyof DatastoreSettings, string]> = [
    ['storePath', 'store_path'], ['etcdEndpoints', 'etcd_endpoints'], ['etcdCACertFile', 'etcd_ca_cert_file'],
    ['etcdCertFile', 'etcd_cert_file'], ['etcdKeyFile', 'etcd_key_file'],
  ];
  for (const [field, name] of pairs) {
    const v = stringSetting(conf, name);
    if (v) s[field] = v;
  }
  return s;
}

function pools(conf: Conf): string[] | undefined {
  const v = setting(conf, 'ipv4_pools');
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.some((p) => typeof p !== 'string')) throw new CniError(CNI_ERR.INVALID_NETWORK_CONFIG, 'ipv4_pools must be a list of pool names or CIDRs');
  return v as string[];
}

/** How the result looks, from the configuration alone: checked before an address is taken. */
interface ResultShape {
  readonly style: 'host' | 'block';
  readonly gateway?: string;
  readonly routes?: Array<{ dst: string; gw?: string }>;
}

function resultShape(conf: Conf): ResultShape {
  const style = stringSetting(conf, 'address_prefix') ?? 'host';
  if (style !== 'host' && style !== 'block') throw new CniError(CNI_ERR.INVALID_NETWORK_CONFIG, `address_prefix "${style}" is not one of: host, block`);
  const gateway = stringSetting(conf, 'gateway');
  if (gateway !== undefined && parseIP(gateway) === null) throw new CniError(CNI_ERR.INVALID_NETWORK_CONFIG, `gateway "${gateway}" is not an IP address`);
  const routes = setting(conf, 'routes');
  const badRoute = (r: unknown): boolean => typeof r !== 'object' || r === null || typeof (r as Conf)['dst'] !== 'string' || parseCIDR(String((r as Conf)['dst'])) === null
    || ((r as Conf)['gw'] !== undefined && (typeof (r as Conf)['gw'] !== 'string' || parseIP(String((r as Conf)['gw'])) === null));
  if (routes !== undefined && (!Array.isArray(routes) || routes.some(badRoute))) {
    throw new CniError(CNI_ERR.INVALID_NETWORK_CONFIG, 'routes must be a list of {"dst": "<CIDR>", "gw": "<IP>"}');
  }
  return { style, ...(gateway ? { gateway } : {}), ...(Array.isArray(routes) ? { routes: routes as Array<{ dst: string; gw?: string }> } : {}) };
}

async function resultOptions(shape: ResultShape, ipam: IpamService): Promise<IpamResultOptions> {
  let prefixLength: ((a: string) => number) | undefined;
  if (shape.style === 'block') {
    const pools = await ipam.allPools();
    prefixLength = (a) => pools.find((p) => cidrContainsIP(p.cidr, parseIP(a)!))?.spec.blockSize ?? 32;
  }
  return {
    ...(prefixLength ? { prefixLength } : {}),
    ...(shape.gateway ? { gateway: shape.gateway } : {}),
    ...(shape.routes ? { routes: shape.routes } : {}),
  };
}

/** Maps a Tortie failure onto the CNI error the runtime should act on. */
function toCniError(e: unknown): CniError {
  if (e instanceof CniError) return e;
  if (isTortieError(e)) {
    if (e.code === 'TORTIE_ERR_DATASTORE_UNAVAILABLE' || e.retryable) return new CniError(CNI_ERR.TRY_AGAIN_LATER, e.message, e.code);
    if (e.code === 'TORTIE_ERR_CONFIG_INVALID') return new CniError(CNI_ERR.INVALID_NETWORK_CONFIG, e.message, e.code);
    if (e.code.startsWith('TORTIE_ERR_IPAM_')) return new CniError(CNI_ERR.IPAM_FAILURE, e.message, e.code);
    return new CniError(CNI_ERR.PLUGIN_FAILURE, e.message, e.code);
  }
  return new CniError(CNI_ERR.PLUGIN_FAILURE, `Unexpected failure in tortie-ipam: ${e instanceof Error ? e.stack ?? e.message : String(e)}`, 'TORTIE_ERR_INTERNAL_BUG');
}

async function withIpam<T>(conf: Conf, env: PluginIO['env'], fn: (ipam: IpamService, store: Store) => Promise<T>): Promise<T> {
  const store = await openStore(loadDatastoreConfig(datastoreSettings(conf), env), 'service');
  try {
    return await fn(new IpamService(store, new ResourceClient(store)), store);
  } finally {
    await store.close();
  }
}

async function handle(cni: CniEnv, conf: Conf & { cniVersion: string; name: string }, env: PluginIO['env']): Promise<Record<string, unknown> | null> {
  if (stringSetting(conf, 'assign_ipv6') === 'true') throw new CniError(CNI_ERR.UNSUPPORTED_FIELD, 'assign_ipv6 "true" is not supported yet: Tortie allocates IPv4 only');
  if (stringSetting(conf, 'assign_ipv4') === 'false') throw new CniError(CNI_ERR.INVALID_NETWORK_CONFIG, 'assign_ipv4 is "false" and IPv6 is not supported: nothing to assign');
  const handleId = `${conf.name}.${cni.containerId}`;
  switch (cni.command) {
    case 'ADD': {
      const node = nodeName(conf);
      const ns = cni.args['K8S_POD_NAMESPACE'];
      const pod = cni.args['K8S_POD_NAME'];
      // Every setting is checked before an address is taken: a failed ADD holds nothing.
      const shape = resultShape(conf);
      const requested = pools(conf);
      return withIpam(conf, env, async (ipam) => {
        // A repeated ADD for the same attachment gets the addresses it already has.
        const existing = await ipam.ipsOfHandle(handleId);
        const ips = existing.length > 0 ? existing : await ipam.autoAssign({
          node, handle: handleId, count: 1, ...(requested ? { pools: requested } : {}),
          attributes: { node, ...(ns ? { namespace: ns } : {}), ...(pod ? { pod } : {}), timestamp: new Date().toISOString() },
        });
        return ipamResult(conf.cniVersion, ips, await resultOptions(shape, ipam));
      });
    }
    case 'DEL':
      await withIpam(conf, env, (ipam) => ipam.releaseByHandle(handleId));
      return null;
    case 'CHECK': {
      const ips = await withIpam(conf, env, (ipam) => ipam.ipsOfHandle(handleId));
      if (ips.length === 0) throw new CniError(CNI_ERR.PLUGIN_FAILURE, `No address is allocated to ${handleId}`);
      const want = prevResultAddresses(conf).map((a) => a.split('/')[0]!);
      const missing = want.filter((a) => !ips.includes(a));
      if (missing.length > 0) throw new CniError(CNI_ERR.PLUGIN_FAILURE, `${missing.join(', ')} in prevResult ${missing.length === 1 ? 'is' : 'are'} not allocated to ${handleId} (it holds ${ips.join(', ')})`);
      return null;
    }
    case 'STATUS': {
      const node = nodeName(conf);
      await withIpam(conf, env, async (ipam) => ipam.poolsFor(await ipam.node(node), 'Workload', pools(conf))).catch((e: unknown) => {
        throw new CniError(50, `tortie-ipam cannot serve ADD: ${e instanceof Error ? e.message : String(e)}`, isTortieError(e) ? e.code : '');
      });
      return null;
    }
    case 'GC': {
      const valid = new Set(validAttachmentIds(conf).map((id) => `${conf.name}.${id}`));
      await withIpam(conf, env, async (ipam, store) => {
        const { items } = await store.list(`${HANDLE_PREFIX}${conf.name}.`);
        for (const kv of items) {
          const h = kv.key.slice(HANDLE_PREFIX.length);
          if (!valid.has(h)) await ipam.releaseByHandle(h);
        }
      });
      return null;
    }
    case 'VERSION':
      return versionResult(conf.cniVersion);
  }
}

export async function runIpamPlugin(io: PluginIO): Promise<PluginOutcome> {
  let version: string | undefined;
  try {
    const cni = parseCniEnv(io.env);
    if (cni.command === 'VERSION') {
      let requested: string | undefined;
      try { requested = (JSON.parse(io.stdin) as { cniVersion?: string }).cniVersion; } catch { /* VERSION may come without config */ }
      return { stdout: JSON.stringify(versionResult(requested)), exitCode: 0 };
    }
    const conf = parseNetworkConfig(io.stdin);
    version = conf.cniVersion;
    const result = await handle(cni, conf, io.env);
    return { stdout: result ? JSON.stringify(result) : '', exitCode: 0 };
  } catch (e) {
    return { stdout: JSON.stringify(errorResult(toCniError(e), version)), exitCode: 1 };
  }
}

