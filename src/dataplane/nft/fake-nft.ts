// An in-memory Nft for unit tests: records every transaction, and can be told to fail the next one.

import type { Nft } from '../ports.js';

export class FakeNft implements Nft {
  readonly applied: string[] = [];
  private failNext: Error | null = null;
  private tables = new Map<string, unknown>();

  async apply(text: string): Promise<void> {
    if (this.failNext) { const e = this.failNext; this.failNext = null; throw e; }
    this.applied.push(text);
    const m = /^table (\S+) (\S+) \{\n/m.exec(text);
    if (m) this.tables.set(`${m[1]} ${m[2]}`, { nftables: [{ table: { family: m[1], name: m[2] } }] });
  }

  async listTable(family: string, name: string): Promise<unknown | null> {
    return this.tables.get(`${family} ${name}`) ?? null;
  }

  /** The next apply() rejects with `e`. */
  failOnce(e = new Error('fake nft failure')): void {
    this.failNext = e;
  }
}
