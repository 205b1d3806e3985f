// ipam show | check | release | configure — calicoctl's IPAM commands (calico.md §8).

import type { Command } from '@commander-js/extra-typings';
import { TortieError } from '../../lib/errors.js';
import type { GlobalOptions } from '../context.js';
import { registerIpamCheck } from './ipam-check.js';
import { registerIpamConfigure } from './ipam-configure.js';
import type { IpamGroup } from './ipam-group.js';
import { registerIpamRelease } from './ipam-release.js';
import { registerIpamShow } from './ipam-show.js';

export function registerIpamCommand(program: Command<[], GlobalOptions>): void {
  const ipam = program.command('ipam')
    .description('IP address management: usage, consistency check, releasing leaked addresses, configuration')
    .addHelpText('after', `
Exit status: 0 on success; 1 when ipam check found problems (TORTIE_ERR_IPAM_CHECK_PROBLEMS), when an
address given to ipam release was not released, or on a usage error; 2 when the datastore is unreachable.`)
    .usage('<command> [options]')
    .argument('[command]')
    .action((name, _opts, c) => {
      if (name !== undefined) {
        throw new TortieError('TORTIE_ERR_CLI_USAGE', `Unknown ipam command '${name}': use one of ${c.commands.map((s) => s.name()).join(', ')} (see tortie ipam --help)`);
      }
      process.stdout.write(c.helpInformation());
    }) as unknown as IpamGroup;
  registerIpamShow(ipam);
  registerIpamCheck(ipam);
  registerIpamRelease(ipam);
  registerIpamConfigure(ipam);
  // Usage errors of the subcommands are reported once, in Tortie's format, by run().
  for (const c of ipam.commands) c.exitOverride().configureOutput({ writeErr: () => {} });
}
