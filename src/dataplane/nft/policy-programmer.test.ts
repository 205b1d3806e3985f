import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IRChain, IRRule, Ruleset } from '../../policy/index.js';
import type { Nft } from '../ports.js';
import { PolicyProgrammer } from './policy-programmer.js';

const deny: IRRule = { matches: [{ kind: 'ports', side: 'dst', negate: false, ranges: [{ lo: 80, hi: 80 }] }], counter: true, verdict: { kind: 'drop' }, comment: 'rule 0: Deny' };
const allow: IRRule = { matches: [], mark: { clear: 0, set: 0x10000 }, counter: true, verdict: { kind: 'return' }, comment: 'rule 1: Allow' };
const chain = (name: string, rules: IRRule[]): IRChain => ({ name, rules });
const ruleset = (...chains: IRChain[]): Ruleset => ({ sets: [], maps: [], chains });

/** An Nft whose table listing reports the given packet counts, rule by rule, in chain order. */
class CountingNft implements Nft {
  readonly applied: string[] = [];
  counts = new Map<string, number[]>();
  async apply(text: string): Promise<void> { this.applied.push(text); }
  async listTable(): Promise<unknown> {
    const rules = [...this.counts].flatMap(([c, ns]) => ns.map((n) => ({ rule: { chain: c, expr: [{ counter: { packets: n, bytes: n * 60 } }, { drop: null }] } })));
    return { nftables: [{ table: { family: 'inet', name: 'tortie' } }, ...rules] };
  }
}

test('a full replace carries the packet counts of unchanged rules, and only theirs', async () => {
  const nft = new CountingNft();
  const p = new PolicyProgrammer(nft);
  await p.sync(ruleset(chain('poi_a', [deny, allow])));
  assert.match(nft.applied[0]!, /tcp dport 80 counter drop|th dport 80 counter drop/);
  nft.counts.set('poi_a', [7, 3]);

  // A new policy changes the structure: whole table again, poi_a's counts survive.
  await p.sync(ruleset(chain('poi_a', [deny, allow]), chain('poi_b', [deny])));
  const second = nft.applied[1]!;
  assert.match(second, /counter packets 7 bytes 420 drop comment "rule 0: Deny"/);
  assert.match(second, /counter packets 3 bytes 180 return comment "rule 1: Allow"/);
  assert.equal((second.match(/counter packets/g) ?? []).length, 2, 'the new chain starts from zero');

  // Rule 0 of poi_a changes: its count restarts; rule 1 is the same rule at the same place.
  nft.counts.set('poi_a', [8, 4]).set('poi_b', [1]);
  const changed: IRRule = { ...deny, matches: [{ kind: 'ports', side: 'dst', negate: false, ranges: [{ lo: 81, hi: 81 }] }] };
  await p.sync(ruleset(chain('poi_a', [changed, allow]), chain('poi_b', [deny])));
  const third = nft.applied[2]!;
  assert.doesNotMatch(third, /counter packets 8/);
  assert.match(third, /counter packets 4 bytes 240 return comment "rule 1: Allow"/);
  assert.match(third, /counter packets 1 bytes 60 drop/);

  // The periodic resync forgets what was programmed, but not the counts.
  nft.counts.set('poi_a', [2, 9]).set('poi_b', [5]);
  p.invalidate();
  await p.sync(ruleset(chain('poi_a', [changed, allow]), chain('poi_b', [deny])));
  assert.match(nft.applied[3]!, /counter packets 9 bytes 540 return/);
  assert.match(nft.applied[3]!, /counter packets 2 bytes 120 drop comment "rule 0: Deny"/);
});

test('when the listing cannot be read, the table is still replaced (counts restart)', async () => {
  const nft = new CountingNft();
  const p = new PolicyProgrammer(nft);
  await p.sync(ruleset(chain('poi_a', [deny])));
  nft.listTable = async () => { throw new Error('nft list failed'); };
  p.invalidate();
  const r = await p.sync(ruleset(chain('poi_a', [deny])));
  assert.equal(r.kind, 'full');
  assert.doesNotMatch(nft.applied[1]!, /counter packets/);
});
