// apply | create | replace -f FILE|DIR|-: validate every document, then write them in one commit.

import type { Command } from '@commander-js/extra-typings';
import { TortieError } from '../../lib/errors.js';
import { refOf } from '../../model/index.js';
import type { WriteResult } from '../../resources/index.js';
import { withResources, type GlobalOptions } from '../context.js';
import { readManifests } from '../read-manifests.js';
import { validateAll } from '../validate-all.js';
import { dryRunApply } from './apply-impact.js';

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
    if (verb === 'apply') {
      cmd.option('--dry-run', 'validate and show what would be written; write nothing')
        .option('--impact', 'with --dry-run: list the (from, to, port) pairs whose policy verdict would change')
        .option('-o, --output <format>', 'with --impact: text | json', 'text');
    }
    cmd.action(async (opts, c) => {
      const docs = readManifests(opts.filename, { recursive: opts.recursive === true });
      const resources = validateAll(docs).map((v) => v.resource);
      const dry = opts as { dryRun?: boolean; impact?: boolean; output?: string };
      if (dry.impact && !dry.dryRun) throw new TortieError('TORTIE_ERR_CLI_USAGE', '--impact needs --dry-run: it shows what would change without writing');
      if (dry.dryRun) {
        const text = await withResources(c.optsWithGlobals() as GlobalOptions, (client) => dryRunApply(client, resources, { impact: dry.impact === true, output: dry.output ?? 'text' }));
        process.stdout.write(text);
        return;
      }
      const results = await withResources(c.optsWithGlobals() as GlobalOptions, (client) => {
        if (verb === 'apply') return client.apply(resources);
        if (verb === 'replace') return client.replace(resources);
        return client.create(resources, { skipExisting: (opts as { skipExists?: boolean }).skipExists === true });
      });
      report(results);
    });
  }
}
