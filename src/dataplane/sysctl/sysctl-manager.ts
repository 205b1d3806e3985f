// Kernel settings the agent needs, desired vs actual (calico.md §5, the CNI plugin's host-side
// settings, which Felix also enforces):
//   global                net.ipv4.ip_forward = 1
//   per workload veth     net.ipv4.conf.<if>.route_localnet = 1
//                         net.ipv4.neigh.<if>.proxy_delay = 0   (answer ARP at once)
//                         net.ipv4.conf.<if>.proxy_arp = 1      (answer for 169.254.1.1)
//                         net.ipv4.conf.<if>.forwarding = 1
// Paths are always slashed, so interface names with dots (`vxlan.tortie`) are unambiguous.
// Sysctls are never "deleted": when an interface stops being a workload the manager just forgets
// it. A write to an interface that has vanished (ENOENT: the pod went away before the calculation
// side noticed) is not an error; it stays pending and is retried, so a re-created interface with
// the same name gets its settings.

import { DeltaTracker } from '../delta-tracker.js';
import type { Sysctl } from '../ports.js';
import { isTortieError } from '../../lib/errors.js';
import { checkDevName } from '../kernel-values.js';
import { sysctlPath } from './sysctl-path.js';

export const GLOBAL_SYSCTLS: ReadonlyArray<readonly [string, string]> = [[sysctlPath('net', 'ipv4', 'ip_forward'), '1']];

/** The host-side settings of one workload interface, in the CNI plugin's order. */
export function workloadSysctls(iface: string): Array<readonly [string, string]> {
  checkDevName(iface);
  return [
    [sysctlPath('net', 'ipv4', 'conf', iface, 'route_localnet'), '1'],
    [sysctlPath('net', 'ipv4', 'neigh', iface, 'proxy_delay'), '0'],
    [sysctlPath('net', 'ipv4', 'conf', iface, 'proxy_arp'), '1'],
    [sysctlPath('net', 'ipv4', 'conf', iface, 'forwarding'), '1'],
  ];
}

export interface SysctlResult {
  readonly written: number;
  /** Paths whose interface does not exist (left pending). */
  readonly vanished: readonly string[];
}

export class SysctlManager {
  private readonly tracker = new DeltaTracker<string, string>();
  private readonly globals = new Map<string, string>();
  private readonly workloads = new Set<string>();
  private desiredSet = false;
  private synced = false;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly sysctl: Sysctl, opts: { globals?: Iterable<readonly [string, string]> } = {}) {
    for (const [k, v] of opts.globals ?? GLOBAL_SYSCTLS) this.globals.set(k, v);
  }

  /** Replaces the set of workload interfaces (host ends of pod veths). */
  setWorkloadInterfaces(names: Iterable<string>): void {
    this.workloads.clear();
    for (const n of names) this.workloads.add(checkDevName(n));
    this.refresh();
  }

  addWorkloadInterface(name: string): void { this.workloads.add(checkDevName(name)); this.refresh(); }
  removeWorkloadInterface(name: string): void { this.workloads.delete(name); this.refresh(); }

  /** Adds or changes a global setting (slashed or dotted path). */
  setGlobal(path: string, value: string): void { this.globals.set(path, value); this.refresh(); }

  get inSync(): boolean { return this.synced && this.tracker.inSync; }

  /** Reads every desired key (missing keys read as absent). */
  resync(): Promise<void> {
    return this.serial(() => this.doResync());
  }

  apply(): Promise<SysctlResult> {
    return this.serial(async () => {
      if (!this.desiredSet) return { written: 0, vanished: [] };
      if (!this.synced) await this.doResync();
      const p = this.tracker.pending();
      for (const [k] of p.deletes) this.tracker.recordDelete(k); // nothing to undo in the kernel
      const vanished: string[] = [];
      let written = 0;
      // Globals first: ip_forward must be on before any interface is set up to forward.
      const upserts = [...p.upserts].sort(([a], [b]) => Number(!this.globals.has(a)) - Number(!this.globals.has(b)));
      for (const [k, v] of upserts) {
        try {
          await this.sysctl.write(k, v);
        } catch (e) {
          if (isTortieError(e, 'TORTIE_ERR_DATAPLANE_SYSCTL') && e.details['errno'] === 'ENOENT' && this.isPerInterface(k)) {
            vanished.push(k);
            continue;
          }
          throw e;
        }
        this.tracker.recordUpsert(k, v);
        written++;
      }
      return { written, vanished };
    });
  }

  private refresh(): void {
    const want = new Map(this.globals);
    for (const i of [...this.workloads].sort()) for (const [k, v] of workloadSysctls(i)) want.set(k, v);
    this.tracker.replaceDesired(want);
    this.desiredSet = true;
  }

  private isPerInterface(path: string): boolean {
    return /^net\/ipv[46]\/(conf|neigh)\/[^/]+\/[^/]+$/.test(path) && [...this.workloads].some((i) => path.includes(`/${i}/`));
  }

  private async doResync(): Promise<void> {
    const keys = [...this.tracker.desired.keys()];
    const values = await mapLimit(keys, 32, (k) => this.sysctl.read(k));
    this.tracker.resync(keys.flatMap((k, i) => (values[i] === null ? [] : [[k, values[i]!] as const])));
    this.synced = true;
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => {});
    return next;
  }
}

/** `Promise.all(items.map(fn))` with at most `limit` calls in flight (thousands of /proc reads). */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) { const i = next++; out[i] = await fn(items[i]!); }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
