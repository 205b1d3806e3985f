// Runs the real `bin/tortie` executable in a child process, as an operator would.

import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const TORTIE_BIN = fileURLToPath(new URL('../../../bin/tortie', import.meta.url));

export interface CliResult { readonly code: number; readonly stdout: string; readonly stderr: string }

/** `netns`: run it inside that network namespace (where the datastore is reachable). */
export function tortie(args: readonly string[], env: Record<string, string> = {}, input?: string, timeoutMs = 60_000, netns?: string): Promise<CliResult> {
  const cmd = netns ? ['ip', 'netns', 'exec', netns, process.execPath, TORTIE_BIN, ...args] : [process.execPath, TORTIE_BIN, ...args];
  return new Promise((resolve) => {
    const child = execFile(cmd[0]!, cmd.slice(1), {
      env: { PATH: process.env['PATH'] ?? '', TORTIE_CONFIG: '/dev/null', ...env },
      timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024,
    }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 99) : 0;
      resolve({ code, stdout, stderr });
    });
    if (input !== undefined) child.stdin!.end(input);
  });
}
