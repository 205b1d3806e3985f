// The CNI protocol (CNI spec 1.1.0): how a runtime calls a plugin and what the plugin answers.
//   input:  CNI_COMMAND, CNI_CONTAINERID, CNI_NETNS, CNI_IFNAME, CNI_ARGS, CNI_PATH + config JSON on stdin
//   output: the result (or error) JSON on stdout, nothing else; logs go to stderr
// Error codes are the spec's: 1 incompatible version, 2 unsupported field, 3 container unknown,
// 4 invalid environment variables, 5 I/O failure, 6 failed to decode content, 7 invalid network
// config, 11 try again later; 100+ are the plugin's own.

export const SUPPORTED_VERSIONS = ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'] as const;
export const LATEST_VERSION = '1.1.0';

export const CNI_ERR = {
  INCOMPATIBLE_VERSION: 1,
  UNSUPPORTED_FIELD: 2,
  UNKNOWN_CONTAINER: 3,
  INVALID_ENVIRONMENT: 4,
  IO_FAILURE: 5,
  DECODING_FAILURE: 6,
  INVALID_NETWORK_CONFIG: 7,
  TRY_AGAIN_LATER: 11,
  /** Tortie's own: the IPAM could not give an address (pool exhausted, block limit, no pool…). */
  IPAM_FAILURE: 101,
  /** Tortie's own: anything else (the message says what). */
  PLUGIN_FAILURE: 999,
} as const;

export class CniError extends Error {
  constructor(readonly code: number, message: string, readonly details = '') {
    super(message);
  }
}

export type CniCommand = 'ADD' | 'DEL' | 'CHECK' | 'VERSION' | 'STATUS' | 'GC';
const COMMANDS: readonly CniCommand[] = ['ADD', 'DEL', 'CHECK', 'VERSION', 'STATUS', 'GC'];

export interface CniEnv {
  readonly command: CniCommand;
  readonly containerId: string;
  readonly netns: string;
  readonly ifname: string;
  /** CNI_ARGS as key/value pairs (`K8S_POD_NAMESPACE=ns;K8S_POD_NAME=p`). */
  readonly args: Readonly<Record<string, string>>;
  readonly path: readonly string[];
}

export function parseCniArgs(raw: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of (raw ?? '').split(';')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new CniError(CNI_ERR.INVALID_ENVIRONMENT, `CNI_ARGS has an entry without KEY=VALUE: "${pair}"`);
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}

// What the spec allows (CNI 1.1 "Parameters"; libcni's ValidateContainerID and ValidateInterfaceName).
// The container ID and interface name end up in interface names and the agent's `ip -batch` lines,
// the netns path in `ip -batch` too: a space there adds arguments of its own, a newline commands.
const CONTAINER_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const shown = (v: string): string => JSON.stringify(v.length > 80 ? `${v.slice(0, 77)}...` : v);

function checkAttachment(command: CniCommand, containerId: string, ifname: string, netns: string): void {
  if (!CONTAINER_ID.test(containerId)) {
    throw new CniError(CNI_ERR.INVALID_ENVIRONMENT, `CNI_CONTAINERID ${shown(containerId)} is not a container ID: letters, digits, '_', '.' and '-', starting with a letter or digit`);
  }
  if (ifname.length > 15 || ifname === '.' || ifname === '..' || /[\s/:]/.test(ifname)) {
    throw new CniError(CNI_ERR.INVALID_ENVIRONMENT, `CNI_IFNAME ${shown(ifname)} is not an interface name: at most 15 characters, no whitespace, '/' or ':', not "." or ".."`);
  }
  if ((command === 'ADD' || command === 'CHECK') && /[\s\u0000-\u001f\u007f]/.test(netns)) {
    throw new CniError(CNI_ERR.INVALID_ENVIRONMENT, `CNI_NETNS ${shown(netns)} is not a network namespace path: it holds whitespace or control characters`);
  }
}

