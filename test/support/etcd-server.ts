// A real etcd server (Debian's etcd-server package) for tests: loopback only, free ports, its own
// temporary data directory; stopped (by the PID we started) and removed by `stop()`.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, openSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './free-port.js';

/** Files for a TLS etcd (client certificates required): see test/support/tls-certs.ts. */
export interface EtcdTlsFiles { readonly ca: string; readonly serverCert: string; readonly serverKey: string }

function healthyIn(netns: string, endpoint: string): Promise<boolean> {
  return new Promise((resolve) => {
    const p = spawn('ip', ['netns', 'exec', netns, 'etcdctl', '--endpoints', endpoint, '--command-timeout=1s', 'endpoint', 'health'], { stdio: 'ignore' });
    p.on('exit', (code) => resolve(code === 0));
    p.on('error', () => resolve(false));
  });
}

export class EtcdServer {
  private proc: ChildProcess | null = null;
  private constructor(
    readonly dataDir: string,
    readonly clientPort: number,
    private readonly peerPort: number,
    private readonly metricsPort: number,
    private readonly tls?: EtcdTlsFiles,
    /** Run inside this network namespace, listening on `host` (an address of that namespace). */
    private readonly netns?: { readonly name: string; readonly host: string },
  ) {}

  private get host(): string { return this.netns?.host ?? '127.0.0.1'; }

  get endpoint(): string { return `${this.tls ? 'https' : 'http'}://${this.host}:${this.clientPort}`; }

  static async start(opts: { tls?: EtcdTlsFiles; netns?: { name: string; host: string } } = {}): Promise<EtcdServer> {
    const dir = mkdtempSync(join(tmpdir(), 'tt-etcd-'));
    // In a namespace of its own the default ports are free by construction.
    const ports = opts.netns ? [2379, 2380, 2381] : [await freePort(), await freePort(), await freePort()];
    const s = new EtcdServer(dir, ports[0]!, ports[1]!, ports[2]!, opts.tls, opts.netns);
    await s.launch();
    return s;
  }

  private async launch(): Promise<void> {
    const c = this.endpoint, p = `http://${this.host}:${this.peerPort}`;
    const log = openSync(join(this.dataDir, 'etcd.log'), 'a');
    const tls = this.tls ? ['--cert-file', this.tls.serverCert, '--key-file', this.tls.serverKey, '--trusted-ca-file', this.tls.ca, '--client-cert-auth'] : [];
    const cmd = this.netns ? ['ip', 'netns', 'exec', this.netns.name, 'etcd'] : ['etcd'];
    this.proc = spawn(cmd[0]!, [...cmd.slice(1),
      ...tls,
      '--name', 'tt', '--data-dir', join(this.dataDir, 'data'),
      '--listen-client-urls', c, '--advertise-client-urls', c,
      '--listen-peer-urls', p, '--initial-advertise-peer-urls', p, '--initial-cluster', `tt=${p}`,
      '--listen-metrics-urls', `http://${this.host}:${this.metricsPort}`,
      '--log-level', 'error',
    ], { stdio: ['ignore', log, log] });
    closeSync(log);
    const exited = new Promise<never>((_, reject) => this.proc!.once('exit', (code) =>
      reject(new Error(`etcd exited with ${code} during start (log: ${this.dataDir}/etcd.log)`))));
    exited.catch(() => {});
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      try {
        // The metrics listener serves /health over plain HTTP, also when clients must use TLS.
        if (this.netns) {
          // Unreachable from here: ask from inside its namespace.
          if (await Promise.race([healthyIn(this.netns.name, this.endpoint), exited])) return;
        } else {
          const r = await Promise.race([fetch(`http://127.0.0.1:${this.metricsPort}/health`), exited]);
          if (r.ok && ((await r.json()) as { health?: string }).health === 'true') return;
        }
      } catch (e) {
        if (String(e).includes('etcd exited')) throw e;
      }
      await sleep(100);
    }
    throw new Error(`etcd did not become healthy in 20 s (log: ${this.dataDir}/etcd.log)`);
  }

  /** Stops the server process (`signal`, then SIGKILL); the data directory stays for `restart`. */
  async halt(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const p = this.proc;
    this.proc = null;
    if (!p || p.exitCode !== null) return;
    const gone = new Promise<void>((resolve) => p.once('exit', () => resolve()));
    p.kill(signal);
    const t = setTimeout(() => p.kill('SIGKILL'), 5000);
    await gone;
    clearTimeout(t);
  }

  /** Stops the server (SIGTERM, or `signal`), keeps it down for `downMs` (an outage), starts it again. */
  async restart(downMs = 0, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    await this.halt(signal);
    if (downMs > 0) await sleep(downMs);
    await this.launch();
  }

  async stop(): Promise<void> {
    await this.halt();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}
