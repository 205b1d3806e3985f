// node status [NODE] [-o json]: what the node's agent last reported — health, datastore, what it
// programmed, and the problems it could not solve (e.g. "IPIP unavailable: kernel lacks ipip").

import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import type { Command } from '@commander-js/extra-typings';
import { TortieError, isTortieError } from '../../lib/errors.js';
import { Node, agentStatusKey } from '../../model/index.js';
import { withResources, type GlobalOptions } from '../context.js';
import { renderPeerTables, type PeerRow } from '../bgp-format.js';

const NODENAME_FILE = '/var/lib/tortie/nodename';

export function defaultNode(): string {
  try { return readFileSync(NODENAME_FILE, 'utf8').trim() || hostname(); } catch { return hostname(); }
}

function ago(iso: string | undefined, now: number): string {
  if (!iso) return 'never';
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  return s < 120 ? `${s}s ago` : s < 7200 ? `${Math.round(s / 60)}m ago` : `${Math.round(s / 3600)}h ago`;
}

const run = promisify(execFile);

/** What `node diags` collects from the kernel (calicoctl node diags' list, for nftables). */
const DIAG_COMMANDS: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['date', ['date', '-u']], ['hostname', ['hostname']],
  ['ip-route-4', ['ip', '-4', 'route', 'show', 'table', 'all']], ['ip-route-6', ['ip', '-6', 'route', 'show', 'table', 'all']],
  ['ip-addr', ['ip', 'addr']], ['ip-link', ['ip', '-d', 'link']], ['ip-neigh', ['ip', 'neigh']], ['ip-rule', ['ip', 'rule']],
  ['bridge-fdb', ['bridge', 'fdb', 'show']], ['nft-ruleset', ['nft', 'list', 'ruleset']],
  ['sysctl-net', ['sysctl', 'net.ipv4.ip_forward', 'net.ipv4.conf.all.rp_filter']], ['ss', ['ss', '-anp']],
  ['conntrack-count', ['conntrack', '-C']],
];

interface BgpReport { routerId: string; asNumber: number; listening: string | null; clusterId?: string; converged: boolean; learned?: number; peers: PeerRow[]; problems: string[] }

/** calicoctl node status' BGP part, for Tortie's speaker. */
function bgpSection(b: BgpReport | undefined, now: number): string[] {
  if (!b) return ['The BGP speaker is not running (the agent was started without --bgp).'];
  const head = `BGP speaker: router ID ${b.routerId}, AS ${b.asNumber}${b.clusterId ? `, route reflector (cluster ID ${b.clusterId})` : ''}, ` +
    `${b.listening ? `listening on ${b.listening}` : 'not listening'}, ${b.learned ?? 0} learned route(s)${b.converged ? '' : ', initial table not complete yet'}.`;
  return [head, ...b.problems.map((p) => `  - ${p}`), '', renderPeerTables(b.peers, new Date(now))];
}

interface MembersStatus {
  inUse: string;
  failed: Array<{ endpoint: string; error: string; at: string }>;
  calls?: { calls: number; p50Ms: number; p99Ms: number; failedAttempts: number; failedCalls: number };
}

/** The etcd member the agent uses, each one whose last call failed (with what it said), and how its calls fared. */
function membersLines(m: MembersStatus | undefined, now: number): string[] {
  if (!m) return [];
  const c = m.calls;
  return [
    `  etcd member      ${m.inUse} (in use)`,
    ...m.failed.map((f) => `                   ${f.endpoint} failed ${ago(f.at, now)}: ${f.error}`),
    ...(c ? [`  datastore calls  ${c.calls} in the last minute: median ${c.p50Ms} ms, 99% within ${c.p99Ms} ms; ${c.failedAttempts} failed attempt(s), ${c.failedCalls} failed call(s)`] : []),
  ];
}

export function registerNodeCommand(program: Command<[], GlobalOptions>): void {
  const node = program.command('node').description('node operations: status, diags');
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
          ...membersLines(st['datastoreMembers'] as MembersStatus | undefined, now),
          `  programmed       ${ago(st['lastApply'] as string | undefined, now)}`,
          `  endpoints        ${String(st['endpoints'])}`,
          `  routes           ${String(st['routes'])}`,
          `  policies         ${String(st['policies'])}`,
          `  version          ${String(st['version'])}, running since ${String(st['since'])}`,
        ];
        if (st['lastError']) lines.push(`  last error       ${String(st['lastError'])}`);
        const problems = (st['problems'] as string[] | undefined) ?? [];
        lines.push(problems.length === 0 ? '  problems         none' : `  problems\n${problems.map((p) => `    - ${p}`).join('\n')}`);
        lines.push('', ...bgpSection(st['bgp'] as BgpReport | undefined, now));
        process.stdout.write(`${lines.join('\n')}\n`);
        if (stale || st['state'] !== 'ready') process.exitCode = 1;
      });
    });

  node.command('diags').description('collect routes, links, nft ruleset, agent status and logs into a tarball for a bug report')
    .argument('[node]', `node name (default: ${NODENAME_FILE}, else the hostname)`)
    .option('--log-file <file...>', 'agent log files to include')
    .action(async (name, opts, c) => {
      const nodeName = name ?? defaultNode();
      const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '_').slice(0, 15);
      const dir = mkdtempSync(join(tmpdir(), 'tortie-diags-'));
      const root = join(dir, `diags-${stamp}`);
      const notes: string[] = [];
      await run('mkdir', ['-p', root]);
      for (const [file, cmd] of DIAG_COMMANDS) {
        try {
          const r = await run(cmd[0]!, cmd.slice(1), { maxBuffer: 64 * 1024 * 1024 });
          writeFileSync(join(root, `${file}.txt`), r.stdout);
        } catch (e) {
          notes.push(`${cmd.join(' ')}: ${(e as Error).message.split('\n')[0]}`);
        }
      }
      try {
        await withResources(c.optsWithGlobals() as GlobalOptions, async (client) => {
          const kv = await client.store.get(agentStatusKey(nodeName)).catch(() => null);
          writeFileSync(join(root, 'agent-status.json'), JSON.stringify(kv?.value ?? null, null, 2));
          const n = await client.get(Node, nodeName).catch(() => null);
          writeFileSync(join(root, 'node.json'), JSON.stringify(n, null, 2));
          const eps = await client.store.list(agentStatusKey(nodeName).replace(/status$/, 'workload/'));
          writeFileSync(join(root, 'endpoint-statuses.json'), JSON.stringify(eps.items.map((kv) => ({ key: kv.key, value: kv.value })), null, 2));
        });
      } catch (e) {
        notes.push(`datastore: ${(e as Error).message}`);
      }
      for (const f of opts.logFile ?? []) {
        try { copyFileSync(f, join(root, basename(f))); } catch (e) { notes.push(`${f}: ${(e as Error).message}`); }
      }
      writeFileSync(join(root, 'NOTES.txt'), notes.length ? `Could not collect:\n${notes.map((n) => `  ${n}`).join('\n')}\n` : 'Everything was collected.\n');
      const tarball = join(dir, `diags-${stamp}.tar.gz`);
      await run('tar', ['-czf', tarball, '-C', dir, `diags-${stamp}`]);
      rmSync(root, { recursive: true, force: true });
      process.stdout.write(`Diagnostics for ${nodeName} written to ${tarball}${notes.length ? ` (${notes.length} item(s) could not be collected: see NOTES.txt inside)` : ''}\n`);
    });
}
