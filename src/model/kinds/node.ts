// Node (calico.md §1; Calico's libcalico-go/lib/apis/internalapi/node.go): one host of the
// cluster, named after its hostname. The agent writes most of it (addresses, tunnel addresses,
// VXLAN MAC) and all of `status`; users set BGP details such as `asNumber` or
// `routeReflectorClusterID`.

import { z } from 'zod';
import {
  addressWithMask, asNumber, dnsSubdomain, ipAddressOf, ipOrCidr, macAddress,
} from '../fields.js';
import { defineKind } from '../kind.js';

export const NODE_ADDRESS_TYPES = ['CalicoNodeIP', 'InternalIP', 'ExternalIP'] as const;
export type NodeAddressType = (typeof NODE_ADDRESS_TYPES)[number];

const nodeBGP = z.strictObject({
  /** Unset: the global AS of BGPConfiguration `default` (shown as `(64512)` by `get -o wide`). */
  asNumber: asNumber().optional(),
  /** Address *with* its prefix length: the mask decides which peers are in the same subnet (CrossSubnet). */
  ipv4Address: addressWithMask(4).optional(),
  ipv6Address: addressWithMask(6).optional(),
  ipv4IPIPTunnelAddr: ipAddressOf(4).optional(),
  /** Setting it makes the node a route reflector with this cluster ID (IPv4 dotted form). */
  routeReflectorClusterID: ipAddressOf(4).optional(),
});

export const nodeSpec = z.strictObject({
  bgp: nodeBGP.optional(),
  ipv4VXLANTunnelAddr: ipAddressOf(4).optional(),
  vxlanTunnelMACAddr: macAddress().optional(),
  ipv6VXLANTunnelAddr: ipAddressOf(6).optional(),
  vxlanTunnelMACAddrV6: macAddress().optional(),
  orchRefs: z.array(z.strictObject({
    nodeName: z.string().optional(),
    orchestrator: z.string().min(1),
  })).optional(),
  wireguard: z.strictObject({
    interfaceIPv4Address: ipAddressOf(4).optional(),
    interfaceIPv6Address: ipAddressOf(6).optional(),
  }).optional(),
  // Calico fills these from bgp.ipv4Address (with its mask) and the Kubernetes node's addresses,
  // so an address may carry a prefix length with host bits set.
  addresses: z.array(z.strictObject({
    address: ipOrCidr(),
    type: z.enum(NODE_ADDRESS_TYPES).optional(),
  })).optional(),
  interfaces: z.array(z.strictObject({
    name: dnsSubdomain().optional(),
    addresses: z.array(ipOrCidr()).optional(),
  })).optional(),
}).transform((s, ctx) => {
  // Calico's validateNodeSpec: a `bgp` section, when present, must say something.
  if (s.bgp !== undefined && Object.keys(s.bgp).length === 0) {
    ctx.addIssue({
      code: 'custom', path: ['bgp'], input: s.bgp,
      message: 'must not be empty: set at least one of asNumber, ipv4Address, ipv6Address, ipv4IPIPTunnelAddr, routeReflectorClusterID, or leave bgp out',
    });
  }
  return s;
});

export type NodeSpec = z.output<typeof nodeSpec>;

export const Node = defineKind({
  kind: 'Node', plural: 'nodes', shortNames: ['no', 'nos'], namespaced: false,
  spec: nodeSpec, hasStatus: true,
});
