// One throwaway network namespace for kernel tests (DESIGN.md: everything a test runs lives in
// namespaces it created, named `tt-…`, removed afterwards). `ip()` and `sh()` run inside it.

import { execFileSync } from 'node:child_process';

export const isRoot = process.getuid?.() === 0;

export class ScratchNetns {
  constructor(readonly name: string) {
    if (!name.startsWith('tt-')) throw new Error(`scratch namespaces are named tt-…, not ${name}`);
  }

  /** Creates the namespace (deleting a leftover of the same name first) with lo up. */
  create(): this {
    this.remove();
    execFileSync('ip', ['netns', 'add', this.name]);
    this.ip('link', 'set', 'lo', 'up');
    return this;
  }

  /** `ip -n NAME …`, returning stdout; throws with stderr on failure. */
  ip(...args: string[]): string {
    return execFileSync('ip', ['-n', this.name, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  }

  /** Like ip() but returns the exit status and stderr instead of throwing. */
  tryIp(...args: string[]): { code: number; stderr: string } {
    try { this.ip(...args); return { code: 0, stderr: '' }; } catch (e) {
      const x = e as { status?: number; stderr?: Buffer | string };
      return { code: x.status ?? 1, stderr: String(x.stderr ?? '') };
    }
  }

  /** A command inside the namespace (`ip netns exec NAME …`). */
  exec(cmd: string, ...args: string[]): string {
    return execFileSync('ip', ['netns', 'exec', this.name, cmd, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  }

  /** A veth pair inside the namespace, both ends up. */
  veth(a: string, b: string, mtu = 1500): void {
    this.ip('link', 'add', a, 'mtu', String(mtu), 'type', 'veth', 'peer', 'name', b, 'mtu', String(mtu));
    this.ip('link', 'set', a, 'up');
    this.ip('link', 'set', b, 'up');
  }

  remove(): void {
    try { execFileSync('ip', ['netns', 'del', this.name], { stdio: 'ignore' }); } catch { /* not there */ }
  }
}
