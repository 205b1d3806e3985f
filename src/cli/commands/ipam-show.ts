// ipam show [--show-blocks | --ip IP | --show-borrowed | --show-configuration] [-o table|json]
// The tables and lines are calicoctl's (calicoctl/commands/ipam/show.go, the five-column form of
// Calico 3.2x): counts as Go's %.5g, shares as "N (P%)".

import { TortieError, isTortieError } from '../../lib/errors.js';
import { parseIP } from '../../lib/ip.js';
import { asBlock, blockContaining, blockKey, blockPrefix, type AllocationBlock } from '../../ipam/block/index.js';
import { assignmentOf, borrowedIPs, poolInfo, poolOf, utilization, type Assignment, type PoolInfo } from '../../ipam/report/index.js';
import { DEFAULT_MAX_BLOCKS_PER_HOST, IPAMConfiguration, IPPool } from '../../model/index.js';
import type { ResourceClient } from '../../resources/index.js';
import { withResources, type GlobalOptions } from '../context.js';
import { countWithPercent, goG5 } from '../go-format.js';
import { ipArgument, outputArgument, plural, type Output } from '../ipam-args.js';
import { renderDocument, renderTable } from '../print.js';
import type { IpamGroup } from './ipam-group.js';

const print = (s: string): void => { process.stdout.write(`${s}\n`); };
const json = (doc: unknown): void => print(renderDocument(doc, 'json'));

/** Right-aligns one column (calicoctl right-aligns IPS TOTAL) by padding its cells to one width. */
function alignRight(head: readonly string[], rows: string[][], col: number): string[][] {
  const width = Math.max(head[col]!.length, ...rows.map((r) => r[col]!.length));
  return rows.map((r) => r.map((cell, i) => (i === col ? cell.padStart(width) : cell)));
}

async function pools(client: ResourceClient): Promise<PoolInfo[]> {
  return (await client.list(IPPool)).flatMap((p) => { const i = poolInfo(p); return i ? [i] : []; });
}

async function blocksOf(client: ResourceClient, versions: ReadonlyArray<4 | 6> = [4, 6]): Promise<AllocationBlock[]> {
  const lists = await Promise.all(versions.map((v) => client.store.list(blockPrefix(v))));
  return lists.flatMap((l) => l.items).flatMap((kv) => { const b = asBlock(kv.value); return b && !b.deleted ? [b] : []; });
}

async function showUtilization(client: ResourceClient, showBlocks: boolean, out: Output): Promise<void> {
  const use = utilization(await pools(client), await blocksOf(client));
  if (out === 'json') { json(use); return; }
  const head = ['GROUPING', 'CIDR', 'IPS TOTAL', 'IPS IN USE', 'IPS FREE'];
  const row = (grouping: string, cidr: string, capacity: number, inUse: number, free: number): string[] =>
    [grouping, cidr, goG5(capacity), countWithPercent(inUse, capacity), countWithPercent(free, capacity)];
  const rows: string[][] = [];
  for (const p of use.pools) {
    rows.push(row('IP Pool', p.cidr, p.capacity, p.inUse, p.free));
    if (showBlocks) for (const b of p.blocks) rows.push(row('Block', b.cidr, b.capacity, b.inUse, b.free));
  }
  if (showBlocks) for (const b of use.orphanBlocks) rows.push(row('Block (no pool)', b.cidr, b.capacity, b.inUse, b.free));
  print(renderTable(head, alignRight(head, rows, 2)));
  if (use.pools.length === 0) print('No IP pools exist.');
  if (use.orphanBlocks.length > 0 && !showBlocks) {
    print(`\nNote: ${plural(use.orphanBlocks.length, 'block lies', 'blocks lie')} in no IP pool (--show-blocks lists them; tortie ipam check explains).`);
  }
}

/** The block that would hold `ip`: from its pool's block size, else by scanning the blocks. */
async function findAssignment(client: ResourceClient, ip: string): Promise<Assignment | null> {
  const a = parseIP(ip)!;
  const all = await pools(client);
  const pool = poolOf(all, { version: a.version, address: a.value, prefix: a.version === 4 ? 32 : 128 });
  let blocks: AllocationBlock[] = [];
  if (pool) {
    try {
      const b = asBlock((await client.store.get(blockKey(blockContaining(a.value, a.version, pool.blockSize)))).value);
      if (b && !b.deleted) blocks = [b];
    } catch (e) { if (!isTortieError(e, 'TORTIE_ERR_DATASTORE_NOT_FOUND')) throw e; }
  }
  if (blocks.length === 0 || !assignmentOf(blocks, ip)) {
    blocks = await blocksOf(client, [a.version]);
  }
  return assignmentOf(blocks, ip);
}

