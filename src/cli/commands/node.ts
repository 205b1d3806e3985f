// node status [NODE] [-o json]: what the node's agent last reported — health, datastore, what it
// programmed, and the problems it could not solve (e.g. "IPIP unavailable: kernel lacks ipip").

import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { Command } from '@commander-js/extra-typings';
import { TortieError, isTortieError } from '../../lib/errors.js';
import { Node, agentStatusKey } from '../../model/index.js';
import { withResources, type GlobalOptions } from '../context.js';

const NODENAME_FILE = '/var/lib/tortie/nodename';

function defaultNode(): string {
  try { return readFileSync(NODENAME_FILE, 'utf8').trim() || hostname(); } catch { return hostname(); }
}

function ago(iso: string | undefined, now: number): string {
  if (!iso) return 'never';
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  return s < 120 ? `${s}s ago` : s < 7200 ? `${Math.round(s / 60)}m ago` : `${Math.round(s / 3600)}h ago`;
}

export function registerNodeCommand(program: Command<[], GlobalOptions>): void {
  const node = program.command('node').description('node operations: status');
  node.command('status').description("show what a node's agent last reported")
    .argument('[node]', `node name (default: ${NODENAME_FILE}, else the hostname)`)
    .option('-o, --output <format>', 'text | json', 'text')
    .action(async (name, opts, c) => {
      const nodeName = name ?? defaultNode();
      await withResources(c.optsWithGlobals() as GlobalOptions, async (client) => {
        try { await client.get(Node, nodeName); } catch (e) {
          if (isTortieError(e, 'TORTIE_ERR_DATASTORE_NOT_FOUND')) {
            throw new TortieError('TORTIE_ERR_DATASTORE_NOT_FOUND', `Node ${nodeName} does not exist: is the Tortie agent running on it? (tortie get nodes lists the known nodes)`);
          }
          throw e;
        }
        const kv = await client.store.get(agentStatusKey(nodeName)).catch(() => null);
        const st = kv?.value as Record<string, unknown> | undefined;
        if (opts.output === 'json') {
          process.stdout.write(`${JSON.stringify({ node: nodeName, agent: st ?? null }, null, 2)}\n`);
          return;
        }
        if (!st) {
          process.stdout.write(`Tortie agent on ${nodeName} has never reported: it is not running, or cannot reach the datastore.\n`);
          process.exitCode = 1;
          return;
        }
        const now = Date.now();
        const reported = String(st['reportedAt'] ?? '');
        const stale = now - Date.parse(reported) > 120_000;
        const lines = [
          `Tortie agent on ${nodeName} is ${String(st['state'])}${stale ? ` (but its last report is ${ago(reported, now)}: it may be down)` : ''}.`,
          `  datastore        ${String(st['datastore'])}`,
          `  programmed       ${ago(st['lastApply'] as string | undefined, now)}`,
          `  endpoints        ${String(st['endpoints'])}`,
          `  routes           ${String(st['routes'])}`,
          `  policies         ${String(st['policies'])}`,
          `  version          ${String(st['version'])}, running since ${String(st['since'])}`,
        ];
        if (st['lastError']) lines.push(`  last error       ${String(st['lastError'])}`);
        const problems = (st['problems'] as string[] | undefined) ?? [];
        lines.push(problems.length === 0 ? '  problems         none' : `  problems\n${problems.map((p) => `    - ${p}`).join('\n')}`);
        process.stdout.write(`${lines.join('\n')}\n`);
        if (stale || st['state'] !== 'ready') process.exitCode = 1;
      });
    });
}
