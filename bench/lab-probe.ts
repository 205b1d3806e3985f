// The traffic bench:lab sends: iperf3 throughput, ping round trips, and "when did the first echo
// reply come back" (ping -D stamps every reply with the wall clock, so the time a probe process
// took to start is no part of the answer unless the target was reachable all along).
// Every process is a child of the bench, started with `ip netns exec` (which execs: the PID is
// the tool's own), and recorded until it exits so that a failure or Ctrl-C kills exactly those.

import { spawn, type ChildProcess } from 'node:child_process';
import { now, percentile, within } from './measure.js';
import type { Pair } from './lab-net.js';

const children = new Set<ChildProcess>();
let stopped = false;

/**
 * SIGKILLs the bench's own probe processes that are still running (by PID), and refuses to start
 * more: after a Ctrl-C the measuring code runs on until its next await fails.
 */
export function stopProbes(): void {
  stopped = true;
  for (const c of children) if (c.exitCode === null && c.signalCode === null && c.pid !== undefined) { try { process.kill(c.pid, 'SIGKILL'); } catch { /* gone */ } }
  children.clear();
}

interface Done { readonly code: number; readonly out: string; readonly err: string }

function start(ns: string, argv: readonly string[], onOut?: (text: string) => void): { child: ChildProcess; done: Promise<Done> } {
  if (stopped) throw new Error('bench:lab is stopping');
  const child = spawn('ip', ['netns', 'exec', ns, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let out = '', err = '';
  child.stdout!.on('data', (d: Buffer) => { out += d; onOut?.(out); });
  child.stderr!.on('data', (d: Buffer) => { err += d; });
  const done = new Promise<Done>((resolve) => {
    child.on('error', (e) => { err += e.message; });
    child.on('close', (code, sig) => { children.delete(child); resolve({ code: code ?? (sig ? 128 : 1), out, err }); });
  });
  return { child, done };
}

const kill = (c: ChildProcess): void => { if (c.exitCode === null && c.signalCode === null && c.pid !== undefined) { try { process.kill(c.pid, 'SIGKILL'); } catch { /* gone */ } } };

/** One iperf3 TCP run of `seconds` from client to server; the receiver's rate in Gbit/s, and retransmits. */
export async function iperf(p: Pair, seconds: number, port = 5201): Promise<{ gbps: number; retransmits: number }> {
  let listening!: () => void;
  const ready = new Promise<void>((r) => { listening = r; });
  const server = start(p.serverNs, ['iperf3', '-s', '-1', '-p', String(port), '--forceflush'], (out) => { if (out.includes('listening')) listening(); });
  try {
    await within(Promise.race([ready, server.done.then((d) => { throw new Error(`iperf3 server in ${p.serverNs} exited: ${d.err || d.out}`); })]), 5000, `iperf3 -s in ${p.serverNs}`);
    const client = start(p.clientNs, ['iperf3', '-c', p.serverIp, '-p', String(port), '-t', String(seconds), '-J']);
    const r = await within(client.done, (seconds + 20) * 1000, `iperf3 -c ${p.serverIp}`).finally(() => kill(client.child));
    const j = JSON.parse(r.out) as { error?: string; end?: { sum_received?: { bits_per_second: number }; sum_sent?: { retransmits?: number } } };
    if (j.error || !j.end?.sum_received) throw new Error(`iperf3 ${p.clientNs} → ${p.serverIp}: ${j.error ?? r.err}`);
    await within(server.done, 5000, 'the iperf3 server to exit').catch(() => {});
    return { gbps: j.end.sum_received.bits_per_second / 1e9, retransmits: j.end.sum_sent?.retransmits ?? 0 };
  } finally {
    kill(server.child);
  }
}

export interface Rtt { readonly p50: number; readonly p99: number; readonly n: number; readonly lost: number; readonly samples: number[] }

/** `ping -c count -i interval`: every reply's round trip (ms). */
export async function pingRtt(p: Pair, count: number, interval: number): Promise<Rtt> {
  const r = await within(start(p.clientNs, ['ping', '-n', '-c', String(count), '-i', String(interval), '-W', '1', p.serverIp]).done,
    (count * interval + 30) * 1000, `ping ${p.serverIp}`);
  const ms = [...r.out.matchAll(/time=([\d.]+) ms/g)].map((m) => Number(m[1])).sort((a, b) => a - b);
  return { p50: percentile(ms, 50), p99: percentile(ms, 99), n: ms.length, lost: count - ms.length, samples: ms };
}

/**
 * Pings `ip` from `ns` every `intervalS` until the first reply or `timeoutS`; resolves with the
 * wall-clock time (ms since the epoch, as `now()`) of that reply, or null.
 */
export async function firstReply(ns: string, ip: string, intervalS: number, timeoutS: number): Promise<number | null> {
  const r = await start(ns, ['ping', '-D', '-n', '-c', '1', '-i', String(intervalS), '-w', String(timeoutS), ip]).done;
  const m = /^\[(\d+\.\d+)\] \d+ bytes from/m.exec(r.out);
  return m ? Number(m[1]) * 1000 : null;
}

/** Waits until `p` answers a ping (routes may still be converging), or throws after `timeoutS`. */
export async function waitReachable(p: Pair, timeoutS: number): Promise<void> {
  const t = now();
  if (await firstReply(p.clientNs, p.serverIp, 0.05, timeoutS) === null) {
    throw new Error(`${p.serverIp} is not reachable from ${p.clientNs} after ${((now() - t) / 1000).toFixed(0)} s`);
  }
}
