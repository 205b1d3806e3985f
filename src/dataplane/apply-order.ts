// One pass over the kernel-state managers in dependency order (felix calc/event_sequencer.go:
// "VTEP add before route add; route remove before VTEP remove"):
//
//   sysctls ─▶ VXLAN device + FDB + neighbours ─▶ routes (removes, then replaces) ─▶ VXLAN removals
//
// Sysctls come first so a new workload interface answers ARP (proxy_arp) by the time its route
// exists. When the VXLAN device was created or changed, the routes are re-read before they are
// applied: re-creating the device took its routes with it. Each manager is still usable alone; this only fixes the order between them. Every step
// runs even if an earlier one failed (a bad route must not stop VTEP cleanup); the first error is
// rethrown at the end.

import type { RouteManager, ApplyResult } from './routes/route-manager.js';
import type { SysctlManager, SysctlResult } from './sysctl/sysctl-manager.js';
import type { VxlanManager, VxlanResult } from './vxlan/vxlan-manager.js';

export interface KernelStateManagers {
  readonly sysctls?: SysctlManager;
  readonly vxlan?: VxlanManager;
  readonly routes?: RouteManager;
}

export interface KernelStateResult {
  readonly sysctls?: SysctlResult;
  readonly vxlanAdditions?: VxlanResult;
  readonly routes?: ApplyResult;
  readonly vxlanRemovals?: VxlanResult;
}

export async function applyKernelState(m: KernelStateManagers): Promise<KernelStateResult> {
  const out: { -readonly [K in keyof KernelStateResult]: KernelStateResult[K] } = {};
  let firstError: unknown = null;
  const step = async <T>(fn: (() => Promise<T>) | undefined, put: (r: T) => void): Promise<void> => {
    if (!fn) return;
    try { put(await fn()); } catch (e) { firstError ??= e; }
  };
  await step(m.sysctls && (() => m.sysctls!.apply()), (r) => { out.sysctls = r; });
  await step(m.vxlan && (() => m.vxlan!.applyAdditions()), (r) => { out.vxlanAdditions = r; });
  // A created or changed device may have been re-created, and its routes went with the old one.
  if (out.vxlanAdditions?.device === 'ensured' && m.routes) await step(() => m.routes!.resync(), () => {});
  await step(m.routes && (() => m.routes!.apply()), (r) => { out.routes = r; });
  await step(m.vxlan && (() => m.vxlan!.applyRemovals()), (r) => { out.vxlanRemovals = r; });
  if (firstError !== null) throw firstError;
  return out;
}
