// ipam release --ip IP [--ip IP…] [--force] | --from-report FILE [--force]
//
// Addresses are freed through IpamService.releaseIPs (block and handle in one commit) with the
// sequence number they were allocated at, so an address handed out again in the meantime is left
// alone. Unlike calicoctl, `--ip` also refuses an address a workload or node is using unless --force.

import { readFileSync } from 'node:fs';
import { TortieError, isTortieError } from '../../lib/errors.js';
import { handleKey } from '../../ipam/block/index.js';
import { IpamService } from '../../ipam/service/index.js';
import { checkIpam, parseReport, planRelease, type IpamReport } from '../../ipam/report/index.js';
import type { ResourceClient } from '../../resources/index.js';
import { withResources, type GlobalOptions } from '../context.js';
import { ipArgument, plural } from '../ipam-args.js';
import { loadIpamSnapshot } from '../ipam-snapshot.js';
import type { IpamGroup } from './ipam-group.js';

const print = (s = ''): void => { process.stdout.write(`${s}\n`); };
const collect = (v: string, prev: string[]): string[] => [...prev, v];

function readReport(file: string): IpamReport {
  let text: string;
  try { text = readFileSync(file, 'utf8'); } catch (e) {
    throw new TortieError('TORTIE_ERR_FILE_UNREADABLE', `Cannot read ${file}: ${(e as Error).message}`, { path: file });
  }
  let value: unknown;
  try { value = JSON.parse(text); } catch {
    throw new TortieError('TORTIE_ERR_IPAM_REPORT_INVALID', `${file} is not JSON; expected a report written by tortie ipam check -o FILE`, { path: file });
  }
  const r = parseReport(value);
  if (!r.ok) {
    throw new TortieError('TORTIE_ERR_IPAM_REPORT_INVALID', `${file} is not a report written by tortie ipam check -o FILE:\n  ${r.problems.join('\n  ')}`, { path: file });
  }
  return r.report;
}

async function releaseGiven(client: ResourceClient, ips: readonly string[], force: boolean): Promise<void> {
  const fresh = checkIpam(await loadIpamSnapshot(client));
  const failed: string[] = [];
  const todo: Array<{ ip: string; sequenceNumber?: number }> = [];
  for (const ip of ips) {
    const allocs = fresh.allocations.filter((a) => a.ip === ip);
    if (allocs.length === 0) { failed.push(`IP address ${ip} is not assigned`); continue; }
    const used = allocs.find((a) => a.inUse);
    if (used && !force) { failed.push(`IP address ${ip} is in use by ${used.owners.join(', ')}; not released (--force releases it anyway)`); continue; }
    const seq = allocs.length === 1 ? allocs[0]!.sequenceNumber : null;
    todo.push({ ip, ...(seq !== null ? { sequenceNumber: seq } : {}) });
  }
  const results = await new IpamService(client.store, client).releaseIPs(todo);
  for (const r of results) {
    if (r.released) print(`Successfully released IP address ${r.ip}`);
    else if (r.reason === 'not assigned' || r.reason === 'not in any block') failed.push(`IP address ${r.ip} is not assigned`);
    else failed.push(`IP address ${r.ip} was not released: ${r.reason ?? 'unknown reason'}`);
  }
  if (failed.length > 0) {
    throw new TortieError('TORTIE_ERR_IPAM_NOT_RELEASED', failed.length === 1 ? failed[0]! : `${failed.length} addresses were not released:\n  ${failed.join('\n  ')}`, { ips: failed.length });
  }
}

