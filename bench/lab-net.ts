// The references bench:lab measures the lab against, built by hand with `ip` in namespaces named
// tt-l… (nothing touches the machine's own interfaces):
//
//   bare      tt-lb-a ══veth══ tt-lb-b                                   (the physical limit)
//   underlay  tt-lX-r (bridge br0 10.0.0.1/24) ─veth─ tt-lX-nI (eth0 10.0.0.1I/24)   as `lab up` does
//   ideal     pod ─veth(cali)─ node ─eth0═br0═eth0─ node ─veth(cali)─ pod
//             Calico's design: pod /32 on eth0, default via 169.254.1.1 answered by proxy ARP on
//             the host end, a /32 route per pod, a blackhole for the node's own block, the other
//             node's block via its address (none) or via its VTEP address on vxlan.tt (VNI 4096,
//             port 4789, MTU 1450, permanent neighbour + FDB entries, `onlink`)
//   flannel   pod ─veth─ cni0 bridge (10.244.I.1/24) in the node; host-gw: the other node's /24
//             via its address; vxlan: flannel.1 (VNI 1, port 8472, MTU 1450) with flannel's
//             neighbour/FDB/`onlink` route per remote subnet

import { execFileSync } from 'node:child_process';

const run = (args: readonly string[], input?: string): string =>
  execFileSync(args[0]!, args.slice(1), { encoding: 'utf8', stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], ...(input !== undefined ? { input } : {}) });

/** `ip -n NS -batch -` of some lines. */
export const batch = (ns: string, lines: readonly string[]): void => { run(['ip', '-n', ns, '-batch', '-'], `${lines.join('\n')}\n`); };
export const sysctl = (ns: string, ...kv: string[]): void => { run(['ip', 'netns', 'exec', ns, 'sysctl', '-qw', ...kv]); };

/** The namespaces this bench created, so that exactly those are removed (also after a failure). */
export class Namespaces {
  private readonly made: string[] = [];
  private closed = false;

  add(name: string): string {
    if (this.closed) throw new Error('bench:lab is stopping');
    if (!name.startsWith('tt-')) throw new Error(`bench namespaces are named tt-…, not ${name}`);
    try { run(['ip', 'netns', 'del', name]); } catch { /* no leftover of an earlier run */ }
    run(['ip', 'netns', 'add', name]);
    this.made.push(name);
    batch(name, ['link set lo up']);
    return name;
  }

  del(name: string): void {
    const i = this.made.indexOf(name);
    if (i >= 0) this.made.splice(i, 1);
    try { run(['ip', 'netns', 'del', name]); } catch { /* already gone */ }
  }

  /** Removes every namespace still recorded; returns how many. `close`: and refuses new ones after. */
  removeAll(close = false): number {
    if (close) this.closed = true;
    const all = this.made.splice(0).reverse();
    for (const n of all) { try { run(['ip', 'netns', 'del', n]); } catch { /* already gone */ } }
    return all.length;
  }
}

/** Where traffic goes: iperf3/ping clients run in `clientNs`, servers in `serverNs` at `serverIp`. */
export interface Pair { readonly clientNs: string; readonly serverNs: string; readonly serverIp: string }

export function bareVeth(nss: Namespaces, prefix: string): Pair {
  const a = nss.add(`${prefix}-a`), b = nss.add(`${prefix}-b`);
  batch(a, ['link add eth0 type veth peer name eth0 netns ' + b, 'addr add 10.99.0.1/24 dev eth0', 'link set eth0 up']);
  batch(b, ['addr add 10.99.0.2/24 dev eth0', 'link set eth0 up']);
  return { clientNs: a, serverNs: b, serverIp: '10.99.0.2' };
}

export interface UnderlayNode { readonly ns: string; readonly ip: string }

/** The lab's underlay by hand (src/lab/topology.ts createRouter + attachHost): the same commands. */
export function underlay(nss: Namespaces, prefix: string, nodes: number): { router: string; nodes: UnderlayNode[] } {
  const router = nss.add(`${prefix}-r`);
  batch(router, ['link add br0 type bridge', 'addr add 10.0.0.1/24 dev br0', 'link set br0 up']);
  sysctl(router, 'net.ipv4.ip_forward=1');
  const out: UnderlayNode[] = [];
  for (let i = 1; i <= nodes; i++) {
    const ns = nss.add(`${prefix}-n${i}`);
    batch(router, [`link add ${prefix}-n${i} type veth peer name eth0 netns ${ns}`, `link set ${prefix}-n${i} master br0`, `link set ${prefix}-n${i} up`]);
    batch(ns, [`addr add 10.0.0.${10 + i}/24 dev eth0`, 'link set eth0 up', 'route add default via 10.0.0.1']);
    out.push({ ns, ip: `10.0.0.${10 + i}` });
  }
  return { router, nodes: out };
}

/** One node of a two-node hand-built design, as the design's builder sees it. */
interface NodeSide { readonly n: UnderlayNode; readonly other: UnderlayNode; readonly pod: string; readonly i: number; readonly j: number; readonly mtu: number }

