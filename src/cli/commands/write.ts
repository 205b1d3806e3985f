// apply | create | replace -f FILE|DIR|-: validate every document, then write them in one commit.

import type { Command } from '@commander-js/extra-typings';
import { refOf } from '../../model/index.js';
import type { WriteResult } from '../../resources/index.js';
import { withResources, type GlobalOptions } from '../context.js';
import { readManifests } from '../read-manifests.js';
import { validateAll } from '../validate-all.js';

const collect = (v: string, prev: string[]): string[] => [...prev, v];

function report(results: readonly WriteResult[]): void {
  for (const r of results) process.stdout.write(`${refOf(r.resource)} ${r.action}\n`);
}

export function registerWriteCommands(program: Command<[], GlobalOptions>): void {
  const verbs = [
    ['apply', 'create resources, or update them to match the files'],
    ['create', 'create resources; fails if one already exists'],
    ['replace', 'replace existing resources (conditional on metadata.resourceVersion when given)'],
  ] as const;
  for (const [verb, summary] of verbs) {
    const cmd = program.command(verb).description(summary)
      .requiredOption('-f, --filename <path>', 'manifest file, directory or - for stdin (repeatable)', collect, [] as string[])
      .option('-R, --recursive', 'read directories recursively');
    if (verb === 'create') cmd.option('--skip-exists', 'leave existing resources as they are instead of failing');
    cmd.action(async (opts, c) => {
      const docs = readManifests(opts.filename, { recursive: opts.recursive === true });
      const resources = validateAll(docs).map((v) => v.resource);
      const results = await withResources(c.optsWithGlobals() as GlobalOptions, (client) => {
        if (verb === 'apply') return client.apply(resources);
        if (verb === 'replace') return client.replace(resources);
        return client.create(resources, { skipExisting: (opts as { skipExists?: boolean }).skipExists === true });
      });
      report(results);
    });
  }
}
