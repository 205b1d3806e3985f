// The VXLAN device (`vxlan.tortie`, Felix's `vxlan.calico`) and, per remote VTEP, the two static
// entries that replace learning (calico.md §6):
//   neighbour  <remote tunnel IP> lladdr <remote VTEP MAC> dev vxlan.tortie nud permanent
//   FDB        <remote VTEP MAC> dev vxlan.tortie dst <remote node IP> self permanent
// The routes over the tunnel (`<block> via <remote tunnel IP> dev vxlan.tortie onlink`) belong to
// the RouteManager. Order, after felix's event sequencer ("VTEPs before routes, removals in reverse"):
//
//   applyAdditions():  device ─▶ FDB adds ─▶ neighbour adds          (then routes may use them)
//   applyRemovals():   neighbour deletes ─▶ FDB deletes ─▶ device delete (only when VXLAN is unwanted)
//
// `applyKernelState()` (../apply-order.ts) runs the three managers in that order. Re-creating the
// device (VNI, port or parent changed) drops its entries, so after any device change the entries
// are re-read before they are written.

import { DeltaTracker } from '../delta-tracker.js';
import { canonicalFdb, canonicalIP, canonicalMac, canonicalNeighbour, canonicalVxlan } from '../kernel-values.js';
import { VXLAN_DEVICE, type FdbEntry, type LinkInfo, type Neighbour, type Netlink, type VxlanDevice } from '../ports.js';
import { TortieError } from '../../lib/errors.js';

export const VXLAN_VNI = 4096;
export const VXLAN_PORT = 4789;

/** A remote node's tunnel endpoint (from its Node resource). */
export interface Vtep {
  /** The remote node's tunnel address (`ipv4VXLANTunnelAddr`), no mask. */
  readonly tunnelAddress: string;
  /** The remote VTEP's MAC (`vxlanTunnelMACAddr`). */
  readonly mac: string;
  /** The remote node's underlay address, no mask. */
  readonly hostAddress: string;
}

/** The device as far as the manager compares it: the spec plus "up, with exactly this address". */
interface DeviceState extends VxlanDevice { readonly up: boolean; readonly addresses: readonly string[] }

const DEVICE = 'device';

function deviceState(l: LinkInfo): DeviceState {
  const v6 = (a: string): boolean => a.includes(':');
  return {
    name: l.name, vni: l.vxlan?.vni ?? -1, port: l.vxlan?.port ?? -1, local: l.vxlan?.local ?? '', parent: l.vxlan?.parent ?? '',
    mtu: l.mtu, mac: l.mac, up: l.up, address: '',
    addresses: l.addresses.filter((a) => !(v6(a) && a.toLowerCase().startsWith('fe80:'))).sort(),
  };
}

const deviceEqual = (d: DeviceState, a: DeviceState): boolean =>
  d.name === a.name && d.vni === a.vni && d.port === a.port && d.local === a.local && d.parent === a.parent &&
  d.mtu === a.mtu && d.mac === a.mac && a.up && a.addresses.length === 1 && a.addresses[0] === d.address;

export interface VxlanResult { readonly device: 'none' | 'ensured' | 'deleted'; readonly upserted: number; readonly removed: number }

