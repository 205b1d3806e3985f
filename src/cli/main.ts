// The `tortie` control CLI (calicoctl's verbs): apply, create, replace, delete, get, validate.
// Apps register further subcommands (agent, cni, lab…) from src/bin.

import { Command, CommanderError } from '@commander-js/extra-typings';
import { TortieError } from '../lib/errors.js';
import { registerDeleteCommand } from './commands/delete.js';
import { registerGetCommand } from './commands/get.js';
import { registerPolicyCommand } from './commands/policy.js';
import { registerIpamCommand } from './commands/ipam.js';
import { registerNodeCommand } from './commands/node.js';
import { registerBgpCommand } from './commands/bgp.js';
import { registerCniCommand } from './commands/cni.js';
import { registerDatastoreCommand } from './commands/datastore.js';
import { registerValidateCommand } from './commands/validate.js';
import { registerWriteCommands } from './commands/write.js';
import { addGlobalOptions, type GlobalOptions } from './context.js';
import { reportError } from './report-error.js';

export const VERSION = '0.1.0';

export function buildProgram(): Command<[], GlobalOptions> {
  const program = addGlobalOptions(new Command('tortie')
    .description('Tortie: a pure layer-3 container network (Calico-compatible resources)')
    .version(VERSION, '-V, --version')
    .exitOverride()) as unknown as Command<[], GlobalOptions>;
  registerWriteCommands(program);
  registerDeleteCommand(program);
  registerGetCommand(program);
  registerValidateCommand(program as unknown as Command<[], {}>);
  registerPolicyCommand(program);
  registerIpamCommand(program);
  registerNodeCommand(program);
  registerBgpCommand(program);
  registerCniCommand(program);
  registerDatastoreCommand(program);
  for (const c of program.commands) c.exitOverride();
  return program;
}

/** Runs the CLI; resolves to the exit status. */
export async function run(argv: readonly string[], program = buildProgram()): Promise<number> {
  // Usage errors are reported below, in our format; help (also when asked for by mistake) still shows.
  const quiet = { outputError: () => {} };
  program.configureOutput(quiet);
  for (const c of program.commands) c.configureOutput(quiet);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    // Commands that answer with a status (lab ping/probe, node status, ipam check) set exitCode.
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return 0;
      if (e.code === 'commander.help') return argv.length === 0 ? 1 : 0; // `tortie` alone: help on stderr, status 1
      const msg = e.message.replace(/^error: /, '');
      return reportError(new TortieError('TORTIE_ERR_CLI_USAGE', `${msg.charAt(0).toUpperCase()}${msg.slice(1)} (see tortie --help)`));
    }
    return reportError(e);
  }
}
