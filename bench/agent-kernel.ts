// The kernel side of `npm run bench:agent`, run inside the bench's own namespace (tt-bench-agent):
// the uplink and the pods' host interfaces, the reset to an empty dataplane between rounds, and
// the floor — the same final state loaded from files by `ip -batch` and `nft -f` (and, as a
// second reference, `sysctl -p` of the agent's per-interface settings).

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DesiredDataplane } from '../src/calc/index.js';
import { GLOBAL_SYSCTLS, renderNat, renderRuleset, workloadSysctls, type Route } from '../src/dataplane/index.js';
import { now, sleep } from './measure.js';

export const PROTO = 80;

export function sh(cmd: string, args: readonly string[], input?: string): string {
  const r = spawnSync(cmd, args, { input, encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.signal}): ${(r.stderr || r.error?.message || '').slice(0, 400)}`);
  return r.stdout;
}

/** `ip [-n NS] -batch` in chunks (one process per chunk), stopping at the first failure. */
export function ipBatch(lines: readonly string[], netns?: string, chunk = 4000): void {
  const ns = netns === undefined ? [] : ['-n', netns];
  for (let i = 0; i < lines.length; i += chunk) sh('ip', [...ns, '-batch', '-'], `${lines.slice(i, i + chunk).join('\n')}\n`);
}

export function createUplink(cidr: string): void {
  ipBatch(['link add eth0 type veth peer name tt-up', `addr add ${cidr} dev eth0`, 'link set eth0 up', 'link set tt-up up']);
}

/**
 * Host ends named like Calico's (`cali…`, MAC ee:ee:ee:ee:ee:ee) in this namespace, pod ends `tp<n>`
 * in `podsNs` (one namespace for all: the node's namespace then holds what a real node holds), all
 * up. Returns the time taken, then waits (untimed) until IPv6 duplicate address detection of the
 * new host interfaces is over, so that the kernel's follow-up work does not fall into a measurement.
 */
export async function createPodInterfaces(ifaces: ReadonlyArray<readonly [number, string]>, podsNs: string): Promise<{ createMs: number; settleMs: number }> {
  const t0 = now();
  ipBatch(ifaces.map(([i, name]) => `link add ${name} address ee:ee:ee:ee:ee:ee type veth peer name tp${i.toString(36)} netns ${podsNs}`));
  ipBatch(ifaces.map(([i]) => `link set tp${i.toString(36)} up`), podsNs);
  ipBatch(ifaces.map(([, name]) => `link set ${name} up`));
  const t1 = now();
  while (sh('ip', ['-6', '-o', 'addr', 'show', 'tentative']).trim() !== '' && now() - t1 < 120_000) await sleep(250);
  return { createMs: t1 - t0, settleMs: now() - t1 };
}

const dotted = (slashed: string): string => slashed.replaceAll('/', '.');

/** The agent's sysctls for these interfaces, as `sysctl -p` input (values: `want`, or the kernel's defaults). */
function sysctlFile(ifaces: readonly string[], mode: 'programmed' | 'defaults'): string {
  const defaults: Record<string, string> = { route_localnet: '0', proxy_delay: '80', proxy_arp: '0', forwarding: '0', ip_forward: '0' };
  const line = ([k, v]: readonly [string, string]): string => `${dotted(k)} = ${mode === 'programmed' ? v : defaults[k.split('/').pop()!]}`;
  return [...GLOBAL_SYSCTLS.map(line), ...ifaces.flatMap((i) => workloadSysctls(i).map(line))].join('\n') + '\n';
}

/**
 * Back to an empty dataplane (not timed): no routes of ours, no nft tables, the agent's sysctls
 * at the kernel's defaults — a node whose agent has never run.
 */
export function resetKernel(dir: string, ifaces: readonly string[]): void {
  sh('ip', ['route', 'flush', 'proto', String(PROTO)]);
  sh('nft', ['flush', 'ruleset']); // our own namespace: nothing else lives here
  const file = join(dir, 'sysctl-defaults.conf');
  writeFileSync(file, sysctlFile(ifaces, 'defaults'));
  sh('sysctl', ['-q', '-p', file]);
}

function routeLine(r: Route): string {
  if (r.type !== 'unicast') return `route replace ${r.type} ${r.dst} proto ${PROTO}`;
  return ['route replace', r.dst, ...(r.via ? ['via', r.via] : []), ...(r.dev ? ['dev', r.dev] : []), ...(r.onlink ? ['onlink'] : []),
    ...(r.scope ? ['scope', r.scope] : []), 'proto', String(PROTO)].join(' ');
}

export interface FloorFiles { readonly routes: string; readonly nft: string; readonly sysctl: string; readonly fingerprint: string; readonly nftBytes: number }

/** The agent's desired state as files for the reference tools. */
export function writeFloorFiles(dir: string, d: DesiredDataplane): FloorFiles {
  const routes = `${d.routes.map(routeLine).join('\n')}\n`;
  const nft = renderRuleset(d.policy) + renderNat(d.nat);
  const sysctl = sysctlFile(d.workloadInterfaces, 'programmed');
  const files = { routes: join(dir, 'floor-routes.batch'), nft: join(dir, 'floor.nft'), sysctl: join(dir, 'floor-sysctl.conf') };
  writeFileSync(files.routes, routes);
  writeFileSync(files.nft, nft);
  writeFileSync(files.sysctl, sysctl);
  const fingerprint = createHash('sha256').update(routes).update(nft).update(sysctl).digest('hex').slice(0, 16);
  return { ...files, fingerprint, nftBytes: Buffer.byteLength(nft) };
}

export interface FloorTimes { readonly routesMs: number; readonly nftMs: number; readonly sysctlMs: number }

/** The floor, on an empty dataplane: `ip -batch FILE`, `nft -f FILE`, then `sysctl -q -p FILE` (timed apart). */
export function runFloor(f: FloorFiles): FloorTimes {
  const t0 = now();
  sh('ip', ['-batch', f.routes]);
  const t1 = now();
  sh('nft', ['-f', f.nft]);
  const t2 = now();
  sh('sysctl', ['-q', '-p', f.sysctl]);
  return { routesMs: t1 - t0, nftMs: t2 - t1, sysctlMs: now() - t2 };
}

/** What the kernel holds of ours, to check that the agent and the floor end in the same state. */
export function kernelFingerprint(ifaces: readonly string[]): { routes: number; nft: string; sysctls: string } {
  const routes = sh('ip', ['route', 'show', 'proto', String(PROTO)]).split('\n').filter(Boolean).length;
  const nft = createHash('sha256').update(sh('nft', ['list', 'ruleset'])).digest('hex').slice(0, 16);
  // A sample of the per-interface settings (all of them would take seconds to read).
  const sample = [...ifaces.slice(0, 3), ...ifaces.slice(-3)];
  const sysctls = sample.length === 0 ? '' : sh('sysctl', ['-n', ...sample.flatMap((i) => workloadSysctls(i).map(([k]) => dotted(k)))]).split('\n').filter(Boolean).join(',');
  return { routes, nft, sysctls };
}