/** The CNI_* environment, checked for what `command` needs (spec: which variables each command requires). */
export function parseCniEnv(env: Readonly<Record<string, string | undefined>>): CniEnv {
  const command = env['CNI_COMMAND'];
  if (!command) throw new CniError(CNI_ERR.INVALID_ENVIRONMENT, 'CNI_COMMAND is not set: this program is a CNI plugin, run by a container runtime');
  if (!COMMANDS.includes(command as CniCommand)) {
    throw new CniError(CNI_ERR.INVALID_ENVIRONMENT, `CNI_COMMAND "${command}" is not one of ${COMMANDS.join(', ')}`);
  }
  const need = (name: string): string => {
    const v = env[name];
    if (!v) throw new CniError(CNI_ERR.INVALID_ENVIRONMENT, `${name} is required for ${command} but not set`);
    return v;
  };
  const c = command as CniCommand;
  const perAttachment = c === 'ADD' || c === 'DEL' || c === 'CHECK';
  const out: CniEnv = {
    command: c,
    containerId: perAttachment ? need('CNI_CONTAINERID') : env['CNI_CONTAINERID'] ?? '',
    netns: c === 'ADD' || c === 'CHECK' ? need('CNI_NETNS') : env['CNI_NETNS'] ?? '',
    ifname: perAttachment ? need('CNI_IFNAME') : env['CNI_IFNAME'] ?? '',
    args: parseCniArgs(env['CNI_ARGS']),
    path: (env['CNI_PATH'] ?? '').split(':').filter((p) => p !== ''),
  };
  if (perAttachment) checkAttachment(c, out.containerId, out.ifname, out.netns);
  return out;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The network config from stdin: JSON with a supported `cniVersion` and a `name`. */
export function parseNetworkConfig(stdin: string): Record<string, unknown> & { cniVersion: string; name: string } {
  let conf: unknown;
  try { conf = JSON.parse(stdin); } catch (e) {
    throw new CniError(CNI_ERR.DECODING_FAILURE, `The network configuration on stdin is not JSON: ${(e as Error).message}`);
  }
  if (!isObject(conf)) throw new CniError(CNI_ERR.DECODING_FAILURE, 'The network configuration on stdin is not a JSON object');
  const v = conf['cniVersion'];
  if (typeof v !== 'string' || v === '') throw new CniError(CNI_ERR.INVALID_NETWORK_CONFIG, 'cniVersion is missing from the network configuration');
  if (!(SUPPORTED_VERSIONS as readonly string[]).includes(v)) {
    throw new CniError(CNI_ERR.INCOMPATIBLE_VERSION, `cniVersion ${v} is not supported; supported: ${SUPPORTED_VERSIONS.join(', ')}`);
  }
  if (typeof conf['name'] !== 'string' || conf['name'] === '') throw new CniError(CNI_ERR.INVALID_NETWORK_CONFIG, 'name is missing from the network configuration');
  return conf as Record<string, unknown> & { cniVersion: string; name: string };
}

/**
 * The addresses of `prevResult` (CHECK, and plugins chained after another) as given, with their
 * prefix lengths; [] without one. A prevResult that is not a CNI result is the configuration's fault.
 */
export function prevResultAddresses(conf: Readonly<Record<string, unknown>>): string[] {
  const prev = conf['prevResult'];
  if (prev === undefined || prev === null) return [];
  const ips = isObject(prev) ? prev['ips'] : undefined;
  if (!isObject(prev) || (ips !== undefined && (!Array.isArray(ips) || ips.some((ip) => !isObject(ip) || typeof ip['address'] !== 'string')))) {
    throw new CniError(CNI_ERR.INVALID_NETWORK_CONFIG, 'prevResult is not a CNI result: "ips" must be a list of {"address": "<CIDR>"}');
  }
  return ((ips ?? []) as Array<{ address: string }>).map((ip) => ip.address);
}

/**
 * GC's `cni.dev/valid-attachments`: the container IDs the runtime still has. Anything but a list of
 * {containerID} is refused, never read as "none": GC releases whatever is not listed.
 */
export function validAttachmentIds(conf: Readonly<Record<string, unknown>>): string[] {
  const v = conf['cni.dev/valid-attachments'];
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.some((a) => !isObject(a) || typeof a['containerID'] !== 'string')) {
    throw new CniError(CNI_ERR.INVALID_NETWORK_CONFIG, 'cni.dev/valid-attachments must be a list of {"containerID": "…", "ifname": "…"}');
  }
  return (v as Array<{ containerID: string }>).map((a) => a.containerID);
}

/** Whether `v` is before 1.0.0 (those results carry `version` on each IP and no CHECK before 0.4.0). */
export const isLegacy = (v: string): boolean => v.startsWith('0.');

export function versionResult(requested?: string): Record<string, unknown> {
  return { cniVersion: requested && (SUPPORTED_VERSIONS as readonly string[]).includes(requested) ? requested : LATEST_VERSION, supportedVersions: [...SUPPORTED_VERSIONS] };
}

export function errorResult(e: CniError, cniVersion: string = LATEST_VERSION): Record<string, unknown> {
  return { cniVersion, code: e.code, msg: e.message, ...(e.details ? { details: e.details } : {}) };
}

export interface IpamResultOptions {
  /** Prefix length to give each address; default /32 (/128): a pod address is a host route. */
  readonly prefixLength?: (address: string) => number;
  readonly gateway?: string;
  readonly routes?: ReadonlyArray<{ readonly dst: string; readonly gw?: string }>;
}

/** An IPAM result, answered in the version that was asked for (0.x results carry `version`). */
export function ipamResult(cniVersion: string, addresses: readonly string[], opts: IpamResultOptions = {}): Record<string, unknown> {
  return {
    cniVersion,
    ips: addresses.map((a) => {
      const v6 = a.includes(':');
      const prefix = opts.prefixLength?.(a) ?? (v6 ? 128 : 32);
      return { ...(isLegacy(cniVersion) ? { version: v6 ? '6' : '4' } : {}), address: `${a}/${prefix}`, ...(opts.gateway ? { gateway: opts.gateway } : {}) };
    }),
    ...(opts.routes && opts.routes.length > 0 ? { routes: opts.routes.map((r) => ({ ...r })) } : {}),
  };
}

export interface ResultInterface { readonly name: string; readonly mac: string; readonly sandbox?: string; readonly mtu?: number }
export interface ResultIP { readonly address: string; readonly gateway?: string; readonly interface?: number }

/** A main plugin's result in the version asked for (0.x: each IP carries `version`). */
export function pluginResult(cniVersion: string, r: {
  readonly interfaces: readonly ResultInterface[];
  readonly ips: readonly ResultIP[];
  readonly routes?: ReadonlyArray<{ readonly dst: string; readonly gw?: string }>;
}): Record<string, unknown> {
  const legacy = isLegacy(cniVersion);
  return {
    cniVersion,
    interfaces: r.interfaces.map((i) => ({ name: i.name, mac: i.mac, ...(i.sandbox !== undefined ? { sandbox: i.sandbox } : {}), ...(i.mtu !== undefined && !legacy ? { mtu: i.mtu } : {}) })),
    ips: r.ips.map((ip) => ({
      ...(legacy ? { version: ip.address.includes(':') ? '6' : '4' } : {}),
      address: ip.address,
      ...(ip.gateway ? { gateway: ip.gateway } : {}),
      ...(ip.interface !== undefined ? { interface: ip.interface } : {}),
    })),
    ...(r.routes && r.routes.length > 0 ? { routes: r.routes.map((x) => ({ ...x })) } : {}),
    dns: {},
  };
}
