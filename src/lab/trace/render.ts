// A trace for people: the outcome first, then one block per hop with the route, the
// encapsulation and the policy verdicts in the order the packet meets them.

import { explainTrace, type TraceResult } from '../../policy/index.js';
import type { Hop, PathTrace, PolicyCheck } from './path.js';

export interface TraceReport extends PathTrace, Pick<TraceResult, 'from' | 'to' | 'srcIP' | 'dstIP' | 'protocol' | 'port'> {
  /** The policy evaluator's verdict for this packet, with every tier and policy it went through. */
  readonly policy: TraceResult;
}

function policyLine(p: PolicyCheck): string {
  const nft = 'missing' in p.nft ? `nft: ${p.nft.missing}`
    : `nft chain ${p.nft.chain}, rule "${p.nft.rule}": ${p.nft.packets} packet(s) so far`;
  return `${p.direction.padEnd(10)}${p.endpoint}: ${p.verdict.toUpperCase()} by ${p.decidedBy}  (${nft})`;
}

function hopLines(h: Hop, i: number, width: number): string[] {
  const where = [h.in ? `in ${h.in}` : '', h.decap ? `decapsulated by ${h.decap}` : ''].filter(Boolean).join(', ');
  const head = `${String(i + 1).padStart(2)}  ${h.at.padEnd(width)}  ${where}${h.netns ? `${where ? '  ' : ''}[netns ${h.netns}]` : ''}`.trimEnd();
  const pad = ' '.repeat(6);
  const out = [head];
  const line = (tag: string, text: string): void => { out.push(`${pad}${tag.padEnd(10)}${text}`); };
  for (const p of (h.policy ?? []).filter((x) => x.direction === 'egress')) out.push(`${pad}${policyLine(p)}`);
  if (h.route) line('route', h.route);
  for (const n of h.notes) line('note', n);
  if (h.encap) {
    const e = h.encap;
    line(e.type, e.type === 'vxlan'
      ? `VNI ${e.vni} on ${e.device}: ${e.innerNextHop} is ${e.mac} (neighbour), ${e.mac} is at ${e.outerDst} (FDB); outer ${e.outerSrc} → ${e.outerDst} udp/${e.port}`
      : `${e.device}: outer ${e.outerSrc} → ${e.outerDst} (IP in IP)`);
  }
  if (h.underlay) line('underlay', h.underlay);
  for (const p of (h.policy ?? []).filter((x) => x.direction === 'ingress')) out.push(`${pad}${policyLine(p)}`);
  if (h.nextHop && h.kind !== 'pod') line('next', `${h.nextHop} (out ${h.out})`);
  return out;
}

export function renderTrace(t: TraceReport): string {
  const what = t.port !== null ? `${t.protocol} port ${t.port}` : t.protocol;
  const width = Math.max(...t.hops.map((h) => h.at.length), 4);
  const lines = [
    `${t.from} (${t.srcIP}) → ${t.to} (${t.dstIP}), ${what}: ${t.outcome.toUpperCase()}`,
    '',
    ...t.hops.flatMap((h, i) => hopLines(h, i, width)),
    '',
    `${t.outcome.toUpperCase()}: ${t.reason}`,
    '',
    'Policy, as the evaluator sees it:',
    ...explainTrace(t.policy).trimEnd().split('\n').map((l) => `  ${l}`),
  ];
  return `${lines.join('\n')}\n`;
}
