// Small things the `tortie ipam` subcommands share: argument parsing and the program version.

import { TortieError } from '../lib/errors.js';
import { canonicalIP } from '../ipam/report/index.js';

/** An address from the command line in canonical form, or a usage error naming the flag. */
export function ipArgument(flag: string, text: string): string {
  const ip = text.includes('/') ? null : canonicalIP(text);
  if (!ip) throw new TortieError('TORTIE_ERR_CLI_USAGE', `${flag} ${JSON.stringify(text)} is not an IP address (expected e.g. 10.65.0.7 or fd00::7)`);
  return ip;
}

export const OUTPUTS = ['table', 'json'] as const;
export type Output = (typeof OUTPUTS)[number];

export function outputArgument(text: string): Output {
  if (!(OUTPUTS as readonly string[]).includes(text)) throw new TortieError('TORTIE_ERR_CLI_USAGE', `-o ${text} is not one of: ${OUTPUTS.join(', ')}`);
  return text as Output;
}

/** The version of the `tortie` program a subcommand belongs to (recorded in reports). */
export function programVersion(c: { parent: unknown }): string {
  let root = c as { parent: unknown; version(): string | undefined };
  while (root.parent) root = root.parent as typeof root;
  return root.version() ?? 'unknown';
}

export const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;
