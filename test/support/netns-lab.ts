// A one-host pod network in network namespaces, wired as DESIGN.md's "packet's journey" says:
// each pod netns has eth0 with a /32, `169.254.1.1 dev eth0 scope link` and a default route
// via it; the host side is a `cali…` veth with proxy ARP and a /32 route to the pod. External
// hosts hang off plain veths the same way. Every name starts with `tt-`; remove() deletes them all.
// In each namespace an agent (probe-agent.ts) listens on TCP/UDP ports and runs probes on request.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import type { ProbeReply } from './probe-agent.js';

export type { ProbeOutcome, ProbeReply } from './probe-agent.js';

export interface LabHost { readonly netns: string; readonly ip: string; readonly hostIface: string }

const sh = (args: readonly string[]): void => { execFileSync(args[0]!, args.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] }); };
const AGENT = fileURLToPath(new URL('./probe-agent.js', import.meta.url));

export interface ProbeRequest { readonly proto: 'tcp' | 'udp' | 'icmp'; readonly ip: string; readonly port?: number; readonly timeoutMs: number }

class Agent {
  private readonly waiting = new Map<number, (r: ProbeReply) => void>();
  private seq = 0;
  readonly ready: Promise<void>;

  constructor(readonly child: ChildProcess) {
    let onReady!: () => void;
    this.ready = new Promise((res) => { onReady = res; });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const m = JSON.parse(line) as { ready?: boolean; id?: number } & Partial<ProbeReply>;
      if (m.ready) onReady();
      if (m.id !== undefined && m.outcome) {
        this.waiting.get(m.id)?.(m.detail === undefined ? { outcome: m.outcome } : { outcome: m.outcome, detail: m.detail });
        this.waiting.delete(m.id);
      }
    });
  }

  probe(req: ProbeRequest): Promise<ProbeReply> {
    const id = ++this.seq;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.child.stdin!.write(`${JSON.stringify({ id, ...req })}\n`);
    });
  }
}

export class NetnsLab {
  readonly hostNs: string;
  private readonly namespaces: string[] = [];
  private readonly agents = new Map<string, Agent>();

  constructor(readonly prefix: string) {
    this.hostNs = `${prefix}-host`;
  }

  /** Removes anything a crashed earlier run with this prefix left behind. */
  static cleanup(prefix: string): void {
    let list = '';
    try { list = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }); } catch { return; }
    for (const line of list.split('\n')) {
      const name = line.split(' ')[0];
      if (name && name.startsWith(`${prefix}-`)) { try { sh(['ip', 'netns', 'del', name]); } catch { /* already gone */ } }
    }
  }

  createHost(): void {
    NetnsLab.cleanup(this.prefix);
    sh(['ip', 'netns', 'add', this.hostNs]);
    this.namespaces.push(this.hostNs);
    sh(['ip', '-n', this.hostNs, 'link', 'set', 'lo', 'up']);
    sh(['ip', 'netns', 'exec', this.hostNs, 'sh', '-c', 'echo 1 > /proc/sys/net/ipv4/ip_forward']);
    // The host's uplink (a veth pair, as this kernel has no dummy links) carries the default route,
    // so 169.254.1.1 routes away from every cali* interface and proxy ARP answers for it there.
    sh(['ip', '-n', this.hostNs, 'link', 'add', 'tt-up0', 'type', 'veth', 'peer', 'name', 'tt-up1']);
    sh(['ip', '-n', this.hostNs, 'link', 'set', 'tt-up1', 'up']);
    sh(['ip', '-n', this.hostNs, 'link', 'set', 'tt-up0', 'up']);
    sh(['ip', '-n', this.hostNs, 'route', 'add', 'default', 'dev', 'tt-up0']);
  }

  /** A pod or external host: its own netns behind a veth whose host end is `hostIface`. */
  addHost(name: string, ip: string, hostIface: string): LabHost {
    const ns = `${this.prefix}-${name}`;
    sh(['ip', 'netns', 'add', ns]);
    this.namespaces.push(ns);
    sh(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
    sh(['ip', '-n', this.hostNs, 'link', 'add', hostIface, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
    sh(['ip', '-n', this.hostNs, 'link', 'set', hostIface, 'address', 'ee:ee:ee:ee:ee:ee', 'up']);
    sh(['ip', 'netns', 'exec', this.hostNs, 'sh', '-c',
      `echo 1 > /proc/sys/net/ipv4/conf/${hostIface}/proxy_arp && echo 0 > /proc/sys/net/ipv4/neigh/${hostIface}/proxy_delay`]);
    sh(['ip', '-n', this.hostNs, 'route', 'add', `${ip}/32`, 'dev', hostIface, 'scope', 'link']);
    sh(['ip', '-n', ns, 'addr', 'add', `${ip}/32`, 'dev', 'eth0']);
    sh(['ip', '-n', ns, 'link', 'set', 'eth0', 'up']);
    sh(['ip', '-n', ns, 'route', 'add', '169.254.1.1', 'dev', 'eth0', 'scope', 'link']);
    sh(['ip', '-n', ns, 'route', 'add', 'default', 'via', '169.254.1.1', 'dev', 'eth0']);
    return { netns: ns, ip, hostIface };
  }

  /** Starts the probe agent in `netns`, listening on `ports` (TCP and UDP). */
  async startAgent(netns: string, ports: readonly number[]): Promise<void> {
    const child = spawn('ip', ['netns', 'exec', netns, process.execPath, AGENT, ports.join(',')], { stdio: ['pipe', 'pipe', 'inherit'] });
    const agent = new Agent(child);
    this.agents.set(netns, agent);
    await agent.ready;
  }

  probe(fromNetns: string, req: ProbeRequest): Promise<ProbeReply> {
    const a = this.agents.get(fromNetns);
    if (!a) throw new Error(`no agent in ${fromNetns}`);
    return a.probe(req);
  }

  /**
   * A probe that is repeated while it meets silence, each time with twice the timeout (so a
   * loaded machine gets 1 + 2 + 4 … × `timeoutMs`): an answer or a refusal is final, silence is
   * only the last word after `tries` attempts. `attempts` says how many it took.
   */
  async probeSure(fromNetns: string, req: ProbeRequest, tries = 3): Promise<ProbeReply & { readonly attempts: number }> {
    let r: ProbeReply = { outcome: 'silent' };
    for (let i = 0; i < tries; i++) {
      r = await this.probe(fromNetns, { ...req, timeoutMs: req.timeoutMs * 2 ** i });
      if (r.outcome !== 'silent') return { ...r, attempts: i + 1 };
    }
    return { ...r, attempts: tries };
  }

  exec(netns: string, args: readonly string[], input?: string): string {
    return execFileSync('ip', ['netns', 'exec', netns, ...args], { encoding: 'utf8', input: input ?? '', stdio: ['pipe', 'pipe', 'pipe'], maxBuffer: 256 * 1024 * 1024 });
  }

  /** Stops the agents (by their own PIDs) and deletes every namespace this lab made. */
  remove(): void {
    for (const a of this.agents.values()) { a.child.stdin?.end(); a.child.kill('SIGKILL'); }
    this.agents.clear();
    for (const ns of this.namespaces.reverse()) { try { sh(['ip', 'netns', 'del', ns]); } catch { /* already gone */ } }
    this.namespaces.length = 0;
  }
}
