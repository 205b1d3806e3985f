// `tortie lab …` as a user runs it (node bin/tortie), timed by wall clock. The labs the bench
// brings up are recorded so that a failure or Ctrl-C takes exactly those down again.

import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/tortie', import.meta.url));

export interface CliResult { readonly code: number; readonly out: string; readonly err: string; readonly ms: number; readonly end: number }

/** Runs `tortie ARGS…`; `end` is the wall clock (`now()` scale) when it exited. */
const running = new Set<ChildProcess>();

export function tortie(args: readonly string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    const t = performance.now();
    const p = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(p);
    let out = '', err = '';
    p.stdout.on('data', (d: Buffer) => { out += d; });
    p.stderr.on('data', (d: Buffer) => { err += d; });
    p.on('error', (e) => { err += e.message; });
    p.on('close', (code) => {
      running.delete(p);
      const end = performance.now();
      resolve({ code: code ?? 1, out, err, ms: end - t, end: performance.timeOrigin + end });
    });
  });
}

/**
 * Interrupts the bench's own `tortie` commands still running (by PID) as Ctrl-C would (a `lab up`
 * then takes its half-built lab down itself), and waits up to 30 s for them to exit.
 */
async function interruptRunning(): Promise<void> {
  for (const p of running) if (p.pid !== undefined) { try { process.kill(p.pid, 'SIGINT'); } catch { /* gone */ } }
  for (let i = 0; i < 300 && running.size > 0; i++) await sleep(100);
  for (const p of running) if (p.pid !== undefined) { try { process.kill(p.pid, 'SIGKILL'); } catch { /* gone */ } }
}

async function must(args: readonly string[]): Promise<CliResult> {
  const r = await tortie(args);
  if (r.code !== 0) throw new Error(`tortie ${args.join(' ')} exited ${r.code}: ${(r.err || r.out).trim().split('\n').slice(-6).join('\n')}`);
  return r;
}

/** What this build's `lab up --help` offers (BGP is being added to the lab while this bench exists). */
export interface LabFeatures { readonly bgpFlag: boolean; readonly noBgpFlag: boolean; readonly topologyRr: boolean }

export async function labFeatures(): Promise<LabFeatures> {
  const h = (await must(['lab', 'up', '--help'])).out;
  // The --topology option with its wrapped description lines (up to the next option).
  const topology = /^\s*--topology\b[^\n]*(?:\n(?!\s*-)[^\n]*)*/m.exec(h);
  return { bgpFlag: /^\s*--bgp\b/m.test(h), noBgpFlag: /^\s*--no-bgp\b/m.test(h), topologyRr: topology !== null && /\brr\b/.test(topology[0]) };
}

export interface LabStatus {
  nodes: Array<{ name: string; namespace: string; address: string; bgp?: string; agent?: string }>;
  routers?: Array<{ name: string; namespace: string; address: string }>;
  pods: Array<{ name: string; namespace: string; node: string; ip: string; netns: string }>;
}

export class Labs {
  private readonly up = new Set<string>();
  private closed = false;

  /** `lab up`; the wall clock of the command. */
  async bringUp(name: string, args: readonly string[]): Promise<CliResult> {
    if (this.closed) throw new Error('bench:lab is stopping');
    this.up.add(name);
    return must(['lab', 'up', '--name', name, ...args]);
  }

  async down(name: string): Promise<CliResult> {
    const r = await must(['lab', 'down', '--name', name]);
    this.up.delete(name);
    return r;
  }

  async status(name: string): Promise<LabStatus> {
    return JSON.parse((await must(['lab', 'status', '--name', name, '-o', 'json'])).out) as LabStatus;
  }

  async podAdd(name: string, ref: string, node: string): Promise<CliResult> {
    return must(['lab', 'pod', 'add', ref, '--name', name, '--node', node]);
  }

  /** Takes down every lab this object brought up and those of `names` (leftovers of a crashed run); `close`: and no more after. */
  async downAll(names: readonly string[] = [], close = false): Promise<string[]> {
    if (close) { this.closed = true; await interruptRunning(); }
    const all = [...new Set([...this.up, ...names])];
    const failed: string[] = [];
    for (const n of all) {
      const r = await tortie(['lab', 'down', '--name', n]);
      if (r.code === 0) this.up.delete(n); else failed.push(`${n}: ${(r.err || r.out).trim()}`);
    }
    return failed;
  }
}

/** "7/9 Established …" → [7, 9]; null when BGP is off or not reported. */
export function bgpPeers(s: string | undefined): [number, number] | null {
  const m = /(\d+)\/(\d+) Established/.exec(s ?? '');
  return m ? [Number(m[1]), Number(m[2])] : null;
}
