// `tortie trace SRC DST`: joins the CLI (datastore flags, peer parsing) and the lab's trace.
// On a lab (--name, or the lab named "lab" when one runs) it reads every node's kernel; with
// --node, or where no lab runs, it reads this host's kernel as that node.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from '@commander-js/extra-typings';
import { defaultNode, parsePeer, parseProtocol, resolveOrThrow, withResources, type GlobalOptions } from '../cli/index.js';
import { TortieError } from '../lib/errors.js';
import { parseIP } from '../lib/ip.js';
import { labDir, labTraceWorld, loadLab, nodeTraceWorld, renderTrace, traceReport, withLabStore, type TraceWorld } from '../lab/index.js';
import { ICMP, ICMPV6, type Peer, type ResolvedPeer, type TraceRequest } from '../policy/index.js';
import type { ResourceClient } from '../resources/index.js';

const usage = (m: string): TortieError => new TortieError('TORTIE_ERR_CLI_USAGE', m);

function resolve(w: TraceWorld, ref: string): ResolvedPeer {
  const node = w.nodeAddresses.get(ref);
  const peer: Peer = node !== undefined ? { ip: node } : parsePeer(ref);
  const r = resolveOrThrow(w.snap, peer, 4);
  return node !== undefined ? { ...r, name: ref } : r;
}

export function registerTraceCommand(program: Command<[], GlobalOptions>): void {
  program.command('trace').description('a packet\'s path hop by hop through the live kernels, and every policy verdict on it')
    .argument('<src>', 'NS/POD, a node name, or an IP address')
    .argument('<dst>', 'NS/POD, a node name, or an IP address')
    .option('--protocol <p>', 'tcp | udp | sctp | icmp', 'icmp')
    .option('--port <n>', 'destination port (tcp, udp, sctp)')
    .option('--name <lab>', 'trace in this lab (default: the lab "lab" when it runs)')
    .option('--node <name>', 'trace on this host as node NAME (no lab): only this node\'s kernel is read')
    .option('-o, --output <format>', 'text | json', 'text')
    .action(async (src, dst, opts, c) => {
      if (!['text', 'json'].includes(opts.output)) throw usage(`-o ${opts.output} is not one of: text, json`);
      if (opts.name !== undefined && opts.node !== undefined) throw usage('--name (a lab) and --node (this host) exclude each other');
      const protocol = parseProtocol(opts.protocol);
      const isICMP = protocol === ICMP || protocol === ICMPV6;
      if (protocol === ICMPV6) throw usage('trace follows IPv4 packets only for now: use --protocol icmp, tcp, udp or sctp');
      if (!isICMP && opts.port === undefined) throw usage(`--port is required for ${opts.protocol}`);
      if (isICMP && opts.port !== undefined) throw usage('--port does not apply to ICMP');
      const port = opts.port === undefined ? undefined : Number(opts.port);
      if (port !== undefined && (!/^\d+$/.test(opts.port!) || port < 1 || port > 65535)) throw usage(`--port ${opts.port} is not a number from 1 to 65535`);
      for (const ref of [src, dst]) if (parseIP(ref)?.version === 6) throw usage(`${ref}: trace follows IPv4 packets only for now`);
      const req: TraceRequest = { protocol, ...(port !== undefined ? { port } : {}) };

      const labName = opts.name ?? (opts.node === undefined && existsSync(join(labDir('lab'), 'lab.json')) ? 'lab' : undefined);
      const run = async (w: TraceWorld): Promise<void> => {
        const report = await traceReport(w, resolve(w, src), resolve(w, dst), req);
        process.stdout.write(opts.output === 'json' ? `${JSON.stringify(report, null, 2)}\n` : renderTrace(report));
        if (report.outcome !== 'delivered') process.exitCode = 1;
      };
      if (labName !== undefined) {
        const s = loadLab(labName);
        await withLabStore(s, async (client: ResourceClient) => run(await labTraceWorld(s, client)));
      } else {
        const node = opts.node ?? defaultNode();
        await withResources(c.optsWithGlobals() as GlobalOptions, async (client) => run(await nodeTraceWorld(node, client)));
      }
    });
}
