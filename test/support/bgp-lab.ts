// Network namespaces for BGP interop tests (every name `tt-<id>-…`): routers joined by veth pairs,
// with BIRD 2, GoBGP and Tortie speakers started inside them — daemons by their own PIDs, all of it
// removed by destroy() (also what a crashed earlier run left behind with the same id).

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { within } from './within.js';

const run = (args: readonly string[], input?: string): string =>
  execFileSync(args[0]!, args.slice(1), { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], input: input ?? '' });
const tryRun = (args: readonly string[]): string | null => { try { return run(args); } catch { return null; } };
const CHILD = fileURLToPath(new URL('./speaker-child.js', import.meta.url));

export const hasBird = tryRun(['bird', '--version']) !== null || tryRun(['sh', '-c', 'command -v bird']) !== null;
export const hasGobgp = tryRun(['sh', '-c', 'command -v gobgpd']) !== null;
export const isRoot = process.getuid?.() === 0;

/** A Tortie speaker in a child process inside a namespace. */
export class SpeakerProc {
  private seq = 0;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  readonly ready: Promise<void>;
  exited = false;

  constructor(readonly child: ChildProcess, readonly logFile: string) {
    let onReady!: () => void;
    this.ready = new Promise((r) => { onReady = r; });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const m = JSON.parse(line) as { ready?: boolean; id?: number; result?: unknown; error?: string };
      if (m.ready) { onReady(); return; }
      const w = this.waiting.get(m.id!);
      this.waiting.delete(m.id!);
      if (m.error !== undefined) w?.reject(new Error(m.error)); else w?.resolve(m.result);
    });
    child.on('exit', () => { this.exited = true; for (const w of this.waiting.values()) w.reject(new Error('speaker exited')); });
  }

  call<T = unknown>(op: string, args: Record<string, unknown> = {}): Promise<T> {
    const id = ++this.seq;
    if (this.exited) return Promise.reject(new Error('speaker exited'));
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.stdin!.write(`${JSON.stringify({ id, op, ...args })}\n`);
    });
  }

  log(): string { try { return readFileSync(this.logFile, 'utf8'); } catch { return ''; } }
}

export interface Daemon { readonly child: ChildProcess; readonly dir: string; readonly ns: string }

export class BgpLab {
  readonly dir: string;
  private readonly namespaces: string[] = [];
  private readonly children: ChildProcess[] = [];
  private links = 0;

  constructor(readonly id: string) {
    if (!/^[a-z0-9]{1,4}$/.test(id)) throw new Error('lab ids are 1–4 lower-case letters or digits');
    BgpLab.cleanup(id);
    this.dir = mkdtempSync(join(tmpdir(), `tt-bgp-${id}-`));
  }

  static cleanup(id: string): void {
    for (const line of (tryRun(['ip', 'netns', 'list']) ?? '').split('\n')) {
      const n = line.split(' ')[0];
      if (n && n.startsWith(`tt-${id}-`)) tryRun(['ip', 'netns', 'del', n]);
    }
  }

