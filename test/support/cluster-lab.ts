// A small multi-node cluster in network namespaces for agent tests (all names `tt-<id>-…`):
//
//          subnet A 10.99.1.0/24 (bridge in the router ns)     subnet B 10.99.2.0/24
//   node n1 10.99.1.1 ─┐                                   ┌─ node n3 10.99.2.3
//   node n2 10.99.1.2 ─┴── router tt-<id>-r (.254 on both) ─┘
//
// Nodes of one subnet are on one L2 segment; the router forwards between subnets (underlay only:
// it knows nothing of pod addresses). Pods are namespaces wired as the CNI wires them: eth0 with a
// /32, `169.254.1.1 dev eth0 scope link`, default via 169.254.1.1, and a `cali…` veth on the node.
// Agents are real `tortie agent` processes started inside their node's namespace.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { openSync, closeSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

export const TORTIE = fileURLToPath(new URL('../../../bin/tortie', import.meta.url));

const run = (args: readonly string[]): string => execFileSync(args[0]!, args.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const tryRun = (args: readonly string[]): boolean => { try { run(args); return true; } catch { return false; } };

export interface LabNode { readonly name: string; readonly netns: string; readonly ip: string; readonly cidr: string; readonly subnet: 'A' | 'B' }
export interface LabPod { readonly name: string; readonly netns: string; readonly node: string; readonly ip: string; readonly hostIface: string }

export class ClusterLab {
  readonly router: string;
  readonly nodes = new Map<string, LabNode>();
  readonly pods = new Map<string, LabPod>();
  private readonly agents = new Map<string, { child: ChildProcess; log: string }>();

  constructor(readonly id: string, readonly stateDir: string) {
    if (!/^[a-z0-9]{1,4}$/.test(id)) throw new Error('lab ids are 1–4 lower-case letters or digits (interface names are at most 15 characters)');
    this.router = `tt-${id}-r`;
  }

  private ns(name: string): string { return `tt-${this.id}-${name}`; }

  /** Deletes every namespace of this lab id (leftovers of a crashed run included). */
  static cleanup(id: string): void {
    for (const line of run(['ip', 'netns', 'list']).split('\n')) {
      const n = line.split(' ')[0];
      if (n && n.startsWith(`tt-${id}-`)) tryRun(['ip', 'netns', 'del', n]);
    }
  }

  createRouter(): void {
    ClusterLab.cleanup(this.id);
    run(['ip', 'netns', 'add', this.router]);
    run(['ip', '-n', this.router, 'link', 'set', 'lo', 'up']);
    for (const [br, addr] of [['brA', '10.99.1.254/24'], ['brB', '10.99.2.254/24']] as const) {
      run(['ip', '-n', this.router, 'link', 'add', br, 'type', 'bridge']);
      run(['ip', '-n', this.router, 'addr', 'add', addr, 'dev', br]);
      run(['ip', '-n', this.router, 'link', 'set', br, 'up']);
    }
    run(['ip', 'netns', 'exec', this.router, 'sysctl', '-qw', 'net.ipv4.ip_forward=1']);
  }

  addNode(name: string, subnet: 'A' | 'B', host: number): LabNode {
    const netns = this.ns(name);
    const ip = `10.99.${subnet === 'A' ? 1 : 2}.${host}`;
    run(['ip', 'netns', 'add', netns]);
    run(['ip', '-n', netns, 'link', 'set', 'lo', 'up']);
    // The node's uplink is eth0, its peer a port of the subnet's bridge in the router.
    const port = `tt-${this.id}-${name}`;
    run(['ip', '-n', this.router, 'link', 'add', port, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns]);
    run(['ip', '-n', this.router, 'link', 'set', port, 'master', subnet === 'A' ? 'brA' : 'brB']);
    run(['ip', '-n', this.router, 'link', 'set', port, 'up']);
    run(['ip', '-n', netns, 'addr', 'add', `${ip}/24`, 'dev', 'eth0']);
    run(['ip', '-n', netns, 'link', 'set', 'eth0', 'up']);
    run(['ip', '-n', netns, 'route', 'add', 'default', 'via', `10.99.${subnet === 'A' ? 1 : 2}.254`]);
    const node: LabNode = { name, netns, ip, cidr: `${ip}/24`, subnet };
    this.nodes.set(name, node);
    return node;
  }

  /** Starts `tortie agent` for a node inside its namespace; its log goes to the lab's state dir. */
  startAgent(node: string, env: Record<string, string>, extraArgs: string[] = []): ChildProcess {
    const n = this.nodes.get(node)!;
    const log = join(this.stateDir, `agent-${node}.log`);
    const fd = openSync(log, 'a');
    const child = spawn('ip', ['netns', 'exec', n.netns, process.execPath, TORTIE, 'agent', '--node', node,
      '--ip-autodetection-method', 'interface=eth0', '--state-dir', join(this.stateDir, node),
      // Each agent its own CNI socket (the default, /var/run/tortie/cni.sock, is one per host).
      '--cni-socket', join(this.stateDir, node, 'cni.sock'), ...extraArgs], {
      stdio: ['ignore', fd, fd], env: { PATH: process.env['PATH'] ?? '', TORTIE_CONFIG: '/dev/null', ...env },
    });
    closeSync(fd);
    this.agents.set(node, { child, log });
    return child;
  }

  /** Stops a node's agent (SIGTERM, then SIGKILL): the kernel state it programmed stays. */
  async stopAgent(node: string, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const a = this.agents.get(node);
    if (!a || a.child.exitCode !== null || a.child.signalCode !== null) return;
    const gone = new Promise<void>((r) => a.child.once('exit', () => r()));
    a.child.kill(signal);
    const t = setTimeout(() => a.child.kill('SIGKILL'), 5000);
    await gone;
    clearTimeout(t);
    this.agents.delete(node);
  }

  agentLog(node: string): string {
    try { return readFileSync(join(this.stateDir, `agent-${node}.log`), 'utf8'); } catch { return ''; }
  }

  /** A pod namespace wired to `node` as the CNI would; the host side is named like Calico's. */
  addPod(name: string, node: string, ip: string): LabPod {
    const n = this.nodes.get(node)!;
    const netns = this.ns(name);
    const hostIface = `cali${createHash('sha1').update(`${this.id}.${name}`).digest('hex').slice(0, 11)}`;
    run(['ip', 'netns', 'add', netns]);
    run(['ip', '-n', netns, 'link', 'set', 'lo', 'up']);
    run(['ip', '-n', n.netns, 'link', 'add', hostIface, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns]);
    run(['ip', '-n', n.netns, 'link', 'set', hostIface, 'address', 'ee:ee:ee:ee:ee:ee']);
    run(['ip', '-n', n.netns, 'link', 'set', hostIface, 'up']);
    run(['ip', '-n', netns, 'addr', 'add', `${ip}/32`, 'dev', 'eth0']);
    run(['ip', '-n', netns, 'link', 'set', 'eth0', 'up']);
    run(['ip', '-n', netns, 'route', 'add', '169.254.1.1', 'dev', 'eth0', 'scope', 'link']);
    run(['ip', '-n', netns, 'route', 'add', 'default', 'via', '169.254.1.1', 'dev', 'eth0']);
    const pod: LabPod = { name, netns, node, ip, hostIface };
    this.pods.set(name, pod);
    return pod;
  }

  /** One ping from a pod (or node) namespace; true when answered. */
  ping(fromNetns: string, ip: string, timeoutS = 1): boolean {
    return tryRun(['ip', 'netns', 'exec', fromNetns, 'ping', '-c', '1', '-W', String(timeoutS), ip]);
  }

  /** Pings until answered or `ms` passes. */
  async pingUntil(fromNetns: string, ip: string, ms: number): Promise<boolean> {
    const end = performance.now() + ms;
    while (performance.now() < end) {
      if (this.ping(fromNetns, ip)) return true;
      await sleep(200);
    }
    return false;
  }

  ip(node: string, ...args: string[]): string {
    return run(['ip', '-n', this.nodes.get(node)!.netns, ...args]);
  }

  async destroy(): Promise<void> {
    for (const node of [...this.agents.keys()]) await this.stopAgent(node, 'SIGKILL');
    ClusterLab.cleanup(this.id);
  }
}
