// The node's VXLAN tunnel address (Calico's ipv4VXLANTunnelAddr on the Node): taken from IPAM
// while a VXLAN pool exists, given back when none does. One change at a time; a failure is
// logged and tried again on the next calculation.

import { assignTunnelAddress, releaseTunnelAddress, type IpamService } from '../ipam/service/index.js';
import type { ClusterState } from '../calc/index.js';
import type { Logger } from './logger.js';

export class TunnelAddress {
  private busy = false;

  constructor(private readonly ipam: IpamService, private readonly nodeName: string, private readonly log: Logger) {}

  async maintain(state: ClusterState, problems: readonly string[]): Promise<void> {
    if (this.busy) return;
    const me = state.get('Node', this.nodeName);
    if (!me) return;
    const has = typeof me.spec['ipv4VXLANTunnelAddr'] === 'string';
    const wanted = state.list('IPPool').some((p) => p.spec['vxlanMode'] !== 'Never' && p.spec['disabled'] !== true);
    if (wanted === has) return;
    this.busy = true;
    try {
      if (wanted) this.log.info({ address: await assignTunnelAddress(this.ipam, this.nodeName, 'vxlan') }, 'VXLAN tunnel address assigned');
      else this.log.info({ released: await releaseTunnelAddress(this.ipam, this.nodeName, 'vxlan') }, 'VXLAN tunnel address released');
    } catch (e) {
      this.log.warn({ err: String(e), problems }, 'could not maintain the VXLAN tunnel address; will retry');
    } finally {
      this.busy = false;
    }
  }
}
