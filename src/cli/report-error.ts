// Every failure ends here: one line `Error [CODE]: message` on stderr (a user mistake never ends in
// a stack trace), and the exit status of the code (docs/errors.md). Unexpected exceptions are bugs:
// they get TORTIE_ERR_INTERNAL_BUG and the stack, so they can be reported.

import { ERRORS, isTortieError } from '../lib/errors.js';

export function reportError(e: unknown, write: (s: string) => void = (s) => process.stderr.write(s)): number {
  if (isTortieError(e)) {
    write(`Error [${e.code}]: ${e.message}\n`);
    return e.exitCode;
  }
  const stack = e instanceof Error ? e.stack ?? e.message : String(e);
  write(`Error [TORTIE_ERR_INTERNAL_BUG]: an unexpected failure (please report it):\n${stack}\n`);
  return ERRORS.TORTIE_ERR_INTERNAL_BUG.exit;
}
