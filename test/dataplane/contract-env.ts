// The two worlds the Netlink contract runs in: the fake kernel, and iproute2 in a scratch netns.
// Both get the same topology (see netlink-contract.ts) and the same "by hand" helpers.

import { canonicalRoute, type Netlink } from '../../src/dataplane/index.js';
import { FakeNetlink } from '../../src/dataplane/fake-netlink.js';
import { Iproute2Netlink } from '../../src/dataplane/linux/index.js';
import { isTortieError, type ErrorCode } from '../../src/lib/errors.js';
import { ScratchNetns } from '../support/scratch-netns.js';

export { canonicalRoute };

export interface ContractEnv {
  readonly netlink: Netlink;
  /** What `ip link add … type ipip` really does on this kernel. */
  readonly kernelHasIpip: boolean;
  addForeignRoute(dst: string, dev: string, protocol: number): Promise<void>;
  /** Destinations of every main-table route, any protocol. */
  allRouteDsts(): Promise<string[]>;
  deleteRouteByHand(dst: string): Promise<void>;
  setLinkUp(name: string, up: boolean): Promise<void>;
  dispose(): Promise<void>;
}

export const isTortieErrorLike = (e: unknown, code: ErrorCode): boolean => isTortieError(e, code);

export async function fakeEnv(): Promise<ContractEnv> {
  const k = new FakeNetlink();
  k.addVethPair('tt-u0', 'tt-u1');
  k.addAddress('tt-u0', '10.0.0.5/24');
  k.addVethPair('tt-w0', 'tt-w1');
  return {
    netlink: k,
    kernelHasIpip: false,
    addForeignRoute: async (dst, dev, protocol) => k.addForeignRoute({ dst, type: 'unicast', dev }, protocol),
    allRouteDsts: async () => k.allRoutes().map((r) => r.dst),
    deleteRouteByHand: async (dst) => k.removeRouteByHand(dst),
    setLinkUp: async (name, up) => k.setLinkUp(name, up),
    dispose: async () => {},
  };
}

let seq = 0;

/** A fresh namespace `tt-nl<pid><n>` with the contract's topology, and an adapter bound to it. */
export async function kernelEnv(): Promise<ContractEnv> {
  const ns = new ScratchNetns(`tt-nl${process.pid % 100000}-${seq++}`).create();
  try {
    ns.veth('tt-u0', 'tt-u1');
    ns.ip('addr', 'add', '10.0.0.5/24', 'dev', 'tt-u0');
    ns.veth('tt-w0', 'tt-w1');
    const probe = ns.tryIp('link', 'add', 'tt-ipip', 'type', 'ipip');
    if (probe.code === 0) ns.ip('link', 'del', 'tt-ipip');
    return {
      netlink: new Iproute2Netlink({ netns: ns.name }),
      kernelHasIpip: probe.code === 0,
      addForeignRoute: async (dst, dev, protocol) => { ns.ip('route', 'add', dst, 'dev', dev, 'proto', String(protocol)); },
      allRouteDsts: async () => (JSON.parse(ns.ip('-j', 'route', 'show', 'table', 'main')) as Array<{ dst: string }>)
        .map((r) => canonicalRoute({ dst: r.dst === 'default' ? '0.0.0.0/0' : r.dst, type: 'unicast' }).dst),
      deleteRouteByHand: async (dst) => { ns.ip('route', 'del', dst); },
      setLinkUp: async (name, up) => { ns.ip('link', 'set', name, up ? 'up' : 'down'); },
      dispose: async () => ns.remove(),
    };
  } catch (e) {
    ns.remove();
    throw e;
  }
}
