// A pod's network interface, made as Calico's CNI plugin makes it (calico.md §5, DESIGN.md "the
// packet's journey"), in two batched iproute2 runs — never one process per step:
//
//   host:  veth <host> ⟷ <pod-if> (created straight into the pod's netns), MAC ee:ee:ee:ee:ee:ee,
//          no address, proxy_arp=1, neigh proxy_delay=0, forwarding=1, route_localnet=1,
//          route <ip>/32 dev <host> scope link
//   pod:   lo up, <ip>/32 on <pod-if>, 169.254.1.1 dev <pod-if> scope link, default via 169.254.1.1
//
// The pod side runs under `nsenter --net=<path>`, because runtimes name a netns by path
// (/proc/<pid>/ns/net, /var/run/netns/<id>) and `ip -n` only takes names.

import { spawn } from 'node:child_process';
import { TortieError } from '../../lib/errors.js';
import type { Sysctl } from '../ports.js';
import { workloadSysctls } from '../index.js';

export const HOST_VETH_MAC = 'ee:ee:ee:ee:ee:ee';
export const POD_GATEWAY = '169.254.1.1';

export interface PodInterfaceSpec {
  /** The pod's network namespace, as a path. */
  readonly netns: string;
  readonly hostIface: string;
  readonly podIface: string;
  /** IPv4 addresses, without a mask (each becomes a /32). */
  readonly addresses: readonly string[];
  readonly mtu: number;
}

export interface PodInterface {
  readonly hostMac: string;
  readonly podMac: string;
}

interface Ran { code: number; stdout: string; stderr: string }

function runWith(cmd: string, args: readonly string[], input?: string): Promise<Ran> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    // A command that exits before reading its input must not crash the agent with EPIPE.
    p.stdin?.on('error', () => {});
    p.stdout!.on('data', (d: Buffer) => { stdout += d; });
    p.stderr!.on('data', (d: Buffer) => { stderr += d; });
    p.on('error', (e) => resolve({ code: -1, stdout, stderr: `${stderr}${e.message}` }));
    p.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    p.stdin?.end(input);
  });
}

/** One `ip -batch` run (JSON output, for a `link show` at the end); returns its stdout. */
async function batch(where: string, prefix: readonly string[], lines: readonly string[]): Promise<string> {
  const cmd = [...prefix, 'ip', '-j', '-batch', '-'];
  const r = await runWith(cmd[0]!, cmd.slice(1), `${lines.join('\n')}\n`);
  if (r.code !== 0) {
    throw new TortieError('TORTIE_ERR_DATAPLANE_IPROUTE', `Setting up the pod interface ${where} failed: ${r.stderr.trim() || `exit ${r.code}`}`, { lines });
  }
  return r.stdout;
}

const nsenter = (netns: string): string[] => ['nsenter', `--net=${netns}`];

/**
 * Creates the pod's interface and the host's side of it; on any failure removes what it made, so
 * nothing half-made is left behind.
 */
export async function createPodInterface(s: PodInterfaceSpec, sysctl: Sysctl): Promise<PodInterface> {
  try {
    // Host side, the peer created directly inside the pod's namespace, and the host routes (the
    // agent takes those over, under its own protocol, once it programs the endpoint; until then
    // they let the pod be reached at once).
    await batch('on the host', [], [
      `link add ${s.hostIface} mtu ${s.mtu} type veth peer name ${s.podIface} mtu ${s.mtu} netns ${s.netns}`,
      `link set ${s.hostIface} address ${HOST_VETH_MAC}`,
      `link set ${s.hostIface} up`,
      ...s.addresses.map((a) => `route replace ${a}/32 dev ${s.hostIface} scope link`),
    ]);
    for (const [path, value] of workloadSysctls(s.hostIface)) await sysctl.write(path, value);
    const shown = await batch('in the pod', nsenter(s.netns), [
      'link set lo up',
      ...s.addresses.map((a) => `addr add ${a}/32 dev ${s.podIface}`),
      `link set ${s.podIface} up`,
      `route add ${POD_GATEWAY} dev ${s.podIface} scope link`,
      `route add default via ${POD_GATEWAY} dev ${s.podIface}`,
      `link show dev ${s.podIface}`,
    ]);
    let podMac = '';
    try { podMac = (JSON.parse(shown.trim().split('\n').pop() ?? '[]') as Array<{ address: string }>)[0]?.address ?? ''; } catch { /* left empty */ }
    return { hostMac: HOST_VETH_MAC, podMac };
  } catch (e) {
    await deletePodInterface(s.hostIface).catch(() => {});
    throw e;
  }
}

/** Deletes the veth by its host side (both ends go); false when it was already gone. */
export async function deletePodInterface(hostIface: string): Promise<boolean> {
  const r = await runWith('ip', ['link', 'del', hostIface]);
  if (r.code === 0) return true;
  if (/Cannot find device|does not exist/.test(r.stderr)) return false;
  throw new TortieError('TORTIE_ERR_DATAPLANE_IPROUTE', `Deleting the pod interface ${hostIface} failed: ${r.stderr.trim()}`);
}

export interface PodInterfaceState {
  readonly hostExists: boolean;
  /** Addresses on the pod interface (CIDR form), or null when the netns or interface is gone. */
  readonly podAddresses: readonly string[] | null;
  readonly podRoutes: readonly string[];
}

/** What is there now, for CNI CHECK. */
export async function inspectPodInterface(netns: string, hostIface: string, podIface: string): Promise<PodInterfaceState> {
  const host = await runWith('ip', ['link', 'show', 'dev', hostIface]);
  const addr = await runWith('nsenter', [`--net=${netns}`, 'ip', '-j', 'addr', 'show', 'dev', podIface]);
  const routes = await runWith('nsenter', [`--net=${netns}`, 'ip', 'route', 'show', 'dev', podIface]);
  let podAddresses: string[] | null = null;
  if (addr.code === 0) {
    try {
      const info = JSON.parse(addr.stdout) as Array<{ addr_info: Array<{ family: string; local: string; prefixlen: number }> }>;
      podAddresses = (info[0]?.addr_info ?? []).filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`);
    } catch { podAddresses = null; }
  }
  return { hostExists: host.code === 0, podAddresses, podRoutes: routes.stdout.split('\n').map((l) => l.trim()).filter(Boolean) };
}
