// One long-lived `ip -force -batch -` fed through stdin, for writes that come in a stream (a BGP
// full table): no process spawned per write, and iproute2 works on one write while the next is
// queued behind it. Private to the linux room.
//
//   write(lines) ──stdin──▶ lines…, FENCE ──▶ ip ──stderr──▶ "Command failed -:N" per failed line
//                                                           └─ the FENCE's own failure: write done
//
// iproute2 prints nothing for a line that worked, so every write ends with a fence: a command
// that always fails (`link show dev tt:fence` — no kernel device name may hold a colon) and whose
// "Command failed -:N" on stderr, after the errors of the lines before it in the same stream, says
// the write is complete. A process that exits (a line it could not parse, a kill) fails the writes
// still waiting with its last words; the next write starts a new process. After `idleMs` without
// a write the process is told to end (its stdin is closed), so an idle agent holds no child.
// The process runs at a lower CPU priority (nice 10): a full table's route insertion is seconds of
// kernel time that should fill idle CPUs, not slow the session that is still receiving it.

import { spawn, type ChildProcess } from 'node:child_process';
import { setPriority } from 'node:os';
import type { NetlinkFailure } from '../ports.js';
import { isAbsent } from './_iproute2-text.js';

const FENCE = 'link show dev tt:fence';

export interface StreamResult { readonly failures: NetlinkFailure[]; readonly fatal: string | null }

interface Waiting {
  readonly first: number;
  readonly fence: number;
  readonly lines: readonly string[];
  readonly failures: NetlinkFailure[];
  readonly resolve: (r: StreamResult) => void;
}

export class IpBatchStream {
  private child: ChildProcess | null = null;
  /** Lines written to the current process (its line numbers are 1-based and count fences). */
  private sent = 0;
  private readonly waiting: Waiting[] = [];
  private partial = '';
  private message: string[] = [];
  private idle: NodeJS.Timeout | null = null;

  constructor(private readonly argv: readonly string[], private readonly idleMs = 500, private readonly nice = 10) {}

  /** Lines written and not yet confirmed. */
  get backlog(): number {
    let n = 0;
    for (const w of this.waiting) n += w.lines.length;
    return n;
  }

  /** Writes `lines` (never empty, each a checked command); resolves with the lines that failed. */
  write(lines: readonly string[]): Promise<StreamResult> {
    if (this.idle) { clearTimeout(this.idle); this.idle = null; }
    const c = this.process();
    const first = this.sent + 1;
    const fence = first + lines.length;
    this.sent = fence;
    return new Promise((resolve) => {
      this.waiting.push({ first, fence, lines, failures: [], resolve });
      c.stdin!.write(`${lines.join('\n')}\n${FENCE}\n`);
    });
  }

  private process(): ChildProcess {
    if (this.child) return this.child;
    const c = spawn(this.argv[0]!, [...this.argv.slice(1), '-force', '-batch', '-'], { stdio: ['pipe', 'ignore', 'pipe'] });
    this.child = c;
    if (this.nice !== 0 && c.pid !== undefined) { try { setPriority(c.pid, this.nice); } catch { /* best effort */ } }
    this.sent = 0;
    this.partial = '';
    this.message = [];
    c.stdin!.on('error', () => {}); // an early exit shows in 'close'
    c.stderr!.setEncoding('utf8');
    c.stderr!.on('data', (text: string) => { if (this.child === c) this.onStderr(text); });
    const gone = (why: string): void => {
      if (this.child !== c) return;
      this.child = null;
      const fatal = [...this.message, this.partial].join('\n').trim() || why;
      for (const w of this.waiting.splice(0)) w.resolve({ failures: w.failures, fatal });
    };
    c.on('error', (e) => gone(`Cannot run ${this.argv[0]}: ${e.message}`));
    c.on('close', (code) => gone(`${this.argv[0]} exited with status ${code ?? 'unknown'}`));
    return c;
  }

  private onStderr(text: string): void {
    const lines = (this.partial + text).split('\n');
    this.partial = lines.pop()!;
    for (const l of lines) {
      const m = /^Command failed (?:-|\S+):(\d+)\s*$/.exec(l);
      if (!m) { if (l.trim() !== '') this.message.push(l); continue; }
      const n = Number(m[1]);
      const error = this.message.join('\n').trim() || 'failed';
      this.message = [];
      // A fence that did not fail (it cannot, but) is known to be passed by any later line.
      while (this.waiting.length > 0 && this.waiting[0]!.fence < n) this.finish();
      const w = this.waiting[0];
      if (!w || n < w.first) continue;
      if (n === w.fence) { this.finish(); continue; }
      const command = w.lines[n - w.first]!;
      if (/^(route|neigh|fdb|link|addr) del\b/.test(command) && isAbsent(error)) continue;
      w.failures.push({ command, error });
    }
  }

  private finish(): void {
    const w = this.waiting.shift()!;
    w.resolve({ failures: w.failures, fatal: null });
    if (this.waiting.length === 0 && this.child) {
      const c = this.child;
      this.idle = setTimeout(() => {
        this.idle = null;
        if (this.child !== c || this.waiting.length > 0) return;
        this.child = null; // the next write starts afresh, not on a process that is ending
        c.stdin!.end();
      }, this.idleMs);
      this.idle.unref();
    }
  }
}
