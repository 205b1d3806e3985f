// tortie policy trace | matrix: the evaluator on the datastore's current state.
//
//   trace  --from NS/POD|IP --to NS/POD|IP --protocol P [--port N | --icmp-type T --icmp-code C] [-o text|json]
//   matrix [-n NS …] [--ports 80,81] [--protocols tcp,udp,sctp,icmp] [--ip IP …] [-o table|json]

import type { Command } from '@commander-js/extra-typings';
import { parseIP } from '../../lib/ip.js';
import { TortieError } from '../../lib/errors.js';
import {
  buildSnapshot, computeMatrix, explainTrace, ICMP, ICMPV6, resolvePeer, SCTP, TCP, tracePacket, UDP,
  type Matrix, type Peer, type ResolvedPeer, type Snapshot,
} from '../../policy/index.js';
import { withResources, type GlobalOptions } from '../context.js';
import { loadPolicyResources } from '../../resources/index.js';
import { renderTable } from '../print.js';

const collect = (v: string, prev: string[]): string[] => [...prev, v];
export const PROTOCOLS: Readonly<Record<string, number>> = { tcp: TCP, udp: UDP, sctp: SCTP, icmp: ICMP, icmpv6: ICMPV6 };
const protocolName = (n: number): string => Object.keys(PROTOCOLS).find((k) => PROTOCOLS[k] === n) ?? String(n);

function usage(message: string): TortieError {
  return new TortieError('TORTIE_ERR_CLI_USAGE', message);
}

export function parseProtocol(s: string): number {
  const p = PROTOCOLS[s.toLowerCase()];
  if (p === undefined) throw usage(`--protocol ${s} is not one of: ${Object.keys(PROTOCOLS).join(', ')}`);
  return p;
}

function parseNumber(flag: string, s: string, lo: number, hi: number): number {
  if (!/^\d+$/.test(s) || Number(s) < lo || Number(s) > hi) throw usage(`${flag} ${s} is not a number from ${lo} to ${hi}`);
  return Number(s);
}

export function parsePeer(s: string): Peer {
  if (parseIP(s) !== null) return { ip: s };
  if (/^[a-z0-9]([-a-z0-9]*[a-z0-9])?\/[a-z0-9]([-.a-z0-9]*[a-z0-9])?$/.test(s)) return { pod: s };
  throw new TortieError('TORTIE_ERR_POLICY_BAD_PEER', `"${s}" is neither NS/POD (a workload, e.g. x/a) nor an IP address`, { peer: s });
}

export function resolveOrThrow(snap: Snapshot, peer: Peer, version?: 4 | 6): ResolvedPeer {
  const r = resolvePeer(snap, peer, version);
  if (!('problem' in r)) return r;
  if (r.problem === 'unknown-endpoint') {
    const ns = r.peer.split('/')[0]!;
    const there = [...snap.byPod.keys()].filter((k) => k.startsWith(`${ns}/`)).sort();
    const hint = there.length > 0 ? `; workloads in ${ns}: ${there.slice(0, 10).join(', ')}${there.length > 10 ? ', …' : ''}` : `; namespace ${ns} has no workloads`;
    throw new TortieError('TORTIE_ERR_POLICY_UNKNOWN_ENDPOINT', `No WorkloadEndpoint has namespace/pod ${r.peer}${hint}`, { peer: r.peer });
  }
  if (r.problem === 'no-address') {
    throw new TortieError('TORTIE_ERR_POLICY_UNKNOWN_ENDPOINT', `WorkloadEndpoint ${r.peer} has no IPv${version ?? 4} address in ipNetworks`, { peer: r.peer });
  }
  throw new TortieError('TORTIE_ERR_POLICY_BAD_PEER', `"${r.peer}" is not an IP address`, { peer: r.peer });
}

const list = (s: string | undefined, fallback: string): string[] => (s ?? fallback).split(',').map((x) => x.trim()).filter(Boolean);

/** One grid per protocol and port: rows are sources, columns destinations; "." allowed, "X" denied. */
export function matrixTable(m: Matrix): string {
  const groups = new Map<string, Map<string, string>>();
  for (const r of m.rows) {
    const g = `${protocolName(r.protocol).toUpperCase()}${r.port === null ? '' : `/${r.port}`}`;
    if (!groups.has(g)) groups.set(g, new Map());
    groups.get(g)!.set(`${r.from}|${r.to}`, r.verdict === 'allow' ? '.' : 'X');
  }
  const out: string[] = [];
  for (const [g, cells] of groups) {
    const rows = m.peers.map((from) => [from, ...m.peers.map((to) => cells.get(`${from}|${to}`) ?? (from === to ? '-' : ' '))]);
    out.push(renderTable([g, ...m.peers], rows));
  }
  out.push('. allowed   X denied   - same peer');
  return `${out.join('\n\n')}\n`;
}

