// The lab's BGP: who peers with whom (Calico's recipes, as an operator would apply them), waiting
// until every session is Established, and external routers (BIRD in a namespace of its own on the
// underlay) that peer with the nodes through a BGPPeer.
//
//   mesh  every node peers with every other (BGPConfiguration nodeToNodeMeshEnabled: true)
//   rr    the mesh is off; node1 (and node2 from 4 nodes on) are route reflectors — label
//         route-reflector=true and routeReflectorClusterID 244.0.0.1 on their Node — and the
//         BGPPeer peer-with-route-reflectors makes every node peer with them

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { TortieError } from '../lib/errors.js';
import { agentStatusKey, validateDocument, type Resource } from '../model/index.js';
import type { ResourceClient } from '../resources/index.js';
import { alive, attachHost, sh, startIn, subnetPrefix } from './topology.js';
import { saveLab, type LabRouter, type LabState } from './state.js';

export const DEFAULT_AS = 64512;
export const RR_CLUSTER_ID = '244.0.0.1';
const RR_LABEL = 'route-reflector';

function doc(apiVersion: string, kind: string, name: string, spec: Record<string, unknown>, meta: Record<string, unknown> = {}): Resource {
  const v = validateDocument({ apiVersion, kind, metadata: { name, ...meta }, spec });
  if (!v.ok) throw new TortieError('TORTIE_ERR_INTERNAL_BUG', `lab: ${kind} ${name} does not validate: ${JSON.stringify(v.issues)}`);
  return v.resource;
}

/** The nodes that reflect routes in the rr topology. */
export function reflectorsOf(s: LabState): string[] {
  if (s.topology !== 'rr') return [];
  return s.nodes.slice(0, s.nodes.length >= 4 ? 2 : 1).map((n) => n.name);
}

/** How many sessions each node has when the lab's BGP is complete (routers included). */
export function expectedPeers(s: LabState, node: string): number {
  if (!s.bgp) return 0;
  const n = s.nodes.length;
  const routers = s.routers.length;
  if (s.topology === 'mesh') return n - 1 + routers;
  const rrs = reflectorsOf(s);
  return (rrs.includes(node) ? n - 1 : rrs.length) + routers;
}

/**
 * The resources that set up the lab's topology, applied before the agents start: the cluster's
 * BGPConfiguration, and for rr the reflectors' Node resources (the agents keep these fields when
 * they register their address) and the BGPPeer that points every node at them.
 */
export function topologyResources(s: LabState): Resource[] {
  const out = [doc('projectcalico.org/v3', 'BGPConfiguration', 'default', {
    asNumber: DEFAULT_AS, nodeToNodeMeshEnabled: s.topology === 'mesh', logSeverityScreen: 'Info',
  })];
  if (s.topology !== 'rr') return out;
  for (const name of reflectorsOf(s)) {
    const n = s.nodes.find((x) => x.name === name)!;
    out.push(doc('projectcalico.org/v3', 'Node', name, { bgp: { ipv4Address: n.address, routeReflectorClusterID: RR_CLUSTER_ID } }, { labels: { [RR_LABEL]: 'true' } }));
  }
  out.push(doc('projectcalico.org/v3', 'BGPPeer', 'peer-with-route-reflectors', { nodeSelector: 'all()', peerSelector: `${RR_LABEL} == 'true'` }));
  return out;
}

interface ReportedPeer { readonly name?: string; readonly address?: string; readonly bgpState?: string; readonly info?: string }

/** The datastore, as far as reading agents' reports goes. */
export interface StatusReader { get(key: string): Promise<{ value: unknown } | null> }

/** A node's sessions as its agent last reported them. */
export async function reportedPeers(store: StatusReader, node: string): Promise<ReportedPeer[] | null> {
  const st = (await store.get(agentStatusKey(node)).catch(() => null))?.value as { bgp?: { peers?: ReportedPeer[] } } | undefined;
  return st?.bgp?.peers ?? null;
}

/** Waits until every node has all its sessions Established; the error names the ones that do not. */
export async function waitForBgp(s: LabState, store: StatusReader, ms = 60_000): Promise<void> {
  if (!s.bgp || s.nodes.length + s.routers.length < 2) return;
  const deadline = performance.now() + ms;
  for (;;) {
    const missing: string[] = [];
    for (const n of s.nodes) {
      const peers = await reportedPeers(store, n.name) ?? [];
      const up = peers.filter((p) => p.bgpState === 'Established').length;
      const want = expectedPeers(s, n.name);
      if (up < want) missing.push(`${n.name}: ${up}/${want} Established (${peers.filter((p) => p.bgpState !== 'Established').map((p) => `${p.address} ${p.info ?? p.bgpState}`).join('; ') || 'peers not configured yet'})`);
    }
    if (missing.length === 0) return;
    if (performance.now() > deadline) {
      throw new TortieError('TORTIE_ERR_LAB_FAILED', `BGP sessions are not all Established after ${ms / 1000} s:\n  ${missing.join('\n  ')}\n(agent logs: ${s.dir}/<node>.log)`);
    }
    await sleep(250);
  }
}

