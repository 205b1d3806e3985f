// Desired policy IR → kernel, writing only the difference:
//
//   sync(ruleset) ── first time, or chains/rules/set declarations changed ──▶ whole table, one transaction
//                 └─ only set or map elements changed (labels, endpoints, addresses) ──▶ add/delete element
//
// If an element patch fails (someone changed the table behind our back) the next step is a full
// replace, so one more sync always repairs the kernel. Nothing is flushed between syncs: while the
// agent restarts, the kernel keeps enforcing the last programmed state.

import { diffRulesets, type Ruleset } from '../../policy/index.js';
import type { Nft } from '../ports.js';
import { renderDiff, renderRuleset, TABLE } from './render.js';

export type SyncKind = 'full' | 'elements' | 'none';

export interface SyncReport {
  readonly kind: SyncKind;
  /** Bytes of nft text sent. */
  readonly bytes: number;
}

export class PolicyProgrammer {
  private current: Ruleset | null = null;

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
          return { kind: 'elements', bytes: Buffer.byteLength(text) };
        } catch {
          this.current = null; // fall through to a full replace
        }
      }
    }
    const text = renderRuleset(desired, this.table);
    this.current = null;
    await this.nft.apply(text);
    this.current = desired;
    return { kind: 'full', bytes: Buffer.byteLength(text) };
  }

  /** Forget what was programmed: the next sync replaces the whole table. */
  invalidate(): void {
    this.current = null;
  }
}