export class VxlanManager {
  readonly name: string;
  private readonly device = new DeltaTracker<string, DeviceState>({ equal: deviceEqual });
  private readonly neigh = new DeltaTracker<string, Neighbour>();
  private readonly fdb = new DeltaTracker<string, FdbEntry>();
  private vteps: { neigh: ReadonlyMap<string, Neighbour>; fdb: ReadonlyMap<string, FdbEntry> } = { neigh: new Map(), fdb: new Map() };
  private desiredSet = false;
  private synced = false;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly netlink: Netlink, opts: { name?: string } = {}) {
    this.name = opts.name ?? VXLAN_DEVICE;
  }

  /** The device Tortie wants, or null when VXLAN is not in use on this node (the device is deleted). */
  setDesiredDevice(spec: (Omit<VxlanDevice, 'name'> & { readonly name?: string }) | null): void {
    if (spec === null) this.device.deleteDesired(DEVICE);
    else {
      if (spec.name !== undefined && spec.name !== this.name) {
        throw new TortieError('TORTIE_ERR_DATAPLANE_INVALID', `This manager owns ${this.name}, not ${spec.name}`, { name: spec.name });
      }
      const d = canonicalVxlan({ ...spec, name: this.name });
      this.device.setDesired(DEVICE, { ...d, up: true, addresses: [d.address] });
    }
    this.desiredSet = true;
    this.refreshEntries();
  }

  /** Replaces the set of remote VTEPs. Two VTEPs with one tunnel address or one MAC are a caller bug. */
  setDesiredVteps(vteps: Iterable<Vtep>): void {
    const neigh = new Map<string, Neighbour>();
    const fdb = new Map<string, FdbEntry>();
    for (const v of vteps) {
      const n = canonicalNeighbour({ dev: this.name, ip: canonicalIP(v.tunnelAddress, 'VTEP tunnel address'), mac: canonicalMac(v.mac) });
      const f = canonicalFdb({ dev: this.name, mac: n.mac, dst: v.hostAddress });
      if (neigh.has(n.ip) || fdb.has(f.mac)) {
        throw new TortieError('TORTIE_ERR_DATAPLANE_INVALID', `Two VTEPs share tunnel address ${n.ip} or MAC ${f.mac}`, { vtep: v });
      }
      neigh.set(n.ip, n);
      fdb.set(f.mac, f);
    }
    this.vteps = { neigh, fdb };
    this.refreshEntries();
  }

  /**
   * The same as setDesiredVteps, from the calculation's own lists (DesiredDataplane.vxlan): each
   * neighbour's MAC must have an FDB entry; entries for another device are a caller bug.
   */
  setDesiredEntries(neighbours: readonly Neighbour[], fdb: readonly FdbEntry[]): void {
    const hosts = new Map<string, string>();
    for (const f of fdb) {
      if (f.dev !== this.name) throw new TortieError('TORTIE_ERR_DATAPLANE_INVALID', `FDB entry for ${f.dev}, not ${this.name}`, { entry: f });
      hosts.set(canonicalMac(f.mac), f.dst);
    }
    const vteps: Vtep[] = [];
    for (const n of neighbours) {
      if (n.dev !== this.name) throw new TortieError('TORTIE_ERR_DATAPLANE_INVALID', `Neighbour entry for ${n.dev}, not ${this.name}`, { entry: n });
      const host = hosts.get(canonicalMac(n.mac));
      if (host === undefined) throw new TortieError('TORTIE_ERR_DATAPLANE_INVALID', `Neighbour ${n.ip} has MAC ${n.mac} but no FDB entry says where that MAC lives`, { entry: n });
      vteps.push({ tunnelAddress: n.ip, mac: n.mac, hostAddress: host });
    }
    this.setDesiredVteps(vteps);
  }

  // Entries are wanted only on a wanted device; without one they are removed (before the device).
  private refreshEntries(): void {
    const on = this.device.desired.has(DEVICE);
    this.neigh.replaceDesired(on ? this.vteps.neigh : []);
    this.fdb.replaceDesired(on ? this.vteps.fdb : []);
  }

  get inSync(): boolean { return this.synced && this.device.inSync && this.neigh.inSync && this.fdb.inSync; }

  resync(): Promise<void> {
    return this.serial(() => this.doResync());
  }

  /** Both phases; use applyAdditions/applyRemovals around the route manager for the full order. */
  async apply(): Promise<VxlanResult> {
    const a = await this.applyAdditions();
    const r = await this.applyRemovals();
    return { device: r.device !== 'none' ? r.device : a.device, upserted: a.upserted, removed: r.removed };
  }

  /** Device create/repair, then FDB and neighbour adds. */
  applyAdditions(): Promise<VxlanResult> {
    return this.serial(() => this.guard(async () => {
      if (!this.desiredSet) return { device: 'none', upserted: 0, removed: 0 };
      if (!this.synced) await this.doResync();
      let device: VxlanResult['device'] = 'none';
      const want = this.device.desired.get(DEVICE);
      const dev = this.device.pending().upserts[0];
      if (dev) {
        await this.netlink.ensureVxlan(stripState(dev[1]));
        this.device.recordUpsert(DEVICE, dev[1]);
        device = 'ensured';
        await this.readEntries(); // a re-created device has lost its entries
      }
      if (!want) return { device, upserted: 0, removed: 0 };
      const f = this.fdb.pending().upserts;
      if (f.length > 0) {
        await this.netlink.applyFdb(this.name, [], f.map(([, v]) => v));
        for (const [k, v] of f) this.fdb.recordUpsert(k, v);
      }
      const n = this.neigh.pending().upserts;
      if (n.length > 0) {
        await this.netlink.applyNeighbours(this.name, [], n.map(([, v]) => v));
        for (const [k, v] of n) this.neigh.recordUpsert(k, v);
      }
      return { device, upserted: f.length + n.length, removed: 0 };
    }));
  }

  /** Neighbour deletes, then FDB deletes, then the device itself if VXLAN is no longer wanted. */
  applyRemovals(): Promise<VxlanResult> {
    return this.serial(() => this.guard(async () => {
      if (!this.desiredSet) return { device: 'none', upserted: 0, removed: 0 };
      if (!this.synced) await this.doResync();
      const n = this.neigh.pending().deletes;
      if (n.length > 0) {
        await this.netlink.applyNeighbours(this.name, n.map(([, v]) => v), []);
        for (const [k] of n) this.neigh.recordDelete(k);
      }
      const f = this.fdb.pending().deletes;
      if (f.length > 0) {
        await this.netlink.applyFdb(this.name, f.map(([, v]) => v), []);
        for (const [k] of f) this.fdb.recordDelete(k);
      }
      let device: VxlanResult['device'] = 'none';
      if (this.device.pending().deletes.length > 0) {
        await this.netlink.deleteLink(this.name);
        this.device.recordDelete(DEVICE);
        device = 'deleted';
        await this.readEntries(); // whatever else was on the device went with it
      }
      return { device, upserted: 0, removed: n.length + f.length };
    }));
  }

  private async doResync(): Promise<void> {
    const link = (await this.netlink.links()).find((l) => l.name === this.name);
    this.device.resync(link ? [[DEVICE, deviceState(link)]] : []);
    await this.readEntries();
    this.synced = true;
  }

  private async readEntries(): Promise<void> {
    const [n, f] = await Promise.all([this.netlink.neighbours(this.name), this.netlink.fdb(this.name)]);
    this.neigh.resync(n.map((x) => [x.ip, x] as const));
    this.fdb.resync(f.map((x) => [x.mac, x] as const));
  }

  // After a failure, learn what the kernel holds before the next attempt.
  private async guard(fn: () => Promise<VxlanResult>): Promise<VxlanResult> {
    try { return await fn(); } catch (e) {
      await this.doResync().catch(() => { this.synced = false; });
      throw e;
    }
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => {});
    return next;
  }
}

function stripState(d: DeviceState): VxlanDevice {
  return { name: d.name, vni: d.vni, port: d.port, local: d.local, parent: d.parent, mtu: d.mtu, mac: d.mac, address: d.address };
}
