// The lab's underlay, all inside network namespaces named after the lab (nothing touches the
// machine's own interfaces, addresses or routes):
//
//   subnet 0: 10.0.0.0/24 ─ bridge br0 ┐                       nodes nodeI: <lab>-nI, eth0 = 10.0.S.(10+I)/24
//                                       ├─ router <lab>-r (10.0.S.1, forwards between subnets)
//   subnet 1: 10.0.1.0/24 ─ bridge br1 ┘                       external routers: <lab>-x<name>
//
// The router knows nothing of pod addresses; with two subnets and no encapsulation, pods reach
// each other only where BGP tells it (or with CrossSubnet encapsulation).

import { execFileSync, spawn } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { TortieError } from '../lib/errors.js';

export function sh(args: readonly string[], input?: string): string {
  try {
    return execFileSync(args[0]!, args.slice(1), { encoding: 'utf8', stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], ...(input !== undefined ? { input } : {}) });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new TortieError('TORTIE_ERR_LAB_FAILED', `${args.join(' ')} failed: ${(err.stderr ?? err.message).toString().trim()}`, { command: args });
  }
}

export const trySh = (args: readonly string[]): boolean => { try { sh(args); return true; } catch { return false; } };

export const routerNs = (lab: string): string => `${lab}-r`;
export const nodeNs = (lab: string, i: number): string => `${lab}-n${i}`;
export const podNs = (lab: string, namespace: string, name: string): string => `${lab}-p-${namespace}-${name}`;
export const subnetPrefix = (subnet: 0 | 1): string => `10.0.${subnet}`;

/** Every namespace of a lab (also the leftovers of a crashed run). */
export function labNamespaces(lab: string): string[] {
  return sh(['ip', 'netns', 'list']).split('\n').map((l) => l.split(' ')[0] ?? '').filter((n) => n.startsWith(`${lab}-`));
}

export function createRouter(lab: string, subnets: 1 | 2): void {
  const r = routerNs(lab);
  sh(['ip', 'netns', 'add', r]);
  sh(['ip', '-n', r, '-batch', '-'], [
    'link set lo up',
    ...[0, 1].slice(0, subnets).flatMap((s) => [`link add br${s} type bridge`, `addr add ${subnetPrefix(s as 0 | 1)}.1/24 dev br${s}`, `link set br${s} up`]),
  ].join('\n') + '\n');
  sh(['ip', 'netns', 'exec', r, 'sysctl', '-qw', 'net.ipv4.ip_forward=1']);
}

/** A namespace on subnet `subnet`, its eth0 bridged in the router, default route via the router. */
export function attachHost(lab: string, netns: string, port: string, subnet: 0 | 1, address: string): void {
  const r = routerNs(lab);
  sh(['ip', 'netns', 'add', netns]);
  sh(['ip', '-n', r, '-batch', '-'], [
    `link add ${port} type veth peer name eth0 netns ${netns}`,
    `link set ${port} master br${subnet}`,
    `link set ${port} up`,
  ].join('\n') + '\n');
  sh(['ip', '-n', netns, '-batch', '-'], [
    'link set lo up',
    `addr add ${address} dev eth0`,
    'link set eth0 up',
    `route add default via ${subnetPrefix(subnet)}.1`,
  ].join('\n') + '\n');
}

/** Starts a long-running process inside a namespace, detached, its output in `log`; returns its PID. */
export function startIn(netns: string, argv: readonly string[], log: string, env: Record<string, string>, cwd?: string): number {
  const fd = openSync(log, 'a');
  const child = spawn('ip', ['netns', 'exec', netns, ...argv], {
    detached: true, stdio: ['ignore', fd, fd], env: { PATH: process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin', ...env }, ...(cwd ? { cwd } : {}),
  });
  closeSync(fd);
  child.unref();
  if (child.pid === undefined) throw new TortieError('TORTIE_ERR_LAB_FAILED', `Could not start ${argv.join(' ')} in ${netns}`);
  return child.pid;
}

/** Whether a PID is alive. */
export function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch { return false; }
}
