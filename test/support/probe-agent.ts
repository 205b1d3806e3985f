// Runs inside a network namespace: serves TCP (accept, close) and UDP (echo) on the given ports,
// and answers probe requests read as JSON lines on stdin with {id, outcome, detail} lines on stdout.
// A probe tells three things apart, so that a slow answer is never mistaken for a denial:
//   answered  tcp: the connection opened · udp: the echo came back · icmp: `ping -c1` got a reply
//   refused   an ICMP "administratively prohibited" came back (a policy with the Reject deny
//             action): EHOSTUNREACH for tcp/udp, "Packet filtered" from ping
//   silent    nothing within the timeout (a dropping policy, or a loaded machine: retry to know)
//   error     anything else (ECONNREFUSED: nothing listens — the test's own set-up is wrong)
// It exits when stdin closes.

import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { createConnection, createServer } from 'node:net';
import { createInterface } from 'node:readline';

export type ProbeOutcome = 'answered' | 'refused' | 'silent' | 'error';
export interface ProbeReply { readonly outcome: ProbeOutcome; readonly detail?: string }

const ports = (process.argv[2] ?? '').split(',').filter(Boolean).map(Number);

async function listen(): Promise<void> {
  await Promise.all(ports.flatMap((port) => [
    new Promise<void>((res) => { createServer((s) => { s.on('error', () => {}); s.end(); }).listen(port, '0.0.0.0', () => res()); }),
    new Promise<void>((res) => {
      const u = createSocket('udp4');
      u.on('message', (msg, from) => u.send(msg, from.port, from.address));
      u.bind(port, '0.0.0.0', () => res());
    }),
  ]));
}

const fromErrno = (e: NodeJS.ErrnoException): ProbeReply =>
  e.code === 'EHOSTUNREACH' ? { outcome: 'refused', detail: e.code } : { outcome: 'error', detail: e.code ?? e.message };

/**
 * Settles once. The timeout's verdict waits for setImmediate: after a stall of the event loop
 * (a loaded machine) the timer and the answer are both due, and libuv runs timers before I/O
 * callbacks — deferring lets an answer that already arrived win over the timer.
 */
function settle(timeoutMs: number, cleanup: () => void, resolve: (r: ProbeReply) => void): (r: ProbeReply) => void {
  let done = false;
  const finish = (r: ProbeReply): void => { if (done) return; done = true; clearTimeout(t); cleanup(); resolve(r); };
  const t = setTimeout(() => setImmediate(() => finish({ outcome: 'silent' })), timeoutMs);
  return finish;
}

function tcp(ip: string, port: number, timeoutMs: number): Promise<ProbeReply> {
  return new Promise((resolve) => {
    const s = createConnection({ host: ip, port });
    const finish = settle(timeoutMs, () => s.destroy(), resolve);
    s.on('connect', () => finish({ outcome: 'answered' }));
    s.on('error', (e) => finish(fromErrno(e)));
  });
}

function udp(ip: string, port: number, timeoutMs: number): Promise<ProbeReply> {
  return new Promise((resolve) => {
    // Connected, so that the ICMP error of a reject reaches this socket (Linux reports ICMP
    // errors only to connected UDP sockets).
    const u = createSocket('udp4');
    const finish = settle(timeoutMs, () => { try { u.close(); } catch { /* closed */ } }, resolve);
    u.on('message', () => finish({ outcome: 'answered' }));
    u.on('error', (e) => finish(fromErrno(e)));
    u.connect(port, ip, () => u.send('probe', (e) => { if (e) finish(fromErrno(e)); }));
  });
}

function icmp(ip: string, timeoutMs: number): Promise<ProbeReply> {
  return new Promise((resolve) => {
    let out = '';
    const p = spawn('ping', ['-c1', '-n', `-W${Math.max(1, Math.ceil(timeoutMs / 1000))}`, ip], { stdio: ['ignore', 'pipe', 'pipe'] });
    p.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    p.stderr.on('data', (d: Buffer) => { out += d.toString(); });
    p.on('close', (code) => {
      if (code === 0) resolve({ outcome: 'answered' });
      else if (/Packet filtered|Communication prohibited|Host Prohibited/i.test(out)) resolve({ outcome: 'refused', detail: 'ICMP admin-prohibited' });
      else if (/ 0 received/.test(out) && !/errors/.test(out)) resolve({ outcome: 'silent' });
      else resolve({ outcome: 'error', detail: out.trim().split('\n').slice(1, 2).join('') || `ping exited ${code}` });
    });
    p.on('error', (e) => resolve({ outcome: 'error', detail: e.message }));
  });
}

await listen();
process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
createInterface({ input: process.stdin }).on('line', (line) => {
  const m = JSON.parse(line) as { id: number; proto: string; ip: string; port?: number; timeoutMs: number };
  const run = m.proto === 'tcp' ? tcp(m.ip, m.port!, m.timeoutMs) : m.proto === 'udp' ? udp(m.ip, m.port!, m.timeoutMs) : icmp(m.ip, m.timeoutMs);
  void run.then((r) => process.stdout.write(`${JSON.stringify({ id: m.id, ...r })}\n`));
}).on('close', () => process.exit(0));
