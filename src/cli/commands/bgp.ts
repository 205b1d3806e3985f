// bgp routes [NODE] [--peer X] [-o json]: the node's Loc-RIB as its agent last published it, each
// best path with the rule that made it win (local-origin, local-pref, as-path-length, …).

import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { Command } from '@commander-js/extra-typings';
import { TortieError } from '../../lib/errors.js';
import { bgpRoutesKey } from '../../model/index.js';
import { renderRoutes, type RouteRow } from '../bgp-format.js';
import { withResources, type GlobalOptions } from '../context.js';

const NODENAME_FILE = '/var/lib/tortie/nodename';
const defaultNode = (): string => { try { return readFileSync(NODENAME_FILE, 'utf8').trim() || hostname(); } catch { return hostname(); } };

export function registerBgpCommand(program: Command<[], GlobalOptions>): void {
  const bgp = program.command('bgp').description('BGP: what a node\'s speaker has learned');
  bgp.command('routes').description('show a node\'s BGP Loc-RIB with the reason each best path won')
    .argument('[node]', `node name (default: ${NODENAME_FILE}, else the hostname)`)
    .option('--peer <peer>', 'only routes whose best path comes from this peer (address or name, e.g. Mesh_10_0_0_2)')
    .option('-o, --output <format>', 'text | json', 'text')
    .action(async (name, opts, c) => {
      const nodeName = name ?? defaultNode();
      await withResources(c.optsWithGlobals() as GlobalOptions, async (client) => {
        const kv = await client.store.get(bgpRoutesKey(nodeName)).catch(() => null);
        if (!kv) throw new TortieError('TORTIE_ERR_BGP_NOT_RUNNING', `Node ${nodeName} has published no BGP routes: its agent runs without --bgp, or is not running`);
        const v = kv.value as { routes: Array<RouteRow & { fromName?: string }>; total: number; truncated: boolean; reportedAt?: string };
        const routes = opts.peer === undefined ? v.routes : v.routes.filter((r) => r.from === opts.peer || r.fromName === opts.peer);
        if (opts.output === 'json') { process.stdout.write(`${JSON.stringify({ node: nodeName, reportedAt: v.reportedAt, total: v.total, truncated: v.truncated, routes }, null, 2)}\n`); return; }
        process.stdout.write(`${renderRoutes(routes)}\n`);
        if (v.truncated) process.stdout.write(`(the first ${v.routes.length} of ${v.total} routes)\n`);
      });
    });
}
