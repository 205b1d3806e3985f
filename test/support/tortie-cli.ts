// Runs the real `bin/tortie` executable in a child process, as an operator would.

import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const TORTIE_BIN = fileURLToPath(new URL('../../../bin/tortie', import.meta.url));

export interface CliResult { readonly code: number; readonly stdout: string; readonly stderr: string }

export function tortie(args: readonly string[], env: Record<string, string> = {}, input?: string, timeoutMs = 60_000): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [TORTIE_BIN, ...args], {
      env: { PATH: process.env['PATH'] ?? '', TORTIE_CONFIG: '/dev/null', ...env },
      timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024,
    }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 99) : 0;
      resolve({ code, stdout, stderr });
    });
    if (input !== undefined) child.stdin!.end(input);
  });
}
