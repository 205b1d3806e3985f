// delete -f FILE… | delete KIND NAME… [-n NS]: all named objects in one commit.

import type { Command } from '@commander-js/extra-typings';
import { TortieError } from '../../lib/errors.js';
import { refOf } from '../../model/index.js';
import type { ResourceRef } from '../../resources/index.js';
import { withResources, type GlobalOptions } from '../context.js';
import { kindArgument } from '../kind-argument.js';
import { readManifests } from '../read-manifests.js';
import { validateAll } from '../validate-all.js';

const collect = (v: string, prev: string[]): string[] => [...prev, v];

export function registerDeleteCommand(program: Command<[], GlobalOptions>): void {
  program.command('delete').description('delete resources named in files, or KIND NAME…')
    .argument('[kind]', 'resource kind (e.g. ippool, gnp, networkpolicy)')
    .argument('[names...]', 'resource names')
    .option('-f, --filename <path>', 'manifest file, directory or - (repeatable)', collect, [] as string[])
    .option('-R, --recursive', 'read directories recursively')
    .option('-n, --namespace <ns>', 'namespace of namespaced kinds', 'default')
    .option('-s, --skip-not-exists', 'succeed for objects that do not exist')
    .action(async (kindName, names, opts, c) => {
      let refs: ResourceRef[];
      if (opts.filename.length > 0) {
        if (kindName !== undefined) throw new TortieError('TORTIE_ERR_CLI_USAGE', 'Give either -f FILE or KIND NAME…, not both');
        refs = validateAll(readManifests(opts.filename, { recursive: opts.recursive === true }), 'check').map((v) => ({
          kind: v.kind, name: v.resource.metadata.name, ...(v.resource.metadata.namespace ? { namespace: v.resource.metadata.namespace } : {}),
        }));
      } else {
        if (kindName === undefined || names.length === 0) throw new TortieError('TORTIE_ERR_CLI_USAGE', 'Name what to delete: tortie delete KIND NAME… [-n NAMESPACE], or -f FILE');
        const kind = kindArgument(kindName);
        refs = names.map((name) => ({ kind, name, ...(kind.namespaced ? { namespace: opts.namespace } : {}) }));
      }
      const results = await withResources(c.optsWithGlobals() as GlobalOptions, (client) => client.delete(refs, { skipMissing: opts.skipNotExists === true }));
      for (const r of results) process.stdout.write(`${refOf(r.resource)} ${r.action === 'skipped' ? 'not found (skipped)' : 'deleted'}\n`);
    });
}
