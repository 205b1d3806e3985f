// A real three-member etcd cluster (Debian's etcd-server) for tests: loopback only, free ports,
// one temporary directory, members started and killed by the PIDs we spawned. Faults a cluster
// must survive are methods: kill a member (SIGKILL), start it again, give one member a tiny disk
// of its own (a tmpfs in a private mount namespace, so nothing shows outside its process), and
// replace a member by one with an empty data directory (member remove, member add, rejoin).
// With `unix: true` clients reach the members through unix sockets in the cluster's directory, so
// processes in any network namespace of the host can use them; peers talk on 127.0.0.1. With
// `netns: true` (unix sockets too) each member runs in a network namespace of its own
// (`tt-ec<pid>-m<i>`, on a bridge in `tt-ec<pid>-br`, peers on 10.98.0.<i+1>), so one member can
// be cut off from its peers while its clients still reach it: a partition.

import { spawn, execFile, execFileSync, type ChildProcess } from 'node:child_process';
import { get } from 'node:http';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './free-port.js';
import { within } from './within.js';

const run = promisify(execFile);

interface Member {
  readonly name: string;
  readonly clientPort: number;
  readonly peerPort: number;
  readonly metricsPort: number;
  readonly dir: string;
  /** A tmpfs of this many MiB holds the data directory. */
  readonly diskMiB?: number;
  proc: ChildProcess | null;
  /** Launches of this member so far (a rejoin starts a new data directory). */
  generation: number;
}

export interface MemberStatus { readonly index: number; readonly leader: boolean; readonly hasLeader: boolean }

const sh = (...args: string[]): void => { execFileSync(args[0]!, args.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] }); };

