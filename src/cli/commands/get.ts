// get KIND [NAME…] [-n NS | -A] [-o table|wide|yaml|json]

import type { Command } from '@commander-js/extra-typings';
import { TortieError, isTortieError } from '../../lib/errors.js';
import { kindByKind, type Resource } from '../../model/index.js';
import type { ResourceClient } from '../../resources/index.js';
import { tableOf, type TableContext } from '../columns.js';
import { withResources, type GlobalOptions } from '../context.js';
import { kindArgument } from '../kind-argument.js';
import { documentOf, renderDocument, renderTable } from '../print.js';

const FORMATS = ['table', 'ps', 'wide', 'yaml', 'json'] as const;
const DEFAULT_AS = 64512;

async function tableContext(client: ResourceClient): Promise<TableContext> {
  const bgp = kindByKind('BGPConfiguration');
  if (!bgp) return { defaultAsNumber: DEFAULT_AS };
  try {
    const d = await client.get(bgp, 'default');
    return { defaultAsNumber: typeof d.spec['asNumber'] === 'number' ? d.spec['asNumber'] : DEFAULT_AS };
  } catch (e) {
    if (isTortieError(e, 'TORTIE_ERR_DATASTORE_NOT_FOUND')) return { defaultAsNumber: DEFAULT_AS };
    throw e;
  }
}

export function registerGetCommand(program: Command<[], GlobalOptions>): void {
  program.command('get').description('show resources of a kind')
    .argument('<kind>', 'resource kind (e.g. ippools, nodes, gnp, networkpolicy)')
    .argument('[names...]', 'only these names')
    .option('-n, --namespace <ns>', 'namespace of namespaced kinds', 'default')
    .option('-A, --all-namespaces', 'namespaced kinds: every namespace')
    .option('-o, --output <format>', `output format: ${FORMATS.join(' | ')}`, 'table')
    .action(async (kindName, names, opts, c) => {
      const kind = kindArgument(kindName);
      const format = opts.output as (typeof FORMATS)[number];
      if (!FORMATS.includes(format)) throw new TortieError('TORTIE_ERR_CLI_USAGE', `-o ${opts.output} is not one of: ${FORMATS.join(', ')}`);
      if (opts.allNamespaces && names.length > 0) throw new TortieError('TORTIE_ERR_CLI_USAGE', '-A lists every object; it cannot be combined with names');
      const namespace = kind.namespaced && !opts.allNamespaces ? opts.namespace : undefined;
      await withResources(c.optsWithGlobals() as GlobalOptions, async (client) => {
        let items: Resource[];
        if (names.length > 0) items = await Promise.all(names.map((n) => client.get(kind, n, namespace)));
        else items = await client.list(kind, namespace);
        if (format === 'yaml' || format === 'json') {
          process.stdout.write(`${renderDocument(documentOf(items, names.length === 1), format)}\n`);
          return;
        }
        const { head, rows } = tableOf(kind.kind, items, {
          wide: format === 'wide', namespaced: kind.namespaced, allNamespaces: opts.allNamespaces === true,
          ctx: format === 'wide' && kind.kind === 'Node' ? await tableContext(client) : { defaultAsNumber: DEFAULT_AS },
        });
        process.stdout.write(`${renderTable(head, rows)}\n`);
      });
    });
}