/** Two nodes on the lab's underlay, a pod namespace each, forwarding on; `build` wires each side. */
function twoNodes(nss: Namespaces, prefix: string, encap: 'none' | 'vxlan', build: (side: NodeSide) => void): string[] {
  const { nodes } = underlay(nss, prefix, 2);
  const mtu = encap === 'vxlan' ? 1450 : 1500;
  return nodes.map((n, k) => {
    const pod = nss.add(`${prefix}-p${k + 1}`);
    sysctl(n.ns, 'net.ipv4.ip_forward=1');
    build({ n, other: nodes[1 - k]!, pod, i: k + 1, j: 2 - k, mtu });
    return pod;
  });
}

const mac = (i: number): string => `02:74:74:00:00:${i.toString(16).padStart(2, '0')}`;

/** Calico's design on two nodes, by hand: the ideal the lab should match. Pods 192.168.I.2 in block 192.168.I.0/26. */
export function calicoIdeal(nss: Namespaces, prefix: string, encap: 'none' | 'vxlan'): Pair {
  const pods = twoNodes(nss, prefix, encap, ({ n, other, pod, i, j, mtu }) => {
    batch(n.ns, [`link add cali${i} mtu ${mtu} type veth peer name eth0 mtu ${mtu} netns ${pod}`, `link set cali${i} up`]);
    sysctl(n.ns, `net.ipv4.conf.cali${i}.proxy_arp=1`, `net.ipv4.neigh.cali${i}.proxy_delay=0`, `net.ipv4.conf.cali${i}.forwarding=1`);
    batch(pod, [`addr add 192.168.${i}.2/32 dev eth0`, 'link set eth0 up', 'route add 169.254.1.1 dev eth0 scope link', 'route add default via 169.254.1.1 dev eth0']);
    const routes = [`route add 192.168.${i}.2/32 dev cali${i} scope link`, `route add blackhole 192.168.${i}.0/26`];
    if (encap === 'none') {
      routes.push(`route add 192.168.${j}.0/26 via ${other.ip} dev eth0`);
    } else {
      routes.unshift(
        `link add vxlan.tt type vxlan id 4096 local ${n.ip} dev eth0 dstport 4789 nolearning`,
        `link set vxlan.tt mtu 1450 address ${mac(i)} up`,
        `addr add 192.168.${i}.0/32 dev vxlan.tt`,
        `neigh add 192.168.${j}.0 lladdr ${mac(j)} dev vxlan.tt nud permanent`,
      );
      routes.push(`route add 192.168.${j}.0/26 via 192.168.${j}.0 dev vxlan.tt onlink`);
    }
    batch(n.ns, routes);
    if (encap === 'vxlan') run(['bridge', '-n', n.ns, 'fdb', 'append', mac(j), 'dev', 'vxlan.tt', 'dst', other.ip, 'self', 'permanent']);
  });
  return { clientNs: pods[0]!, serverNs: pods[1]!, serverIp: '192.168.2.2' };
}

/** Flannel's design on two nodes (a bridge per node; host-gw routes or flannel.1 VXLAN). Pods 10.244.I.2/24. */
export function flannel(nss: Namespaces, prefix: string, encap: 'none' | 'vxlan'): Pair {
  const pods = twoNodes(nss, prefix, encap, ({ n, other, pod, i, j, mtu }) => {
    const lines = [
      `link add cni0 mtu ${mtu} type bridge`, `addr add 10.244.${i}.1/24 dev cni0`, 'link set cni0 up',
      `link add veth${i} mtu ${mtu} type veth peer name eth0 mtu ${mtu} netns ${pod}`, `link set veth${i} master cni0`, `link set veth${i} up`,
    ];
    if (encap === 'none') {
      lines.push(`route add 10.244.${j}.0/24 via ${other.ip} dev eth0`);
    } else {
      lines.push(
        `link add flannel.1 type vxlan id 1 local ${n.ip} dev eth0 dstport 8472 nolearning`,
        `link set flannel.1 mtu 1450 address ${mac(i)} up`,
        `addr add 10.244.${i}.0/32 dev flannel.1`,
        `neigh add 10.244.${j}.0 lladdr ${mac(j)} dev flannel.1 nud permanent`,
        `route add 10.244.${j}.0/24 via 10.244.${j}.0 dev flannel.1 onlink`,
      );
    }
    batch(n.ns, lines);
    if (encap === 'vxlan') run(['bridge', '-n', n.ns, 'fdb', 'append', mac(j), 'dev', 'flannel.1', 'dst', other.ip, 'self', 'permanent']);
    batch(pod, [`addr add 10.244.${i}.2/24 dev eth0`, 'link set eth0 up', `route add default via 10.244.${i}.1`]);
  });
  return { clientNs: pods[0]!, serverNs: pods[1]!, serverIp: '10.244.2.2' };
}
