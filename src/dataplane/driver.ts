// The node's whole dataplane behind one apply(), in dependency order (felix event_sequencer):
//
//   nft policy table + NAT table ─▶ sysctls ─▶ VXLAN device, FDB, neighbours ─▶ routes ─▶ VXLAN removals
//
// Policy goes first so that a new workload is policed before it is routed (until then the table's
// fail-closed rule drops its traffic anyway). Each manager writes only what differs from what it
// last read; resync() re-reads the kernel (and forgets the nft tables, which are then replaced
// whole), so the next apply repairs anything changed behind the agent's back.

import type { ApplyReport, Dataplane, DataplaneTarget, Netlink, Nft, Sysctl } from './ports.js';
import { applyKernelState } from './apply-order.js';
import { NatProgrammer } from './nft/nat.js';
import { PolicyProgrammer } from './nft/policy-programmer.js';
import { RouteManager } from './routes/route-manager.js';
import { SysctlManager } from './sysctl/sysctl-manager.js';
import { VxlanManager } from './vxlan/vxlan-manager.js';

export interface DriverPorts {
  readonly netlink: Netlink;
  readonly sysctl: Sysctl;
  readonly nft: Nft;
  /** Records the pod MTU for the CNI plugin (e.g. /var/lib/tortie/mtu). */
  readonly writeMtu?: (mtu: number) => Promise<unknown>;
  readonly routeProtocol?: number;
}

export class DataplaneDriver implements Dataplane {
  private readonly routes: RouteManager;
  private readonly vxlan: VxlanManager;
  private readonly sysctls: SysctlManager;
  private readonly policy: PolicyProgrammer;
  private readonly nat: NatProgrammer;
  private mtu: number | null = null;

  constructor(private readonly ports: DriverPorts) {
    this.routes = new RouteManager(ports.netlink, ports.routeProtocol !== undefined ? { protocol: ports.routeProtocol } : {});
    this.vxlan = new VxlanManager(ports.netlink);
    this.sysctls = new SysctlManager(ports.sysctl);
    this.policy = new PolicyProgrammer(ports.nft);
    this.nat = new NatProgrammer(ports.nft);
  }

  async apply(d: DataplaneTarget): Promise<ApplyReport> {
    const changes: string[] = [];
    const p = await this.policy.sync(d.policy);
    if (p.kind !== 'none') changes.push(`policy: ${p.kind} (${p.bytes} bytes)`);
    if (await this.nat.sync(d.nat)) changes.push('nat: replaced');
    this.sysctls.setWorkloadInterfaces(d.workloadInterfaces);
    this.vxlan.setDesiredDevice(d.vxlan.device);
    this.vxlan.setDesiredEntries(d.vxlan.neighbours, d.vxlan.fdb);
    this.routes.setDesiredRoutes(d.routes);
    const k = await applyKernelState({ sysctls: this.sysctls, vxlan: this.vxlan, routes: this.routes });
    if (k.sysctls && k.sysctls.written > 0) changes.push(`sysctls: ${k.sysctls.written} written`);
    for (const [name, r] of [['vxlan', k.vxlanAdditions], ['vxlan removals', k.vxlanRemovals]] as const) {
      if (r && (r.device !== 'none' || r.upserted > 0 || r.removed > 0)) changes.push(`${name}: device ${r.device}, +${r.upserted} -${r.removed}`);
    }
    if (k.routes && (k.routes.upserted > 0 || k.routes.removed > 0)) changes.push(`routes: +${k.routes.upserted} -${k.routes.removed}`);
    if (this.ports.writeMtu && d.podMtu !== this.mtu) {
      await this.ports.writeMtu(d.podMtu);
      this.mtu = d.podMtu;
      changes.push(`mtu: ${d.podMtu}`);
    }
    return { changes };
  }

  async resync(): Promise<void> {
    this.policy.invalidate();
    this.nat.forget();
    await Promise.all([this.routes.resync(), this.vxlan.resync(), this.sysctls.resync()]);
  }
}
