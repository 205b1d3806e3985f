// bench:lab part 2: from `tortie lab pod add` returning to the new pod answering pings from a pod
// on every other node.
//
//   lab up (N nodes) ─▶ BGP sessions established (when BGP is on)
//   prober pods pr1…prN, one per node, added in turn: prober K is the first pod of node K, so its
//     /26 block is new and the other nodes learn a new route (BGP, or the datastore without BGP):
//     measured from probers 1…K-1                                          → "first pod on a node"
//   then P pods t0…, round-robin over the nodes, in blocks the cluster knows: measured from the
//     N-1 probers on the other nodes                                       → "pod in a known block"
//
// Probe: every prober pings the new address every 5 ms (`ping -D`, each reply stamped with the
// wall clock); a pod's time is the last prober's first reply minus the moment `pod add` exited.
// Floor (the reference): the very same probe again right after, when the pod is reachable — what
// starting N-1 `ip netns exec ping` in parallel costs on this machine.

import type { Labs } from './lab-cli.js';
import { bgpPeers } from './lab-cli.js';
import { firstReply } from './lab-probe.js';
import { now, sleep } from './measure.js';

const PROBE_INTERVAL_S = 0.005;
const PROBE_TIMEOUT_S = 15;

export interface ReachSample { readonly pod: string; readonly node: string; readonly podAddMs: number; readonly reachMs: number | null; readonly floorMs: number | null; readonly probers: number }

export interface ReachResult {
  readonly lab: string;
  readonly topology: string;
  readonly nodes: number;
  readonly upMs: number;
  /** From `lab up` returning until every node reports all its BGP peers Established; null: BGP off. */
  readonly bgpSettledMs: number | null;
  /** Per node "established/configured" BGP peers once settled (or at the time-out). */
  readonly peers: string[];
  readonly routers: number;
  readonly firstPod: ReachSample[];
  readonly knownBlock: ReachSample[];
  readonly notes: string[];
}

async function probeFrom(netnss: readonly string[], ip: string): Promise<number | null> {
  const t0 = now();
  const replies = await Promise.all(netnss.map((ns) => firstReply(ns, ip, PROBE_INTERVAL_S, PROBE_TIMEOUT_S)));
  return replies.some((r) => r === null) ? null : Math.max(...(replies as number[])) - t0;
}

/** Adds a pod and times its reachability from `netnss`, then the floor (the same probe again). */
async function sample(labs: Labs, lab: string, ref: string, node: string, netnss: readonly string[]): Promise<ReachSample & { ip: string }> {
  const add = await labs.podAdd(lab, ref, node);
  const ip = /: (\d+\.\d+\.\d+\.\d+)/.exec(add.out)?.[1];
  if (!ip) throw new Error(`lab pod add ${ref} printed no address: ${add.out}`);
  const replies = await Promise.all(netnss.map((ns) => firstReply(ns, ip, PROBE_INTERVAL_S, PROBE_TIMEOUT_S)));
  const reachMs = replies.some((r) => r === null) ? null : Math.max(...(replies as number[])) - add.end;
  const floorMs = netnss.length === 0 ? null : await probeFrom(netnss, ip);
  return { pod: ref, node, ip, podAddMs: add.ms, reachMs, floorMs, probers: netnss.length };
}

export async function measureReach(labs: Labs, lab: string, nodes: number, pods: number, upArgs: readonly string[], topology: string,
  log: (s: string) => void): Promise<ReachResult> {
  const notes: string[] = [];
  const up = await labs.bringUp(lab, ['--nodes', String(nodes), ...upArgs]);
  let st = await labs.status(lab);
  // BGP: wait until every node reports all its peers Established (the agents report every 2 s).
  let bgpSettledMs: number | null = null;
  if (st.nodes.some((n) => bgpPeers(n.bgp) !== null)) {
    const t0 = up.end;
    for (;;) {
      const p = st.nodes.map((n) => bgpPeers(n.bgp));
      if (p.every((x) => x !== null && x[1] > 0 && x[0] === x[1])) { bgpSettledMs = now() - t0; break; }
      if (now() - t0 > 90_000) { notes.push(`${lab}: BGP not settled 90 s after lab up: ${st.nodes.map((n) => `${n.name} ${n.bgp}`).join(', ')}`); break; }
      await sleep(250);
      st = await labs.status(lab);
    }
  }
  const peers = st.nodes.map((n) => n.bgp ?? 'off');
  const routers = st.routers?.length ?? 0;
  if (topology === 'rr' && routers === 0 && st.nodes.every((n) => bgpPeers(n.bgp)?.[1] === nodes - 1)) {
    notes.push(`${lab}: --topology rr was asked for, but there are no route reflector routers and every node has ${nodes - 1} peers (a full mesh?)`);
  }
  log(`${lab}: ${nodes} nodes up in ${(up.ms / 1000).toFixed(1)} s${bgpSettledMs !== null ? `, BGP settled ${(bgpSettledMs / 1000).toFixed(1)} s later` : ''}; adding probers`);

  const probers: Array<{ node: string; netns: string }> = [];
  const firstPod: ReachSample[] = [];
  for (const n of st.nodes) {
    const s = await sample(labs, lab, `default/pr${probers.length + 1}`, n.name, probers.map((p) => p.netns));
    if (s.probers > 0) firstPod.push(s);
    const netns = (await labs.status(lab)).pods.find((p) => p.ip === s.ip)?.netns;
    if (!netns) throw new Error(`${lab}: prober ${s.pod} is missing from lab status`);
    probers.push({ node: n.name, netns });
  }
  log(`${lab}: ${probers.length} probers; adding ${pods} pods`);
  const knownBlock: ReachSample[] = [];
  for (let i = 0; i < pods; i++) {
    const node = st.nodes[i % st.nodes.length]!.name;
    knownBlock.push(await sample(labs, lab, `default/t${i}`, node, probers.filter((p) => p.node !== node).map((p) => p.netns)));
  }
  return { lab, topology, nodes, upMs: up.ms, bgpSettledMs, peers, routers, firstPod, knownBlock, notes };
}