async function releaseFromReport(client: ResourceClient, where: string, file: string, report: IpamReport, force: boolean): Promise<void> {
  const leaked = new Set(report.allocations.filter((a) => !a.inUse).map((a) => a.ip)).size;
  print(`Report ${file} was written at ${report.generatedAt} from ${report.datastore}; it lists ${plural(leaked, 'leaked IP')} and ${plural(report.leakedHandles.length, 'empty handle')}.`);
  if (report.datastore !== where) print(`Note: this datastore is ${where}; every address is re-checked here before it is released.`);
  if (force) print('WARNING: --force: leaked addresses are released even if a workload or node uses them now.');
  const plan = planRelease(report, checkIpam(await loadIpamSnapshot(client)), force);

  if (plan.ips.length === 0) print('Report didn\'t contain any leaked IPs to clean up.');
  else {
    print(`Releasing ${plural(plan.ips.length, 'leaked IP')}...`);
    const go = plan.ips.filter((d) => d.release);
    const results = await new IpamService(client.store, client)
      .releaseIPs(go.map((d) => ({ ip: d.ip, ...(d.sequenceNumber !== null ? { sequenceNumber: d.sequenceNumber } : {}) })));
    const outcome = new Map(results.map((r) => [r.ip, r] as const));
    let released = 0;
    for (const d of plan.ips) {
      if (!d.release) { print(`  ${d.ip} skipped: ${d.reason}`); continue; }
      const r = outcome.get(d.ip);
      if (r?.released) { released++; print(`  ${d.ip} released${d.was ? ` (was ${d.was})` : ''}`); } else print(`  ${d.ip} skipped: ${r?.reason ?? 'not assigned'}`);
    }
    print(`Released ${plural(released, 'IP')} successfully; ${plan.ips.length - released} skipped.`);
  }

  if (plan.handles.length === 0) { print('Report didn\'t contain any handles to clean up.'); return; }
  print(`Deleting ${plural(plan.handles.length, 'empty handle')}...`);
  let deleted = 0;
  for (const h of plan.handles) {
    if (!h.delete) { print(`  ${h.id} skipped: ${h.reason}`); continue; }
    try {
      // At the report's revision: a handle that took an address since is not deleted.
      await client.store.delete(handleKey(h.id), h.revision);
      deleted++;
      print(`  ${h.id} deleted`);
    } catch (e) {
      if (!isTortieError(e, 'TORTIE_ERR_DATASTORE_CONFLICT') && !isTortieError(e, 'TORTIE_ERR_DATASTORE_NOT_FOUND')) throw e;
      print(`  ${h.id} skipped: ${isTortieError(e, 'TORTIE_ERR_DATASTORE_NOT_FOUND') ? 'already gone' : 'changed since the report'}`);
    }
  }
  print(`Deleted ${plural(deleted, 'handle')}; ${plan.handles.length - deleted} skipped.`);
}

export function registerIpamRelease(ipam: IpamGroup): void {
  ipam.command('release').description('release addresses: the given ones, or the leaked ones of an ipam check report')
    .option('--ip <ip>', 'address to release (repeatable)', collect, [] as string[])
    .option('--from-report <file>', 'release the leaked addresses and empty handles of a report written by tortie ipam check -o')
    .option('--force', 'release even addresses a workload or node uses now (never one re-allocated since)')
    .addHelpText('after', `
Every address is re-checked just before it is released: it must still be allocated as it was (same
handle, same sequence number) and, unless --force, no WorkloadEndpoint or Node may be using it.`)
    .action(async (opts, c) => {
      if (opts.ip.length > 0 && opts.fromReport !== undefined) throw new TortieError('TORTIE_ERR_CLI_USAGE', '--ip and --from-report cannot be combined: give one');
      if (opts.ip.length === 0 && opts.fromReport === undefined) throw new TortieError('TORTIE_ERR_CLI_USAGE', 'Nothing to release: give --ip IP (repeatable) or --from-report FILE');
      const ips = [...new Set(opts.ip.map((ip) => ipArgument('--ip', ip)))];
      const report = opts.fromReport !== undefined ? readReport(opts.fromReport) : null;
      await withResources(c.optsWithGlobals() as GlobalOptions, (client, where) => (report
        ? releaseFromReport(client, where, opts.fromReport!, report, opts.force === true)
        : releaseGiven(client, ips, opts.force === true)));
    });
}
