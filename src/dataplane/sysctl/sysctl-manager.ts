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

  /**
   * Replaces the set of workload interfaces (host ends of pod veths). Only interfaces that came or
   * went touch the desired state: the agent calls this on every apply, and rebuilding 4 keys per
   * endpoint each time cost ~75 ms per apply at 10,000 endpoints.
   */
  setWorkloadInterfaces(names: Iterable<string>): void {
    const next = new Set<string>();
    for (const n of names) next.add(checkDevName(n));
    if (!this.desiredSet) {
      this.workloads.clear();
      for (const n of next) this.workloads.add(n);
      this.refresh();
      return;
    }
    for (const n of [...this.workloads]) if (!next.has(n)) this.removeWorkloadInterface(n);
    for (const n of next) if (!this.workloads.has(n)) this.addWorkloadInterface(n);
  }

  addWorkloadInterface(name: string): void {
    this.workloads.add(checkDevName(name));
    if (!this.desiredSet) { this.refresh(); return; }
    for (const [k, v] of workloadSysctls(name)) this.tracker.setDesired(k, v);
  }

  removeWorkloadInterface(name: string): void {
    if (!this.workloads.delete(name) || !this.desiredSet) { this.refresh(); return; }
    // As refresh() would: a global of the same path comes back, anything else is forgotten.
    for (const [k] of workloadSysctls(name)) {
      const g = this.globals.get(k);
      if (g !== undefined) this.tracker.setDesired(k, g); else this.tracker.deleteDesired(k);
    }
  }

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
      const writeOne = async ([k, v]: readonly [string, string]): Promise<void> => {
        try {
          await this.sysctl.write(k, v);
        } catch (e) {
          if (isTortieError(e, 'TORTIE_ERR_DATAPLANE_SYSCTL') && e.details['errno'] === 'ENOENT' && this.isPerInterface(k)) {
            vanished.push(k);
            return;
          }
          throw e;
        }
        this.tracker.recordUpsert(k, v);
        written++;
      };
      // Globals first, one by one: ip_forward must be on before any interface is set up to forward.
      for (const u of p.upserts) if (this.globals.has(u[0])) await writeOne(u);
      // Then the per-interface keys, which are independent of each other, in chunks.
      const failures: unknown[] = [];
      await mapLimit(p.upserts.filter(([k]) => !this.globals.has(k)), 512, async (u) => {
        if (failures.length > 0) return; // stop starting writes after a failure
        try { await writeOne(u); } catch (e) { failures.push(e); }
      });
      if (failures.length > 0) throw failures[0];
      return { written, vanished: vanished.sort() };
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
    const values = await mapLimit(keys, 512, (k) => this.sysctl.read(k));
    this.tracker.resync(keys.flatMap((k, i) => (values[i] === null ? [] : [[k, values[i]!] as const])));
    this.synced = true;
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => {});
    return next;
  }
}

/**
 * `Promise.all(items.map(fn))` in chunks of `chunk`, yielding to the event loop between them:
 * /proc/sys operations are synchronous (see SysctlFs), and 40,000 of them in one go would hold the
 * agent's event loop (health, BGP keepalives) for a third of a second.
 */
async function mapLimit<T, R>(items: readonly T[], chunk: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += chunk) {
    if (i > 0) await new Promise<void>((r) => setImmediate(r));
    out.push(...await Promise.all(items.slice(i, i + chunk).map(fn)));
  }
  return out;
}