  ns(name: string): string {
    const ns = `tt-${this.id}-${name}`;
    if (!this.namespaces.includes(ns)) {
      run(['ip', 'netns', 'add', ns]);
      run(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
      this.namespaces.push(ns);
    }
    return ns;
  }

  /** A veth pair between two namespaces with an address (with prefix) on each end; returns the interface names. */
  link(a: string, addrA: string, b: string, addrB: string): [string, string] {
    const n = this.links++;
    const ia = `tt-${this.id}-${n}a`, ib = `tt-${this.id}-${n}b`;
    run(['ip', '-n', a, 'link', 'add', ia, 'type', 'veth', 'peer', 'name', ib, 'netns', b]);
    for (const [ns, i, addr] of [[a, ia, addrA], [b, ib, addrB]] as const) {
      run(['ip', '-n', ns, 'addr', 'add', addr, 'dev', i, ...(addr.includes(':') ? ['nodad'] : [])]);
      run(['ip', '-n', ns, 'link', 'set', i, 'up']);
    }
    return [ia, ib];
  }

  exec(ns: string, ...args: string[]): string { return run(['ip', 'netns', 'exec', ns, ...args]); }

  /** Main-table routes of a namespace as `dst via gw` lines (IPv4 and IPv6). */
  routes(ns: string): string[] {
    const out: string[] = [];
    for (const fam of ['-4', '-6']) {
      for (const r of JSON.parse(run(['ip', fam, '-n', ns, '-j', 'route', 'show'])) as Array<{ dst: string; gateway?: string; protocol?: string }>) {
        if (r.gateway) out.push(`${r.dst} via ${r.gateway}`);
      }
    }
    return out;
  }

  async speaker(ns: string, name: string): Promise<SpeakerProc> {
    const logFile = join(this.dir, `${name}.log`);
    const fd = openSync(logFile, 'a');
    // TT_SPEAKER_NODE_ARGS: extra node flags for the child, e.g. `--cpu-prof --cpu-prof-dir=/tmp/p`.
    const extra = (process.env['TT_SPEAKER_NODE_ARGS'] ?? '').split(' ').filter(Boolean);
    const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '--enable-source-maps', ...extra, CHILD], { stdio: ['pipe', 'pipe', fd] });
    closeSync(fd);
    this.children.push(child);
    const p = new SpeakerProc(child, logFile);
    await p.ready;
    return p;
  }

  /** BIRD 2 in `ns` with `config`; `args` e.g. ['-R'] for a graceful restart. */
  async bird(ns: string, name: string, config: string, args: string[] = []): Promise<Daemon & { birdc(cmd: string): string }> {
    const dir = join(this.dir, name);
    run(['mkdir', '-p', dir]);
    writeFileSync(join(dir, 'bird.conf'), config);
    const sock = join(dir, 'bird.ctl');
    const fd = openSync(join(dir, 'bird.log'), 'a');
    const child = spawn('ip', ['netns', 'exec', ns, 'bird', '-f', '-c', join(dir, 'bird.conf'), '-s', sock, ...args], { stdio: ['ignore', fd, fd] });
    closeSync(fd);
    this.children.push(child);
    const birdc = (cmd: string): string => run(['birdc', '-s', sock, ...cmd.split(' ')]);
    const up = await within(20_000, () => tryRun(['birdc', '-s', sock, 'show', 'status']) !== null);
    if (up === null) throw new Error(`BIRD in ${ns} does not answer on ${sock}; its log:\n${this.fileOf({ child, dir, ns }, 'bird.log').slice(-2000)}`);
    return { child, dir, ns, birdc };
  }

  /** gobgpd in `ns` with a TOML config; `gobgp(...)` runs the CLI against it. */
  async gobgp(ns: string, name: string, config: string, args: string[] = []): Promise<Daemon & { gobgp(...a: string[]): string }> {
    const dir = join(this.dir, name);
    run(['mkdir', '-p', dir]);
    writeFileSync(join(dir, 'gobgpd.toml'), config);
    const fd = openSync(join(dir, 'gobgpd.log'), 'a');
    const child = spawn('ip', ['netns', 'exec', ns, 'gobgpd', '-f', join(dir, 'gobgpd.toml'), '-t', 'toml', '--api-hosts', '127.0.0.1:50051', '--pprof-disable', '-p', ...args], { stdio: ['ignore', fd, fd] });
    closeSync(fd);
    this.children.push(child);
    const gobgp = (...a: string[]): string => run(['ip', 'netns', 'exec', ns, 'gobgp', ...a]);
    const up = await within(20_000, () => { try { gobgp('global'); return true; } catch { return false; } });
    if (up === null) throw new Error(`gobgpd in ${ns} does not answer its API; its log:\n${this.fileOf({ child, dir, ns }, 'gobgpd.log').slice(-2000)}`);
    return { child, dir, ns, gobgp };
  }

  /** Stops one daemon by its PID and waits for it to go. */
  async kill(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill(signal);
    const t = setTimeout(() => child.kill('SIGKILL'), 5000);
    await gone;
    clearTimeout(t);
  }

  fileOf(d: Daemon, file: string): string { try { return readFileSync(join(d.dir, file), 'utf8'); } catch { return ''; } }

  async destroy(): Promise<void> {
    for (const c of this.children) await this.kill(c, 'SIGKILL');
    for (const ns of this.namespaces.reverse()) tryRun(['ip', 'netns', 'del', ns]);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Polls `f` until it returns a truthy value or `ms` pass. */
export async function eventually<T>(ms: number, f: () => T | Promise<T>): Promise<T | undefined> {
  const end = performance.now() + ms;
  for (;;) {
    try { const v = await f(); if (v) return v; } catch { /* not yet */ }
    if (performance.now() > end) return undefined;
    await sleep(100);
  }
}
