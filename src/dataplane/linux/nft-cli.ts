// The Nft port on the real kernel, through the `nft` command (nftables has no Node binding).
// Text goes to `nft -f -` on standard input; JSON listings come from `nft -j list …` on standard
// output (node-libs.md §2: `nft -j -f -` fails from Node, plain text input works). With `netns`,
// every command runs inside that network namespace (`ip netns exec`).

import { spawn } from 'node:child_process';
import { TortieError } from '../../lib/errors.js';
import type { Nft } from '../index.js';

export interface NftCliOptions {
  /** A named network namespace (ip netns) to program instead of the current one. */
  readonly netns?: string;
  readonly binary?: string;
}

interface Result { readonly code: number; readonly stdout: string; readonly stderr: string }

function run(argv: readonly string[], input?: string): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }));
    child.stdin.on('error', () => {}); // reported through the exit status
    child.stdin.end(input ?? '');
  });
}

export class NftCli implements Nft {
  private readonly prefix: readonly string[];

  constructor(opts: NftCliOptions = {}) {
    const nft = opts.binary ?? 'nft';
    this.prefix = opts.netns ? ['ip', 'netns', 'exec', opts.netns, nft] : [nft];
  }

  async apply(text: string): Promise<void> {
    let r: Result;
    try { r = await run([...this.prefix, '-f', '-'], text); } catch (e) {
      throw new TortieError('TORTIE_ERR_DATAPLANE_NFT', `Cannot run nft: ${(e as Error).message}`, {}, { cause: e });
    }
    if (r.code !== 0) {
      const first = r.stderr.split('\n').slice(0, 6).join('\n');
      throw new TortieError('TORTIE_ERR_DATAPLANE_NFT', `nft refused the transaction (nothing was changed):\n${first}`, { stderr: r.stderr });
    }
  }

  async listTable(family: string, name: string): Promise<unknown | null> {
    const r = await run([...this.prefix, '-j', 'list', 'table', family, name]);
    if (r.code !== 0) {
      if (/No such file or directory/.test(r.stderr)) return null;
      throw new TortieError('TORTIE_ERR_DATAPLANE_NFT', `nft list table ${family} ${name} failed: ${r.stderr.trim()}`, { stderr: r.stderr });
    }
    return JSON.parse(r.stdout) as unknown;
  }
}
