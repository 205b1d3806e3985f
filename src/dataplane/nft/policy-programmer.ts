// Desired policy IR → kernel, writing only the difference:
//
//   sync(ruleset) ── first time, or chains/rules/set declarations changed ──▶ whole table, one transaction
//                 └─ only set or map elements changed (labels, endpoints, addresses) ──▶ add/delete element
//
// If an element patch fails (someone changed the table behind our back) the next step is a full
// replace, so one more sync always repairs the kernel. Nothing is flushed between syncs: while the
// agent restarts, the kernel keeps enforcing the last programmed state.
//
// Policy rules count their packets (`tortie trace` shows the count of the rule that decided). A
// full replace would zero them — on every policy change and every periodic resync — so it first
// reads the kernel's counts and carries them into the new table for every rule that is the same
// rule, at the same place in the same chain, as the one last programmed.

import { diffRulesets, type Ruleset } from '../../policy/index.js';
import type { Nft } from '../ports.js';
import { counterKey, renderDiff, renderRuleset, TABLE, type CarriedCounters } from './render.js';

export type SyncKind = 'full' | 'elements' | 'none';

export interface SyncReport {
  readonly kind: SyncKind;
  /** Bytes of nft text sent. */
  readonly bytes: number;
}

export class PolicyProgrammer {
  private current: Ruleset | null = null;
  /** What the last full or element sync wrote; kept by invalidate(), for carrying counters. */
  private programmed: Ruleset | null = null;

  constructor(private readonly nft: Nft, private readonly table = TABLE) {}

  async sync(desired: Ruleset): Promise<SyncReport> {
    if (this.current !== null) {
      const diff = diffRulesets(this.current, desired);
      if (diff.kind === 'none') return { kind: 'none', bytes: 0 };
      const text = renderDiff(diff, desired, this.table);
      if (text !== null) {
        try {
          await this.nft.apply(text);
          this.current = desired;
          this.programmed = desired;
          return { kind: 'elements', bytes: Buffer.byteLength(text) };
        } catch {
          this.current = null; // fall through to a full replace
        }
      }
    }
    const text = renderRuleset(desired, this.table, await this.carriedCounters(desired));
    this.current = null;
    await this.nft.apply(text);
    this.current = desired;
    this.programmed = desired;
    return { kind: 'full', bytes: Buffer.byteLength(text) };
  }

  /** The kernel's packet counts of the counted rules `desired` keeps unchanged; empty when unknown. */
  private async carriedCounters(desired: Ruleset): Promise<CarriedCounters> {
    const carried = new Map<string, { packets: number; bytes: number }>();
    const before = this.programmed;
    if (before === null) return carried;
    const same = new Map(before.chains.map((c) => [c.name, c] as const));
    const wanted = new Set<string>();
    for (const c of desired.chains) {
      const old = same.get(c.name);
      if (!old) continue;
      c.rules.forEach((r, i) => {
        if (r.counter && old.rules[i] !== undefined && JSON.stringify(old.rules[i]) === JSON.stringify(r)) wanted.add(counterKey(c.name, i));
      });
    }
    if (wanted.size === 0) return carried;
    let listing: unknown;
    try { listing = await this.nft.listTable('inet', this.table); } catch { return carried; } // counts restart; the policy is what matters
    const items = (listing as { nftables?: unknown[] } | null)?.nftables ?? [];
    const position = new Map<string, number>();
    for (const it of items) {
      const rule = (it as { rule?: { chain: string; expr?: Array<{ counter?: { packets: number; bytes: number } }> } }).rule;
      if (!rule) continue;
      const i = position.get(rule.chain) ?? 0;
      position.set(rule.chain, i + 1);
      const key = counterKey(rule.chain, i);
      const counter = rule.expr?.find((e) => e.counter)?.counter;
      if (counter && wanted.has(key)) carried.set(key, { packets: counter.packets, bytes: counter.bytes });
    }
    return carried;
  }

  /** Forget what was programmed: the next sync replaces the whole table. */
  invalidate(): void {
    this.current = null;
  }
}