async function showIP(client: ResourceClient, ip: string, out: Output): Promise<void> {
  const a = await findAssignment(client, ip);
  if (out === 'json') { json(a ? { assigned: true, ...a } : { ip, assigned: false }); return; }
  if (!a) { print(`${ip} is not assigned`); return; }
  print(`IP ${ip} is in use`);
  print(`Handle ID: ${a.handle ?? '<none>'}`);
  const keys = Object.keys(a.attributes).sort();
  if (keys.length === 0) print('No attributes defined');
  else { print('Attributes:'); for (const k of keys) print(`  ${k}: ${a.attributes[k]}`); }
  const owner = a.blockAffinity?.startsWith('host:') ? a.blockAffinity.slice(5) : a.blockAffinity;
  print(`Block: ${a.block}${owner ? `, affine to ${owner}` : ', not affine to any node'}`);
}

async function showBorrowed(client: ResourceClient, out: Output): Promise<void> {
  const { borrowed, unclassified } = borrowedIPs(await blocksOf(client));
  if (out === 'json') { json({ borrowed, unclassified }); return; }
  print(renderTable(['IP', 'BORROWING-NODE', 'BLOCK', 'BLOCK OWNER', 'TYPE', 'ALLOCATED-TO'],
    borrowed.map((b) => [b.ip, b.borrowingNode, b.block, b.blockOwner, b.type, b.allocatedTo])));
  if (unclassified > 0) {
    print(`\nNote: found ${unclassified} IP allocations without an explicit node association. Unable to determine if they are borrowed.`);
  }
}

async function showConfiguration(client: ResourceClient, out: Output): Promise<void> {
  let spec: Record<string, unknown> | null = null;
  try { spec = (await client.get(IPAMConfiguration, 'default')).spec; } catch (e) {
    if (!isTortieError(e, 'TORTIE_ERR_DATASTORE_NOT_FOUND')) throw e;
  }
  const s = spec ?? {};
  const max = typeof s['maxBlocksPerHost'] === 'number' ? s['maxBlocksPerHost'] : 0;
  const cfg = {
    strictAffinity: s['strictAffinity'] === true,
    autoAllocateBlocks: s['autoAllocateBlocks'] !== false,
    maxBlocksPerHost: max,
    ...(s['ipCooldownSeconds'] !== undefined ? { ipCooldownSeconds: s['ipCooldownSeconds'] } : {}),
    ...(s['kubeVirtVMAddressPersistence'] !== undefined ? { kubeVirtVMAddressPersistence: s['kubeVirtVMAddressPersistence'] } : {}),
  };
  if (out === 'json') { json({ ...cfg, effectiveMaxBlocksPerHost: max > 0 ? max : DEFAULT_MAX_BLOCKS_PER_HOST, configured: spec !== null }); return; }
  const rows = Object.entries(cfg).map(([k, v]) => [k.charAt(0).toUpperCase() + k.slice(1), String(v)]);
  if (max === 0) rows[2]![1] = `0 (unset: ${DEFAULT_MAX_BLOCKS_PER_HOST})`;
  print(renderTable(['PROPERTY', 'VALUE'], rows));
  if (spec === null) print('\nNote: IPAMConfiguration default does not exist; these are the defaults (tortie ipam configure creates it).');
}

export function registerIpamShow(ipam: IpamGroup): void {
  ipam.command('show').description('show IP usage per pool (and block), one address, borrowed addresses, or the IPAM configuration')
    .option('--show-blocks', 'also show each block under its pool')
    .option('--show-borrowed', 'show addresses allocated to a node other than their block\'s owner')
    .option('--show-configuration', 'show the IPAM configuration')
    .option('--ip <ip>', 'report whether this address is in use, and by what')
    .option('-o, --output <format>', 'output format: table | json', 'table')
    .action(async (opts, c) => {
      const out = outputArgument(opts.output);
      const modes = [opts.showBlocks && '--show-blocks', opts.showBorrowed && '--show-borrowed', opts.showConfiguration && '--show-configuration', opts.ip !== undefined && '--ip'].filter(Boolean);
      if (modes.length > 1) throw new TortieError('TORTIE_ERR_CLI_USAGE', `${modes.join(' and ')} cannot be combined: give one of --ip, --show-blocks, --show-borrowed, --show-configuration`);
      const ip = opts.ip !== undefined ? ipArgument('--ip', opts.ip) : undefined;
      await withResources(c.optsWithGlobals() as GlobalOptions, async (client) => {
        if (ip !== undefined) await showIP(client, ip, out);
        else if (opts.showBorrowed) await showBorrowed(client, out);
        else if (opts.showConfiguration) await showConfiguration(client, out);
        else await showUtilization(client, opts.showBlocks === true, out);
      });
    });
}
