// ipam check [-o report.json] [--show-all-ips] [--show-problem-ips]
// calicoctl's walk (calicoctl/commands/ipam/check.go): load, count, scan, "Check complete; found N
// problems." Exit status 0 when there are none, 1 (TORTIE_ERR_IPAM_CHECK_PROBLEMS) when there are.

import { writeFileSync } from 'node:fs';
import { TortieError } from '../../lib/errors.js';
import { buildReport, CHECK_SECTIONS, checkIpam, type CheckResult, type IpamSnapshot } from '../../ipam/report/index.js';
import { withResources, type GlobalOptions } from '../context.js';
import { plural, programVersion } from '../ipam-args.js';
import { loadIpamSnapshot } from '../ipam-snapshot.js';
import type { IpamGroup } from './ipam-group.js';

/** Problem addresses listed per kind unless --show-problem-ips asks for all of them. */
const SHOW_FIRST = 10;
const TOP_NODES = 20;

const print = (s = ''): void => { process.stdout.write(`${s}\n`); };

function printLoading(s: IpamSnapshot, r: CheckResult, showAll: boolean): void {
  const st = r.stats;
  print('Loading all IPAM blocks...');
  print(`Found ${st.blocks} IPAM blocks.`);
  if (showAll) {
    // Allocations come sorted by block, then address: print each block's under its own line.
    const affinity = new Map(s.blocks.map((b) => [b.cidr, b.affinity] as const));
    let block = '';
    for (const a of r.allocations) {
      if (a.block !== block) { block = a.block; print(` IPAM block ${block} affinity=${affinity.get(block) ?? '<none>'}:`); }
      const attrs = Object.keys(a.attributes).sort().map((k) => `${k}=${a.attributes[k]}`).join(',');
      print(`  ${a.ip} allocated; handle ${a.handle ?? '<none>'}${attrs ? `; ${attrs}` : ''}; ${a.inUse ? `in use by ${a.owners.join(', ')}` : 'not in use'}`);
    }
  }
  print(`IPAM blocks record ${st.allocations} allocations.`);
  print();
  print('Loading all IPAM pools...');
  for (const p of st.activePools) print(`  ${p}`);
  print(`Found ${st.activePools.length} active IP pools${st.pools > st.activePools.length ? ` (and ${st.pools - st.activePools.length} disabled)` : ''}.`);
  print();
  print('Loading all nodes.');
  if (showAll) for (const n of s.nodes) for (const t of n.tunnels) print(`  ${t.ip} belongs to Node(${n.name}) ${t.field}`);
  print(`Found ${st.nodeTunnelIPs} node tunnel IPs.`);
  print();
  print('Loading all workload endpoints.');
  if (showAll) for (const w of s.workloads) for (const ip of w.ips) print(`  ${ip} belongs to Workload(${w.namespace}/${w.name})`);
  print(`Found ${st.workloadIPs} workload IPs.`);
  print(`Workloads and nodes are using ${st.inUseIPs} IPs.`);
  print();
  print('Loading all handles and block affinities.');
  print(`Found ${st.handles} handles and ${st.affinities} block affinities.`);
  print();
  print(`Looking for top (up to ${TOP_NODES}) nodes by allocations...`);
  const byNode = st.allocationsByNode;
  for (const [n, count] of byNode.slice(0, TOP_NODES)) print(`  ${n || '<no node>'} has ${count} allocations`);
  if (byNode.length > 0) print(`Node with most allocations has ${byNode[0]![1]}; median is ${byNode[Math.floor(byNode.length / 2)]![1]}`);
  print();
}

function printFindings(r: CheckResult, showProblemIPs: boolean): void {
  for (const section of CHECK_SECTIONS) {
    print(section.scanning);
    for (const check of section.checks) {
      const found = r.findings.filter((f) => f.kind === check.kind);
      const shown = check.perIP && !showProblemIPs ? found.slice(0, SHOW_FIRST) : found;
      for (const f of shown) print(`  ${f.message}`);
      if (shown.length < found.length) print(`  ... and ${found.length - shown.length} more (--show-problem-ips lists them all)`);
      let line = `Found ${found.length} ${check.found}`;
      if (check.kind === 'empty-handle') line += ` (and ${r.stats.handlesWithAddresses} handles with matches)`;
      print(`${line}.`);
    }
    print();
  }
}

export function registerIpamCheck(ipam: IpamGroup): void {
  ipam.command('check').description('check IPAM records against each other and against workloads and nodes (exit 1 when problems are found)')
    .option('-o, --output <file>', 'write a JSON report; `tortie ipam release --from-report FILE` releases its leaked addresses')
    .option('--show-all-ips', 'print every IP that is checked')
    .option('--show-problem-ips', `print every problem IP (default: the first ${SHOW_FIRST} of each kind)`)
    .addHelpText('after', '\nExit status: 0 when no problems were found, 1 when some were (TORTIE_ERR_IPAM_CHECK_PROBLEMS).')
    .action(async (opts, c) => {
      const showAll = opts.showAllIps === true;
      const result = await withResources(c.optsWithGlobals() as GlobalOptions, async (client, where) => {
        print('Checking IPAM for inconsistencies...');
        print();
        const snapshot = await loadIpamSnapshot(client);
        const r = checkIpam(snapshot);
        printLoading(snapshot, r, showAll);
        printFindings(r, showAll || opts.showProblemIps === true);
        print(`Check complete; found ${r.findings.length} problems.`);
        if (opts.output !== undefined) {
          const report = buildReport(r, { tortieVersion: programVersion(c), generatedAt: new Date().toISOString(), datastore: where });
          try { writeFileSync(opts.output, `${JSON.stringify(report, null, 2)}\n`); } catch (e) {
            throw new TortieError('TORTIE_ERR_FILE_UNREADABLE', `Cannot write the report to ${opts.output}: ${(e as Error).message}`, { path: opts.output });
          }
          print(`Report written to ${opts.output}.`);
        }
        return r;
      });
      if (result.findings.length === 0) return;
      const counts = new Map<string, number>();
      for (const f of result.findings) counts.set(f.kind, (counts.get(f.kind) ?? 0) + 1);
      const leaks = counts.get('leaked') ?? 0;
      const hint = leaks === 0 ? ''
        : opts.output !== undefined ? `; release the leaked ones with: tortie ipam release --from-report ${opts.output}`
          : '; to release the leaked ones, write a report with -o FILE, then run: tortie ipam release --from-report FILE';
      throw new TortieError('TORTIE_ERR_IPAM_CHECK_PROBLEMS',
        `IPAM check found ${plural(result.findings.length, 'problem')} (${[...counts].map(([k, n]) => `${n} ${k}`).join(', ')})${hint}`,
        { problems: result.findings.length });
    });
}
