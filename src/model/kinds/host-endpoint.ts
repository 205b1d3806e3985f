// HostEndpoint (calico.md §1; Calico's api/.../v3/hostendpoint.go): a host interface that policy
// applies to. Once one exists its traffic is denied unless a policy or profile allows it (the
// failsafe ports stay open).

import { z } from 'zod';
import { dnsSubdomain, interfaceName, ipAddress, portName, protocol, protocolHasPorts } from '../fields.js';
import { show } from '../issues.js';
import { defineKind } from '../kind.js';

/** A named port a policy can refer to (Calico's EndpointPort). */
export const endpointPort = z.strictObject({
  name: portName(),
  protocol: protocol(),
  port: z.number().int().min(1).max(65535),
}).transform((p, ctx) => {
  if (!protocolHasPorts(p.protocol)) {
    ctx.addIssue({ code: 'custom', path: ['protocol'], input: p.protocol, message: `${show(p.protocol)} has no ports: use TCP, UDP or SCTP` });
  }
  return p;
});

export const hostEndpointSpec = z.strictObject({
  node: dnsSubdomain(),
  /** A specific interface, "*" for all of the host's traffic, or unset/"" (then expectedIPs pick it). */
  interfaceName: interfaceName({ star: true, empty: true }).optional(),
  /** The endpoint's addresses, used when selectors match it (and to find the interface). */
  expectedIPs: z.array(ipAddress()).optional(),
  profiles: z.array(dnsSubdomain()).optional(),
  ports: z.array(endpointPort).optional(),
}).transform((s, ctx) => {
  if (!s.interfaceName && (s.expectedIPs ?? []).length === 0) {
    ctx.addIssue({
      code: 'custom', path: ['expectedIPs'], input: s.expectedIPs,
      message: 'is required when interfaceName is not set: give the interface, its addresses, or both',
    });
  }
  return s;
});

export type HostEndpointSpec = z.output<typeof hostEndpointSpec>;

export const HostEndpoint = defineKind({
  kind: 'HostEndpoint', plural: 'hostendpoints', shortNames: ['hep', 'heps'], namespaced: false,
  spec: hostEndpointSpec,
});
