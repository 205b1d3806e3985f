// Runs a command with optional standard input and collects its output. Node's child stdin is a
// socketpair, which `ip -batch -` and `bridge -batch -` read like a pipe (node-libs.md §0–§1).

import { spawn } from 'node:child_process';

export interface RunResult { readonly code: number; readonly stdout: string; readonly stderr: string }

export function run(argv: readonly string[], input?: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', (b: Buffer) => out.push(b));
    child.stderr!.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }));
    if (child.stdin) {
      child.stdin.on('error', () => {}); // an early exit shows in the status and stderr
      child.stdin.end(input);
    }
  });
}
