// validate -f FILE…: every problem of every document, nothing written, no datastore needed.

import type { Command } from '@commander-js/extra-typings';
import { refOf } from '../../model/index.js';
import { readManifests } from '../read-manifests.js';
import { validateAll } from '../validate-all.js';

const collect = (v: string, prev: string[]): string[] => [...prev, v];

export function registerValidateCommand(program: Command<[], {}>): void {
  program.command('validate').description('check manifests without writing them')
    .requiredOption('-f, --filename <path>', 'manifest file, directory or - (repeatable)', collect, [] as string[])
    .option('-R, --recursive', 'read directories recursively')
    .action((opts) => {
      const valid = validateAll(readManifests(opts.filename, { recursive: opts.recursive === true }), 'check');
      for (const v of valid) process.stdout.write(`${v.source}: ${refOf(v.resource)} is valid\n`);
    });
}