export function registerPolicyCommand(program: Command<[], GlobalOptions>): void {
  const policy = program.command('policy').description('explain policy verdicts: trace one packet, or the reachability matrix');

  policy.command('trace').description('the verdict for one packet, and which tier, policy and rule decided it on each side')
    .requiredOption('--from <peer>', 'source: NS/POD (a workload) or an IP address')
    .requiredOption('--to <peer>', 'destination: NS/POD (a workload) or an IP address')
    .requiredOption('--protocol <name>', 'tcp | udp | sctp | icmp | icmpv6')
    .option('--port <n>', 'destination port (tcp, udp, sctp)')
    .option('--icmp-type <t>', 'ICMP type (default: echo request)')
    .option('--icmp-code <c>', 'ICMP code (default 0)')
    .option('-o, --output <format>', 'text | json', 'text')
    .action(async (opts, c) => {
      if (!['text', 'json'].includes(opts.output)) throw usage(`-o ${opts.output} is not one of: text, json`);
      const protocol = parseProtocol(opts.protocol);
      const isICMP = protocol === ICMP || protocol === ICMPV6;
      if (!isICMP && opts.port === undefined) throw usage(`--port is required for ${opts.protocol}`);
      if (isICMP && opts.port !== undefined) throw usage('--port does not apply to ICMP: use --icmp-type and --icmp-code');
      if (!isICMP && (opts.icmpType !== undefined || opts.icmpCode !== undefined)) throw usage('--icmp-type and --icmp-code apply to ICMP only');
      const from = parsePeer(opts.from);
      const to = parsePeer(opts.to);
      const req = {
        protocol,
        ...(opts.port !== undefined ? { port: parseNumber('--port', opts.port, 1, 65535) } : {}),
        ...(opts.icmpType !== undefined ? { icmpType: parseNumber('--icmp-type', opts.icmpType, 0, 255) } : {}),
        ...(opts.icmpCode !== undefined ? { icmpCode: parseNumber('--icmp-code', opts.icmpCode, 0, 255) } : {}),
      };
      const result = await withResources(c.optsWithGlobals() as GlobalOptions, async (client) => {
        const snap = buildSnapshot(await loadPolicyResources(client));
        const version = 'ip' in from ? parseIP(from.ip)!.version : 'ip' in to ? parseIP(to.ip)!.version : protocol === ICMPV6 ? 6 : undefined;
        return tracePacket(snap, resolveOrThrow(snap, from, version), resolveOrThrow(snap, to, version), req);
      });
      process.stdout.write(opts.output === 'json' ? `${JSON.stringify(result, null, 2)}\n` : explainTrace(result));
    });

  policy.command('matrix').description('allowed/denied between every pair of workloads (and --ip hosts)')
    .option('-n, --namespace <ns>', 'namespaces to include (repeatable; default all)', collect, [] as string[])
    .option('--ports <list>', 'comma-separated destination ports', '80')
    .option('--protocols <list>', 'comma-separated: tcp, udp, sctp, icmp', 'tcp')
    .option('--ip <address>', 'an external host to add on both sides (repeatable)', collect, [] as string[])
    .option('-o, --output <format>', 'table | json', 'table')
    .action(async (opts, c) => {
      if (!['table', 'json'].includes(opts.output)) throw usage(`-o ${opts.output} is not one of: table, json`);
      const protocols = list(opts.protocols, 'tcp').map(parseProtocol);
      const ports = list(opts.ports, '80').map((p) => parseNumber('--ports', p, 1, 65535));
      for (const ip of opts.ip) if (parseIP(ip) === null) throw new TortieError('TORTIE_ERR_POLICY_BAD_PEER', `--ip ${ip} is not an IP address`, { peer: ip });
      const m = await withResources(c.optsWithGlobals() as GlobalOptions, async (client) =>
        computeMatrix(buildSnapshot(await loadPolicyResources(client)), { namespaces: opts.namespace, protocols, ports, ips: opts.ip }));
      if (opts.output === 'json') {
        const rows = m.rows.map((r) => ({ from: r.from, to: r.to, protocol: protocolName(r.protocol), port: r.port, verdict: r.verdict }));
        process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      } else {
        process.stdout.write(m.peers.length === 0 ? 'No workload endpoints in the selected namespaces.\n' : matrixTable(m));
      }
    });
  // Usage errors are reported once, in Tortie's format (main.ts does this for top-level commands).
  for (const sub of policy.commands) sub.configureOutput({ writeErr: () => {} });
}
