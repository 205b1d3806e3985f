// The `tortie` executable: the control CLI plus the apps' subcommands.
import { run } from '../cli/index.js';

process.exitCode = await run(process.argv.slice(2));
