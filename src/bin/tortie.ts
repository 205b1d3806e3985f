// The `tortie` executable: the control CLI plus the apps' subcommands.
import { buildProgram, run } from '../cli/index.js';
import { registerAgentCommand } from './agent-command.js';
import { registerLabCommand } from '../lab/index.js';
import { registerTraceCommand } from './trace-command.js';

// `tortie get … | head` closes the pipe early: that is the reader's choice, not a failure.
process.stdout.on('error', (e: NodeJS.ErrnoException) => { if (e.code === 'EPIPE') process.exit(0); throw e; });

const program = buildProgram();
registerAgentCommand(program);
registerLabCommand(program as never);
registerTraceCommand(program);
process.exitCode = await run(process.argv.slice(2), program);