/** GET of a path on an HTTP server that listens on a unix socket (fetch cannot). */
function getUnix(socketPath: string, path: string, timeoutMs: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = get({ socketPath, path, timeout: timeoutMs }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

export class EtcdCluster {
  /** Network namespace names, when the members have their own. */
  private readonly ns: { prefix: string } | null;

  private constructor(readonly dir: string, private readonly m: Member[], private readonly unix: boolean, netns: boolean) {
    this.ns = netns ? { prefix: `tt-ec${process.pid}` } : null;
  }

  static async start(opts: { size?: number; diskMiB?: Record<number, number>; unix?: boolean; netns?: boolean } = {}): Promise<EtcdCluster> {
    const dir = mkdtempSync(join(tmpdir(), 'tt-etcdc-'));
    const members: Member[] = [];
    for (let i = 0; i < (opts.size ?? 3); i++) {
      const diskMiB = opts.diskMiB?.[i];
      members.push({
        name: `tt${i}`, clientPort: await freePort(), peerPort: await freePort(), metricsPort: await freePort(),
        dir: join(dir, `m${i}`), ...(diskMiB ? { diskMiB } : {}), proc: null, generation: 0,
      });
    }
    const c = new EtcdCluster(dir, members, (opts.unix ?? false) || (opts.netns ?? false), opts.netns ?? false);
    try {
      if (c.ns) c.wireNamespaces();
      for (let i = 0; i < members.length; i++) c.launch(i, 'new');
      await Promise.all(members.map((_, i) => c.waitHealthy(i)));
    } catch (e) {
      await c.stop();
      throw e;
    }
    return c;
  }

  get size(): number { return this.m.length; }
  endpoint(i: number): string {
    const x = this.m[i]!;
    return this.unix ? `unix://${join(x.dir, `localhost:${x.clientPort}`)}` : `http://127.0.0.1:${x.clientPort}`;
  }
  /** The URL etcd itself is given: a unix socket is named relative to the member's directory. */
  private listenUrl(i: number): string {
    return this.unix ? `unix://localhost:${this.m[i]!.clientPort}` : this.endpoint(i);
  }
  get endpoints(): string[] { return this.m.map((_, i) => this.endpoint(i)); }
  /** The member's log, for failure messages. */
  log(i: number): string {
    try { return readFileSync(join(this.m[i]!.dir, 'etcd.log'), 'utf8'); } catch { return ''; }
  }
  running(i: number): boolean { const p = this.m[i]!.proc; return p !== null && p.exitCode === null && p.signalCode === null; }
  pid(i: number): number | undefined { return this.m[i]!.proc?.pid; }

  private memberNs(i: number): string { return `${this.ns!.prefix}-m${i}`; }

  /** A bridge namespace and one namespace per member on it, 10.98.0.<i+1>/24. */
  private wireNamespaces(): void {
    const br = `${this.ns!.prefix}-br`;
    sh('ip', 'netns', 'add', br);
    sh('ip', '-n', br, 'link', 'add', 'br0', 'type', 'bridge');
    sh('ip', '-n', br, 'link', 'set', 'br0', 'up');
    this.m.forEach((_, i) => {
      const ns = this.memberNs(i);
      sh('ip', 'netns', 'add', ns);
      sh('ip', '-n', ns, 'link', 'set', 'lo', 'up');
      sh('ip', '-n', br, 'link', 'add', `m${i}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns);
      sh('ip', '-n', br, 'link', 'set', `m${i}`, 'master', 'br0', 'up');
      sh('ip', '-n', ns, 'addr', 'add', `${this.peerHost(i)}/24`, 'dev', 'eth0');
      sh('ip', '-n', ns, 'link', 'set', 'eth0', 'up');
    });
  }

  private peerHost(i: number): string { return this.ns ? `10.98.0.${i + 1}` : '127.0.0.1'; }
  private peerUrl(i: number): string { return `http://${this.peerHost(i)}:${this.m[i]!.peerPort}`; }

  /** Cuts member i off from its peers (its clients still reach it through its socket). */
  partition(i: number): void { sh('ip', '-n', this.memberNs(i), 'link', 'set', 'eth0', 'down'); }
  heal(i: number): void { sh('ip', '-n', this.memberNs(i), 'link', 'set', 'eth0', 'up'); }

  /** GET on member i's metrics listener (/health, /metrics). */
  private async metrics(i: number, path: string): Promise<{ status: number; body: string }> {
    const x = this.m[i]!;
    if (this.unix) return getUnix(join(x.dir, `localhost:${x.metricsPort}`), path, 1000);
    const r = await fetch(`http://127.0.0.1:${x.metricsPort}${path}`, { signal: AbortSignal.timeout(1000) });
    return { status: r.status, body: await r.text() };
  }

  private initialCluster(): string {
    return this.m.map((x, i) => `${x.name}=${this.peerUrl(i)}`).join(',');
  }

  private launch(i: number, state: 'new' | 'existing'): void {
    const x = this.m[i]!;
    mkdirSync(x.dir, { recursive: true });
    const data = join(x.dir, 'data');
    const args = [
      '--name', x.name, '--data-dir', data,
      '--listen-client-urls', this.listenUrl(i), '--advertise-client-urls', this.listenUrl(i),
      '--listen-peer-urls', this.peerUrl(i), '--initial-advertise-peer-urls', this.peerUrl(i),
      '--initial-cluster', this.initialCluster(), '--initial-cluster-state', state, '--initial-cluster-token', `tt-${process.pid}`,
      '--listen-metrics-urls', this.unix ? `unix://localhost:${x.metricsPort}` : `http://127.0.0.1:${x.metricsPort}`,
      // Elections in about a second, as in production; a loaded test machine needs no less.
      '--heartbeat-interval', '100', '--election-timeout', '1000',
      '--log-level', 'warn',
    ];
    // A killed member leaves its sockets behind, and etcd will not bind over them.
    if (this.unix) for (const port of [x.clientPort, x.metricsPort]) rmSync(join(x.dir, `localhost:${port}`), { force: true });
    const inNs = this.ns ? ['ip', 'netns', 'exec', this.memberNs(i)] : [];
    const log = openSync(join(x.dir, 'etcd.log'), 'a');
    if (x.diskMiB) {
      // The data directory on a tmpfs of its own, mounted in a mount namespace only this etcd
      // sees: the disk can fill without touching the machine's.
      mkdirSync(data, { recursive: true });
      const q = (s: string): string => `'${s.replaceAll("'", "'\\''")}'`;
      const cmd = [...inNs, 'unshare', '--mount', '--propagation', 'private', 'sh', '-c',
        `mount -t tmpfs -o size=${x.diskMiB}m tt-etcd ${q(data)} && exec etcd ${args.map(q).join(' ')}`];
      x.proc = spawn(cmd[0]!, cmd.slice(1), { stdio: ['ignore', log, log], cwd: x.dir });
    } else {
      const cmd = [...inNs, 'etcd', ...args];
      x.proc = spawn(cmd[0]!, cmd.slice(1), { stdio: ['ignore', log, log], cwd: x.dir });
    }
    closeSync(log);
    x.generation++;
  }

  /** Waits until member i answers /health with a leader (20 s, or its exit, at most). */
  async waitHealthy(i: number, ms = 20_000): Promise<void> {
    const x = this.m[i]!;
    const ok = await within(ms, async () => {
      if (!this.running(i)) throw new Error(`etcd member ${i} exited (log: ${join(x.dir, 'etcd.log')}):\n${this.log(i).slice(-1500)}`);
      try {
        const r = await this.metrics(i, '/health');
        return r.status === 200 && (JSON.parse(r.body) as { health?: string }).health === 'true';
      } catch { return false; }
    }, 100);
    if (ok === null) throw new Error(`etcd member ${i} not healthy in ${ms} ms:\n${this.log(i).slice(-1500)}`);
  }

  /** Kills member i with `signal` (SIGKILL: no goodbye to its peers) and waits for it to exit. */
  async kill(i: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const p = this.m[i]!.proc;
    this.m[i]!.proc = null;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => p.once('exit', () => resolve()));
    p.kill(signal);
    await gone;
  }

  /** Starts a killed member again on its data directory, and waits for it to be healthy. */
  async restart(i: number): Promise<void> {
    if (this.running(i)) return;
    this.launch(i, 'existing');
    await this.waitHealthy(i);
  }

  /** Which running members say they are the leader (etcd_server_is_leader on the metrics port). */
  async status(): Promise<MemberStatus[]> {
    const out: MemberStatus[] = [];
    for (let i = 0; i < this.m.length; i++) {
      if (!this.running(i)) continue;
      try {
        const text = (await this.metrics(i, '/metrics')).body;
        const gauge = (name: string): number => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
        out.push({ index: i, leader: gauge('etcd_server_is_leader') === 1, hasLeader: gauge('etcd_server_has_leader') === 1 });
      } catch { /* not answering */ }
    }
    return out;
  }

  /** The index of the leader, once the running members agree there is one (20 s at most). */
  async leader(ms = 20_000): Promise<number> {
    let found = -1;
    const ok = await within(ms, async () => {
      const s = await this.status();
      found = s.find((x) => x.leader)?.index ?? -1;
      return found >= 0;
    }, 100);
    if (ok === null) throw new Error('the etcd cluster has no leader');
    return found;
  }

  /**
   * Replaces member i by a new one with an empty data directory, as an operator replaces a member
   * whose disk was lost: stop it, remove it from the cluster, add it back, start it with
   * `--initial-cluster-state existing`, and wait until it is healthy (it gets the data by snapshot
   * or log replay from the leader).
   */
  async wipeAndRejoin(i: number): Promise<void> {
    const x = this.m[i]!;
    await this.kill(i);
    const via = this.endpoints.filter((_, k) => k !== i && this.running(k)).join(',');
    const etcdctl = (...args: string[]): Promise<{ stdout: string }> =>
      run('etcdctl', ['--endpoints', via, '--command-timeout=5s', ...args], { env: { ...process.env, ETCDCTL_API: '3' } });
    // "8e9e05c52164694d, started, tt0, http://…, http://…, false": the ID in hex, as remove wants
    // it (the JSON form prints it as a decimal too large for a JS number).
    const listed = async (): Promise<{ id: string; peer: string } | null> => {
      const line = (await etcdctl('member', 'list', '-w', 'simple')).stdout.split('\n').find((l) => l.split(', ')[2] === x.name || l.includes(`${this.peerUrl(i)},`));
      return line ? { id: line.split(', ')[0]!, peer: line } : null;
    };
    // etcd refuses membership changes ("unhealthy cluster") until every remaining member has been
    // connected for 5 s, and a change in flight may time out and still apply: each step is
    // repeated until the member list shows it done.
    const step = async (done: () => Promise<boolean>, act: () => Promise<unknown>, what: string): Promise<void> => {
      let last: unknown = null;
      const ok = await within(30_000, async () => {
        if (await done().catch(() => false)) return true;
        await act().catch((e: unknown) => { last = e; });
        return done().catch(() => false);
      }, 500);
      if (ok === null) throw new Error(`etcd member ${what} did not happen in 30 s: ${String((last as { stderr?: string } | null)?.stderr ?? last)}`);
    };
    await step(async () => (await listed()) === null, async () => { const m = await listed(); if (m) await etcdctl('member', 'remove', m.id); }, `remove of ${x.name}`);
    await step(async () => (await listed()) !== null, () => etcdctl('member', 'add', x.name, `--peer-urls=${this.peerUrl(i)}`), `add of ${x.name}`);
    rmSync(join(x.dir, 'data'), { recursive: true, force: true });
    this.launch(i, 'existing');
    await this.waitHealthy(i, 30_000);
  }

  /** Kills every member (by the PIDs we started), deletes the namespaces and the directory. */
  async stop(): Promise<void> {
    await Promise.all(this.m.map((_, i) => this.kill(i)));
    if (this.ns) {
      for (const n of [...this.m.map((_, i) => this.memberNs(i)), `${this.ns.prefix}-br`]) { try { sh('ip', 'netns', 'del', n); } catch { /* not made */ } }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
