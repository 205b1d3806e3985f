// Runs inside a network namespace: serves TCP (accept, close) and UDP (echo) on the given ports,
// and answers probe requests read as JSON lines on stdin with {id, ok} lines on stdout:
//   tcp: does a connection open within the timeout?   udp: does the echo come back?
//   icmp: does `ping -c1` get a reply?
// It exits when stdin closes.

import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { createConnection, createServer } from 'node:net';
import { createInterface } from 'node:readline';

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

function tcp(ip: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host: ip, port });
    const done = (ok: boolean): void => { clearTimeout(t); s.destroy(); resolve(ok); };
    const t = setTimeout(() => done(false), timeoutMs);
    s.on('connect', () => done(true));
    s.on('error', () => done(false));
  });
}

function udp(ip: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const u = createSocket('udp4');
    const done = (ok: boolean): void => { clearTimeout(t); u.close(); resolve(ok); };
    const t = setTimeout(() => done(false), timeoutMs);
    u.on('message', () => done(true));
    u.on('error', () => done(false));
    u.send('probe', port, ip);
  });
}

function icmp(ip: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const p = spawn('ping', ['-c1', '-n', `-W${Math.max(1, Math.round(timeoutMs / 1000))}`, ip], { stdio: 'ignore' });
    p.on('close', (code) => resolve(code === 0));
    p.on('error', () => resolve(false));
  });
}

await listen();
process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
createInterface({ input: process.stdin }).on('line', (line) => {
  const m = JSON.parse(line) as { id: number; proto: string; ip: string; port?: number; timeoutMs: number };
  const run = m.proto === 'tcp' ? tcp(m.ip, m.port!, m.timeoutMs) : m.proto === 'udp' ? udp(m.ip, m.port!, m.timeoutMs) : icmp(m.ip, m.timeoutMs);
  void run.then((ok) => process.stdout.write(`${JSON.stringify({ id: m.id, ok })}\n`));
}).on('close', () => process.exit(0));
