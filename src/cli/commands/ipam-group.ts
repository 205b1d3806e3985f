// The `tortie ipam` command group as its subcommands receive it, in a file of its own so that
// ipam.ts (which builds the group and registers them) and the subcommands do not import each other.

import type { Command } from '@commander-js/extra-typings';
import type { GlobalOptions } from '../context.js';

export type IpamGroup = Command<[], {}, GlobalOptions>;
