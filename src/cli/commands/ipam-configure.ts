// ipam configure [--strictaffinity true|false] [--autoallocateblocks true|false] [--max-blocks-per-host N]
// Changes IPAMConfiguration `default` (creating it when absent) through the model's validation, so
// the combinations Calico's SetIPAMConfig refuses are refused here too, with the model's words.

import { TortieError, isTortieError } from '../../lib/errors.js';
import { API_VERSION, IPAMConfiguration, formatIssue, validateDocument, type Resource } from '../../model/index.js';
import type { ResourceClient } from '../../resources/index.js';
import { withResources, type GlobalOptions } from '../context.js';
import type { IpamGroup } from './ipam-group.js';

/** The spec field each flag sets, and the name calicoctl's success line uses. */
const FLAGS = {
  strictaffinity: { field: 'strictAffinity', name: 'StrictAffinity', flag: '--strictaffinity' },
  autoallocateblocks: { field: 'autoAllocateBlocks', name: 'AutoAllocateBlocks', flag: '--autoallocateblocks' },
  maxBlocksPerHost: { field: 'maxBlocksPerHost', name: 'MaxBlocksPerHost', flag: '--max-blocks-per-host' },
} as const;

/** Go's strconv.ParseBool, which calicoctl uses for these flags. */
function parseBool(flag: string, text: string): boolean {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(text)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(text)) return false;
  throw new TortieError('TORTIE_ERR_CLI_USAGE', `${flag} ${JSON.stringify(text)}: use true or false`);
}

function parseCount(flag: string, text: string): number {
  if (!/^\d{1,7}$/.test(text)) throw new TortieError('TORTIE_ERR_CLI_USAGE', `${flag} ${JSON.stringify(text)}: use a whole number of blocks (0 = the default, 20)`);
  return Number(text);
}

async function current(client: ResourceClient): Promise<Resource | null> {
  try { return await client.get(IPAMConfiguration, 'default'); } catch (e) {
    if (isTortieError(e, 'TORTIE_ERR_DATASTORE_NOT_FOUND')) return null;
    throw e;
  }
}

const describe = (spec: Record<string, unknown>): string =>
  `strictAffinity ${String(spec['strictAffinity'] ?? false)}, autoAllocateBlocks ${String(spec['autoAllocateBlocks'] ?? true)}, maxBlocksPerHost ${String(spec['maxBlocksPerHost'] ?? 0)}`;

/** Writes the changed configuration; re-reads and retries when someone else wrote it in between. */
async function configure(client: ResourceClient, changes: Record<string, unknown>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const cur = await current(client);
    const v = validateDocument({
      apiVersion: API_VERSION, kind: 'IPAMConfiguration',
      metadata: { name: 'default', ...(cur?.metadata.labels ? { labels: cur.metadata.labels } : {}), ...(cur?.metadata.annotations ? { annotations: cur.metadata.annotations } : {}) },
      spec: { ...cur?.spec, ...changes },
    });
    if (!v.ok) {
      const flagOf = (path: string): string => {
        const f = Object.values(FLAGS).find((x) => path === `spec.${x.field}`);
        return f && changes[f.field] !== undefined ? ` (${f.flag})` : '';
      };
      throw new TortieError('TORTIE_ERR_IPAM_CONFIG_INVALID',
        `The IPAM configuration would be invalid, so nothing was written:\n${v.issues.map((i) => `  ${i.path === '' ? formatIssue(i) : `${i.path}${flagOf(i.path)}: ${i.message}`}`).join('\n')}\n`
        + `It is now: ${describe(cur?.spec ?? {})}${cur ? '' : ' (the defaults; IPAMConfiguration default does not exist)'}.`);
    }
    try {
      if (cur) await client.replace([{ ...v.resource, metadata: { ...v.resource.metadata, resourceVersion: cur.metadata.resourceVersion! } }]);
      else await client.create([v.resource]);
      return;
    } catch (e) {
      const raced = isTortieError(e, 'TORTIE_ERR_DATASTORE_CONFLICT') || isTortieError(e, 'TORTIE_ERR_DATASTORE_ALREADY_EXISTS') || isTortieError(e, 'TORTIE_ERR_DATASTORE_NOT_FOUND');
      if (!raced || attempt >= 5) throw e;
    }
  }
}

export function registerIpamConfigure(ipam: IpamGroup): void {
  ipam.command('configure').description('change the IPAM configuration (IPAMConfiguration default; created when absent)')
    .option(`${FLAGS.strictaffinity.flag} <bool>`, 'true: a node never borrows addresses from other nodes\' blocks')
    .option(`${FLAGS.autoallocateblocks.flag} <bool>`, 'false: nodes claim no new blocks (needs strictaffinity true)')
    .option(`${FLAGS.maxBlocksPerHost.flag} <n>`, 'blocks one node may own; 0 = the default, 20 (a limit needs strictaffinity true)')
    .action(async (opts, c) => {
      const changes: Record<string, unknown> = {};
      if (opts.strictaffinity !== undefined) changes['strictAffinity'] = parseBool(FLAGS.strictaffinity.flag, opts.strictaffinity);
      if (opts.autoallocateblocks !== undefined) changes['autoAllocateBlocks'] = parseBool(FLAGS.autoallocateblocks.flag, opts.autoallocateblocks);
      if (opts.maxBlocksPerHost !== undefined) changes['maxBlocksPerHost'] = parseCount(FLAGS.maxBlocksPerHost.flag, opts.maxBlocksPerHost);
      if (Object.keys(changes).length === 0) {
        throw new TortieError('TORTIE_ERR_CLI_USAGE', `At least one configuration option must be specified: ${Object.values(FLAGS).map((f) => f.flag).join(', ')}`);
      }
      await withResources(c.optsWithGlobals() as GlobalOptions, (client) => configure(client, changes));
      for (const f of Object.values(FLAGS)) {
        if (changes[f.field] !== undefined) process.stdout.write(`Successfully set ${f.name} to: ${String(changes[f.field])}\n`);
      }
    });
}