// ---- external routers ------------------------------------------------------------------------

export const externalRouterNs = (lab: string, name: string): string => `${lab}-x${name}`;

export function checkRouterName(name: string): void {
  if (!/^[a-z][a-z0-9]{0,5}$/.test(name)) throw new TortieError('TORTIE_ERR_CLI_USAGE', `Router name "${name}" must be 1–6 lower-case letters and digits, starting with a letter`);
}

/** BIRD's configuration for an external router: it accepts sessions from the lab's nodes and puts their routes in its kernel. */
export function birdConfig(r: LabRouter, nodeAs: number, underlay: string, nodes: ReadonlyArray<{ name: string; address: string }>): string {
  const id = r.address.split('/')[0]!;
  return `# tortie lab router ${r.name}: BIRD 2, peering with the lab's nodes (they connect: BGPPeer lab-router-${r.name})
log stderr all;
router id ${id};
protocol device { scan time 10; }
protocol direct { ipv4; }
protocol kernel {
  learn;                       # the namespace's own routes resolve the nodes' next hops
  ipv4 { import all; export filter { if source = RTS_BGP then accept; reject; }; };
  merge paths on;
}
template bgp node {
  local ${id} as ${r.asNumber};
  ipv4 { import all; export none; };
  multihop;                    # nodes of the other subnet are a hop away
  passive on;                  # the nodes call (their BGPPeer); BIRD waits
}
${nodes.map((n) => `protocol bgp ${n.name} from node { neighbor ${n.address.split('/')[0]} as ${nodeAs}; }`).join('\n')}
# nodes that join later
protocol bgp later from node {
  neighbor range ${underlay} as ${nodeAs};
  dynamic name "later";
}
`;
}

/**
 * Adds an external router on subnet 0: its namespace, BIRD inside it, and the global BGPPeer that
 * makes every node peer with it (eBGP when its AS differs from the nodes').
 */
export async function routerAdd(s: LabState, resources: ResourceClient, name: string, asNumber: number): Promise<LabRouter> {
  checkRouterName(name);
  if (!Number.isInteger(asNumber) || asNumber < 1 || asNumber > 4294967295) throw new TortieError('TORTIE_ERR_CLI_USAGE', `--asn must be 1–4294967295, not ${asNumber}`);
  if (s.routers.some((r) => r.name === name)) throw new TortieError('TORTIE_ERR_LAB_FAILED', `Lab ${s.name} already has a router ${name}`);
  if (!s.bgp) throw new TortieError('TORTIE_ERR_LAB_FAILED', `Lab ${s.name} runs without BGP (lab up --no-bgp): a router has nobody to peer with`);
  const netns = externalRouterNs(s.name, name);
  const address = `${subnetPrefix(0)}.${200 + s.routers.length + 1}/24`;
  const router: LabRouter = { name, netns, address, asNumber };
  s.routers.push(router);
  saveLab(s); // lab down now knows its namespace
  attachHost(s.name, netns, `${s.name}-x${name}`, 0, address);
  const dir = join(s.dir, `router-${name}`);
  sh(['mkdir', '-p', dir]);
  const conf = join(dir, 'bird.conf');
  writeFileSync(conf, birdConfig(router, DEFAULT_AS, '10.0.0.0/16', s.nodes));
  const pid = startIn(netns, ['bird', '-f', '-c', conf, '-s', join(dir, 'bird.ctl')], join(s.dir, `router-${name}.log`), {});
  s.processes.push({ role: `bird:${name}`, pid });
  saveLab(s);
  await sleep(300);
  if (!alive(pid)) throw new TortieError('TORTIE_ERR_LAB_FAILED', `BIRD did not start for router ${name} (log: ${join(s.dir, `router-${name}.log`)})`);
  await resources.apply([doc('projectcalico.org/v3', 'BGPPeer', `lab-router-${name}`, { peerIP: address.split('/')[0]!, asNumber })]);
  return router;
}

const birdc = (s: LabState, r: LabRouter, ...cmd: string[]): string => sh(['birdc', '-s', join(s.dir, `router-${r.name}`, 'bird.ctl'), ...cmd]);

/** What BIRD in a router says about its sessions (`birdc show protocols`). */
export const routerProtocols = (s: LabState, r: LabRouter): string => birdc(s, r, 'show', 'protocols');

/** The routes BIRD in a router learned (`birdc show route`). */
export const routerRoutes = (s: LabState, r: LabRouter): string => birdc(s, r, 'show', 'route');
