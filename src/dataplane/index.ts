// Dataplane managers: desired state → kernel through narrow ports (ports.ts); the Linux adapters
// live in ./linux.

export type { Nft } from './ports.js';
export { renderRuleset, renderDiff, renderRule, renderMatch, TABLE } from './nft/render.js';
export { PolicyProgrammer, type SyncKind, type SyncReport } from './nft/policy-programmer.js';
export { FakeNft } from './nft/fake-nft.js';
export { renderNat, NatProgrammer, NAT_TABLE, type NatDesired } from './nft/nat.js';
