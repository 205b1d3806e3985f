import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeNft } from './fake-nft.js';
import { NatProgrammer, renderNat } from './nat.js';

test('the NAT table masquerades natOutgoing pools to destinations outside all pools, replaced atomically', () => {
  const text = renderNat({ masquerade: ['10.65.0.0/16'], pools: ['10.66.0.0/16', '10.65.0.0/16', '10.65.4.0/24'] });
  assert.match(text, /^table ip tortie-nat \{\}\ndelete table ip tortie-nat\ntable ip tortie-nat \{/);
  assert.match(text, /set masq-pools \{\n\s+type ipv4_addr; flags interval;\n\s+elements = \{ 10\.65\.0\.0\/16 \}/);
  // Interval sets refuse overlaps: a pool inside another is folded into it.
  assert.match(text, /set all-pools \{\n\s+type ipv4_addr; flags interval;\n\s+elements = \{ 10\.65\.0\.0\/16, 10\.66\.0\.0\/16 \}/);
  assert.match(text, /ip saddr @masq-pools ip daddr != @all-pools masquerade/);
  assert.doesNotMatch(renderNat({ masquerade: [], pools: [] }), /elements/, 'empty sets have no elements line (nft refuses an empty list)');
});

test('the NAT programmer writes only when the pools change, and again after forget()', async () => {
  const nft = new FakeNft();
  const nat = new NatProgrammer(nft);
  const d = { masquerade: ['10.65.0.0/16'], pools: ['10.65.0.0/16'] };
  assert.equal(await nat.sync(d), true);
  assert.equal(await nat.sync({ ...d }), false);
  nat.forget();
  assert.equal(await nat.sync(d), true);
  assert.equal(await nat.sync({ masquerade: [], pools: ['10.65.0.0/16'] }), true);
  assert.equal(nft.applied.length, 3);
});
