// The `tortie` executable: the control CLI plus the apps' subcommands.
import { run } from '../cli/index.js';

// `tortie get … | head` closes the pipe early: that is the reader's choice, not a failure.
process.stdout.on('error', (e: NodeJS.ErrnoException) => { if (e.code === 'EPIPE') process.exit(0); throw e; });

process.exitCode = await run(process.argv.slice(2));
