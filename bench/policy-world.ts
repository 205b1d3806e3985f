// The policies both bench:policy and bench:agent load: half GlobalNetworkPolicy, half
// NetworkPolicy over 20 namespaces and 200 app labels, with label, named-port, net and port-range
// matches — a shape that exercises every kind of nftables set the compiler makes.

import type { Resource } from '../src/model/index.js';
import { valid } from '../test/support/policy-fixtures.js';

export const NAMESPACES = 20;
export const APPS = 200;

export function policy(p: number): Resource {
  const global = p % 2 === 1;
  return valid({
    apiVersion: 'projectcalico.org/v3', kind: global ? 'GlobalNetworkPolicy' : 'NetworkPolicy',
    metadata: global ? { name: `g${p}` } : { name: `n${p}`, namespace: `ns${p % NAMESPACES}` },
    spec: {
      order: p, selector: `app == 'app${p % APPS}'`,
      ingress: [
        { action: 'Allow', protocol: 'TCP', source: { selector: `app == 'app${(p + 1) % APPS}'` }, destination: { ports: [80 + (p % 5), 'http'] } },
        { action: 'Deny', protocol: 'UDP', source: { notNets: ['10.16.0.0/12'] } },
      ],
      egress: [{ action: 'Allow', destination: { nets: [`172.16.${p % 256}.0/24`] } }, { action: 'Pass', protocol: 'TCP', destination: { ports: ['1000:2000'] } }],
    },
  });
}
